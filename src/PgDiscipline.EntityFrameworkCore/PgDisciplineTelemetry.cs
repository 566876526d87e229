using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PgDiscipline;

/// <summary>Metric and trace names (OpenTelemetry-compatible): meter and activity source <c>PgDiscipline</c>.</summary>
public static class PgDisciplineTelemetry
{
    /// <summary>Name of the <see cref="Meter"/> and the <see cref="ActivitySource"/>.</summary>
    public const string Name = "PgDiscipline";

    internal static readonly Meter Meter = new(Name, typeof(PgDisciplineTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Blocked = Meter.CreateCounter<long>(
        "pgdiscipline.queries.blocked", "{command}", "Commands refused by a Block rule.");

    internal static readonly Counter<long> RateLimited = Meter.CreateCounter<long>(
        "pgdiscipline.queries.rate_limited", "{command}", "Commands refused by a RateLimit or Concurrency rule.");

    internal static readonly Counter<long> Queued = Meter.CreateCounter<long>(
        "pgdiscipline.queries.queued", "{command}", "Commands that waited for a RateLimit or Concurrency permit.");

    internal static readonly Counter<long> RulesRejected = Meter.CreateCounter<long>(
        "pgdiscipline.rules.rejected", "{rule}", "Malformed rules left out of a rule set.");

    internal static TagList RuleTags(string ruleId, string fingerprint) => new()
    {
        { "pgdiscipline.rule", ruleId },
        { "pgdiscipline.fingerprint", fingerprint },
    };
}
