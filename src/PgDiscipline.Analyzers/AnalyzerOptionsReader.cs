using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PgDiscipline.Analyzers;

/// <summary>Typed options from .editorconfig / .globalconfig, keyed <c>pgdiscipline.PGDnnn.option</c> (defined in
/// <see cref="AnalyzerOptionDefinitions"/>), parsed with the invariant culture; a missing or unparseable value gives the
/// default, and PGD100 reports the unparseable one.</summary>
internal static class AnalyzerOptionsReader
{
    public static int GetInt(AnalyzerOptions options, SyntaxTree tree, string ruleId, string option, int defaultValue, int min = int.MinValue)
    {
        var raw = Get(options, tree, ruleId, option);
        return raw is not null && int.TryParse(raw.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : defaultValue;
    }

    public static bool GetBool(AnalyzerOptions options, SyntaxTree tree, string ruleId, string option, bool defaultValue)
    {
        var raw = Get(options, tree, ruleId, option);
        return raw is not null && bool.TryParse(raw.Trim(), out var value) ? value : defaultValue;
    }

    public static string? GetString(AnalyzerOptions options, SyntaxTree tree, string ruleId, string option)
        => Get(options, tree, ruleId, option)?.Trim();

    private static string? Get(AnalyzerOptions options, SyntaxTree tree, string ruleId, string option)
    {
        var config = options.AnalyzerConfigOptionsProvider.GetOptions(tree);
        return config.TryGetValue("pgdiscipline." + ruleId + "." + option, out var value) ? value : null;
    }
}
