using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD202: <c>ReadFromReplica()</c> inside an explicit transaction (the read runs on the primary anyway).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReplicaReadInTransactionAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.ReplicaReadInTransaction);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (EfContext.TryCreate(start.Compilation) is not { } ef || ef.RoutingExtensions is null)
            {
                return;
            }

            start.RegisterOperationAction(c =>
            {
                var invocation = (IInvocationOperation)c.Operation;
                if (RoutingFacts.IsRoutingCall(invocation, ef, "ReadFromReplica")
                    && RoutingFacts.InsideRegion(invocation, op => RoutingFacts.IsBeginTransaction(op, ef)))
                {
                    c.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ReplicaReadInTransaction, QueryChain.NameLocation(invocation)));
                }
            }, OperationKind.Invocation);
        });
    }
}
