using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD202: <c>ReadFromReplica()</c> inside an explicit transaction (the read runs on the primary anyway).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReplicaReadInTransactionAnalyzer : EfCoreAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.ReplicaReadInTransaction);

    /// <inheritdoc />
    internal override bool IsApplicable(EfContext ef) => ef.RoutingExtensions is not null;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        context.RegisterOperationAction(c =>
        {
            var invocation = (IInvocationOperation)c.Operation;
            if (RoutingFacts.IsRoutingCall(invocation, ef, "ReadFromReplica")
                && RoutingFacts.InsideRegion(invocation, op => RoutingFacts.IsBeginTransaction(op, ef)))
            {
                c.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ReplicaReadInTransaction, QueryChain.NameLocation(invocation)));
            }
        }, OperationKind.Invocation);
    }
}
