using Microsoft.CodeAnalysis;

namespace PgDiscipline.Analyzers;

/// <summary>Builds a <see cref="DiagnosticDescriptor"/> from the shared <see cref="RuleCatalog"/>: one title, category,
/// severity and help link per rule, the same the lint and the runtime migration guard use.</summary>
internal static class DescriptorFactory
{
    public static DiagnosticDescriptor Create(RuleDescriptor rule, string messageFormat, params string[] customTags)
        => new(rule.Id, rule.Title, messageFormat, rule.Category, Severity(rule.DefaultSeverity), isEnabledByDefault: rule.EnabledByDefault,
            description: null, helpLinkUri: rule.HelpLink, customTags);

    private static DiagnosticSeverity Severity(RuleSeverity severity) => severity switch
    {
        RuleSeverity.Error => DiagnosticSeverity.Error,
        RuleSeverity.Warning => DiagnosticSeverity.Warning,
        _ => DiagnosticSeverity.Info,
    };
}
