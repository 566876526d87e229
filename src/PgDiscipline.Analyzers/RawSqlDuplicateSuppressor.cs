using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>
/// One warning for one problem: EF Core's own analyzers report raw SQL built by interpolation (EF1002) or concatenation
/// (EF1003) on the same call PGD104 reports. Where PGD104 reports the call, this suppressor hides EF Core's duplicate
/// (PGD104 carries the code fix, the option to promote to an error with the other PGD rules, and the report's security
/// view). Where PGD104 does not report it, EF Core's diagnostic stands.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RawSqlDuplicateSuppressor : DiagnosticSuppressor
{
    private const string Justification = "PGD104 reports the same raw SQL call";

    internal static readonly SuppressionDescriptor Ef1002 = new("PGDSPR1002", "EF1002", Justification);

    internal static readonly SuppressionDescriptor Ef1003 = new("PGDSPR1003", "EF1003", Justification);

    /// <inheritdoc />
    public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions => ImmutableArray.Create(Ef1002, Ef1003);

    /// <inheritdoc />
    public override void ReportSuppressions(SuppressionAnalysisContext context)
    {
        var ef = EfContext.TryCreate(context.Compilation);
        if (ef is null || !ef.HasRelational)
        {
            return;
        }

        foreach (var diagnostic in context.ReportedDiagnostics)
        {
            var descriptor = diagnostic.Id switch
            {
                "EF1002" => Ef1002,
                "EF1003" => Ef1003,
                _ => null,
            };
            if (descriptor is null || diagnostic.Location.SourceTree is not { } tree)
            {
                continue;
            }

            var node = tree.GetRoot(context.CancellationToken).FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var call = node.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
            if (call is not null
                && context.GetSemanticModel(tree).GetOperation(call, context.CancellationToken) is IInvocationOperation invocation
                && RawSqlInjectionAnalyzer.Finding(invocation, ef) is not null)
            {
                context.ReportSuppression(Suppression.Create(descriptor, diagnostic));
            }
        }
    }
}
