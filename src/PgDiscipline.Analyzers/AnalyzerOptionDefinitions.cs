using System;
using System.Collections.Immutable;
using System.Globalization;

namespace PgDiscipline.Analyzers;

/// <summary>One analyzer option: its key <c>pgdiscipline.PGDnnn.option</c>, what a valid value is, and its default.</summary>
internal sealed class AnalyzerOptionDefinition(string ruleId, string option, string valid, string defaultText, Func<string, bool> isValid)
{
    public string Key { get; } = "pgdiscipline." + ruleId + "." + option;

    public string RuleId { get; } = ruleId;

    public string Option { get; } = option;

    /// <summary>What a valid value is, in words.</summary>
    public string Valid { get; } = valid;

    public string DefaultText { get; } = defaultText;

    public bool IsValid(string value) => isValid(value.Trim());
}

/// <summary>Every option the analyzers read, in one place: <see cref="AnalyzerOptionsReader"/> parses them and
/// <see cref="InvalidOptionAnalyzer"/> (PGD100) reports a value that does not parse instead of silently using the default.</summary>
internal static class AnalyzerOptionDefinitions
{
    public static readonly AnalyzerOptionDefinition MaxJoins = new(
        RuleIdentifiers.TooManyJoins, "max_joins", "a whole number, 0 or more", TooManyJoinsAnalyzer.DefaultMaxJoins.ToString(CultureInfo.InvariantCulture),
        v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0);

    public static readonly AnalyzerOptionDefinition CreateTableClosed = new(
        RuleIdentifiers.CreateTableClosed, "enabled", "true or false", "false", v => bool.TryParse(v, out _));

    public static readonly AnalyzerOptionDefinition DefaultRead = new(
        RuleIdentifiers.ReadWithoutRoutingIntent, "default_read", "primary or replica", "what the project's UsePgDiscipline code sets, else replica",
        v => v.Equals("primary", StringComparison.OrdinalIgnoreCase) || v.Equals("replica", StringComparison.OrdinalIgnoreCase));

    public static readonly AnalyzerOptionDefinition Consistency = new(
        RuleIdentifiers.StaleReadAfterWrite, "consistency", "eventual, session or strong", "what the project's UsePgDiscipline code sets, else session",
        v => v.Equals("eventual", StringComparison.OrdinalIgnoreCase) || v.Equals("session", StringComparison.OrdinalIgnoreCase) || v.Equals("strong", StringComparison.OrdinalIgnoreCase));

    public static readonly ImmutableArray<AnalyzerOptionDefinition> All = ImmutableArray.Create(MaxJoins, CreateTableClosed, DefaultRead, Consistency);
}
