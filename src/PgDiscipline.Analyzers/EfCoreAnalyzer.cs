using Microsoft.CodeAnalysis.Diagnostics;

namespace PgDiscipline.Analyzers;

/// <summary>Shared registration for PgDiscipline's analyzers: concurrent execution, no generated code, and the per-compilation
/// <see cref="EfContext"/> gate (a compilation without EF Core, or without what <see cref="IsApplicable"/> needs, costs nothing).</summary>
public abstract class EfCoreAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Only PgDiscipline's own analyzers derive from this class.</summary>
    private protected EfCoreAnalyzer()
    {
    }

    /// <inheritdoc />
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCode);
        context.RegisterCompilationStartAction(start =>
        {
            if (EfContext.TryCreate(start.Compilation) is { } ef && IsApplicable(ef))
            {
                RegisterActions(start, ef);
            }
        });
    }

    /// <summary>Generated code is skipped, except by rules whose subject may be generated (EF Core migrations).</summary>
    internal virtual GeneratedCodeAnalysisFlags GeneratedCode => GeneratedCodeAnalysisFlags.None;

    /// <summary>Whether this compilation references what the rule needs (default: EF Core, already checked).</summary>
    internal virtual bool IsApplicable(EfContext ef) => true;

    /// <summary>Registers the rule's actions for one compilation.</summary>
    internal abstract void RegisterActions(CompilationStartAnalysisContext context, EfContext ef);
}
