using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD204: a write inside a <c>PgDisciplineRouting.ReadFromReplica()</c> scope.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class WriteInReplicaScopeAnalyzer : EfCoreAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.WriteInReplicaScope);

    /// <inheritdoc />
    internal override bool IsApplicable(EfContext ef) => ef.PgDisciplineRouting is not null;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        context.RegisterOperationAction(c =>
        {
            var invocation = (IInvocationOperation)c.Operation;
            if (RoutingFacts.IsWrite(invocation, ef)
                && RoutingFacts.InsideRegion(invocation, op => op is IInvocationOperation i && RoutingFacts.IsScopeCall(i, ef, "ReadFromReplica")))
            {
                c.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.WriteInReplicaScope, QueryChain.NameLocation(invocation), invocation.TargetMethod.Name));
            }
        }, OperationKind.Invocation);
    }
}
