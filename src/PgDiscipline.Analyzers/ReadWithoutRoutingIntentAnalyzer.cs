using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD201: a read-only query path that will execute on the primary without a routing intent. Active when the
/// application routes untagged reads to the primary: <c>DefaultRead = ReadRouting.Primary</c> appears in the compilation, or
/// <c>pgdiscipline.PGD201.default_read = primary</c>.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReadWithoutRoutingIntentAnalyzer : EfCoreAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.ReadWithoutRoutingIntent);

    /// <inheritdoc />
    internal override bool IsApplicable(EfContext ef) => ef.RoutingExtensions is not null;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        context.RegisterOperationAction(c => Analyze(c, ef), OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!RoutingFacts.Terminals.Contains(invocation.TargetMethod.Name) || !QueryChain.IsChainMember(invocation, ef) || !QueryChain.IsOutermost(invocation, ef))
        {
            return;
        }

        var defaultRead = AnalyzerOptionsReader.GetString(context.Options, invocation.Syntax.SyntaxTree, RuleIdentifiers.ReadWithoutRoutingIntent, "default_read");
        var primaryByDefault = defaultRead is null ? ef.DefaultReadPrimaryConfigured : string.Equals(defaultRead, "primary", System.StringComparison.OrdinalIgnoreCase);
        if (!primaryByDefault)
        {
            return;
        }

        var chain = QueryChain.Build(invocation, ef);
        if (!chain.RootedInEf || RoutingFacts.ChainHas(chain, ef, "ReadFromReplica") || RoutingFacts.ChainHas(chain, ef, "ReadFromPrimary"))
        {
            return;
        }

        if (RoutingFacts.InsideRegion(invocation, op => op is IInvocationOperation i && (RoutingFacts.IsScopeCall(i, ef, "ReadFromReplica") || RoutingFacts.IsScopeCall(i, ef, "ReadFromPrimary")))
            || RoutingFacts.InsideRegion(invocation, op => RoutingFacts.IsBeginTransaction(op, ef))
            || RoutingFacts.MethodWrites(invocation, ef))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ReadWithoutRoutingIntent, QueryChain.NameLocation(invocation)));
    }
}
