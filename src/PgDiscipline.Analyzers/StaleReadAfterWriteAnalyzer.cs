using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD203: a replica read after a write in the same method, when the application does not use Session
/// consistency (<c>ReadConsistency.Eventual</c> appears in the compilation, or <c>pgdiscipline.PGD203.consistency = eventual</c>).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class StaleReadAfterWriteAnalyzer : EfCoreAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.StaleReadAfterWrite);

    /// <inheritdoc />
    internal override bool IsApplicable(EfContext ef) => ef.RoutingExtensions is not null;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        context.RegisterOperationAction(c =>
        {
            var invocation = (IInvocationOperation)c.Operation;
            if (!RoutingFacts.IsRoutingCall(invocation, ef, "ReadFromReplica"))
            {
                return;
            }

            var configured = AnalyzerOptionsReader.GetString(c.Options, invocation.Syntax.SyntaxTree, RuleIdentifiers.StaleReadAfterWrite, "consistency");
            var eventual = configured is null ? ef.EventualConsistencyConfigured : string.Equals(configured, "eventual", System.StringComparison.OrdinalIgnoreCase);
            if (eventual && RoutingFacts.WriteBefore(invocation, ef))
            {
                c.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.StaleReadAfterWrite, QueryChain.NameLocation(invocation), "Eventual"));
            }
        }, OperationKind.Invocation);
    }
}
