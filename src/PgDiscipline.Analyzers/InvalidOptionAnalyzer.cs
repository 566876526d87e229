using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PgDiscipline.Analyzers;

/// <summary>PGD100: an analyzer option in .editorconfig / .globalconfig whose value is not valid. Reported once per key
/// and value per compilation, without a source location (the value lives in a configuration file), so a typo such as
/// <c>pgdiscipline.PGD101.max_joins = ten</c> shows in the build instead of silently meaning the default.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class InvalidOptionAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.InvalidOption);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var reported = new ConcurrentDictionary<(string Key, string Value), bool>();
            start.RegisterSyntaxTreeAction(tree =>
            {
                var options = tree.Options.AnalyzerConfigOptionsProvider.GetOptions(tree.Tree);
                foreach (var definition in AnalyzerOptionDefinitions.All)
                {
                    if (options.TryGetValue(definition.Key, out var value) && !definition.IsValid(value) && reported.TryAdd((definition.Key, value), true))
                    {
                        tree.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidOption, Location.None, definition.Key, value.Trim(), definition.Valid, definition.DefaultText));
                    }
                }
            });
        });
    }
}
