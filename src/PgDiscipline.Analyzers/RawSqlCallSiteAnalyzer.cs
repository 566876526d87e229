using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD105 (info): every call that sends SQL text — the inventory behind the query report's security view.
/// PGD104 says which of them build the text from values; this one lists them all, parameterized or not.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RawSqlCallSiteAnalyzer : EfCoreAnalyzer
{
    private static readonly ImmutableHashSet<string> Parameterized = ImmutableHashSet.Create(
        "FromSql", "FromSqlInterpolated", "ExecuteSql", "ExecuteSqlAsync", "ExecuteSqlInterpolated", "ExecuteSqlInterpolatedAsync", "SqlQuery");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.RawSqlCallSite);

    /// <summary>Generated code is listed too: the inventory is of the SQL the application sends, whoever wrote the call. (Skipping
    /// it made the compiler look for [GeneratedCode] symbols in every file with a call: a quarter of this package's time on
    /// the 300-file benchmark.)</summary>
    internal override GeneratedCodeAnalysisFlags GeneratedCode => GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics;

    /// <inheritdoc />
    internal override bool IsApplicable(EfContext ef) => ef.HasRelational;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        context.RegisterOperationAction(c => Analyze(c, ef), OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        var raw = RawSqlInjectionAnalyzer.Replacements.ContainsKey(method.Name);
        if ((!raw && !Parameterized.Contains(method.Name))
            || !ef.IsRelationalExtension(method))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.RawSqlCallSite, QueryChain.NameLocation(invocation),
            method.Name, raw ? "as written (values must be passed as parameters)" : "with interpolation holes sent as parameters"));
    }
}
