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

    internal static readonly Counter<long> Reads = Meter.CreateCounter<long>(
        "pgdiscipline.reads", "{command}", "Reads by target (pgdiscipline.target = primary or the replica name).");

    internal static readonly Counter<long> Fallbacks = Meter.CreateCounter<long>(
        "pgdiscipline.reads.fallbacks", "{command}", "Replica-bound reads that ran on the primary instead (pgdiscipline.reason).");

    internal static readonly Counter<long> Ejections = Meter.CreateCounter<long>(
        "pgdiscipline.replicas.ejections", "{event}", "Replicas taken out of rotation.");

    private static readonly List<WeakReference<PgDisciplineRuntime>> Runtimes = new();

    static PgDisciplineTelemetry()
    {
        Meter.CreateObservableGauge("pgdiscipline.replica.lag", () => Observe(r => r.Health.Lag?.TotalSeconds ?? 0), "s", "Replay lag of each replica.");
        Meter.CreateObservableGauge("pgdiscipline.replica.lag_bytes", () => Observe(r => (double)(r.Health.LagBytes ?? 0)), "By", "Replay lag of each replica in WAL bytes.");
        Meter.CreateObservableGauge("pgdiscipline.replica.admitted", () => Observe(r => r.Admitted ? 1 : 0), "{replica}", "1 when the replica is in rotation.");
    }

    internal static void Register(PgDisciplineRuntime runtime)
    {
        lock (Runtimes)
        {
            Runtimes.Add(new WeakReference<PgDisciplineRuntime>(runtime));
        }
    }

    internal static void Unregister(PgDisciplineRuntime runtime)
    {
        lock (Runtimes)
        {
            Runtimes.RemoveAll(w => !w.TryGetTarget(out var r) || ReferenceEquals(r, runtime));
        }
    }

    private static IEnumerable<Measurement<double>> Observe(Func<ReplicaEndpoint, double> value)
    {
        List<PgDisciplineRuntime> live;
        lock (Runtimes)
        {
            live = Runtimes.Select(w => w.TryGetTarget(out var r) ? r : null).OfType<PgDisciplineRuntime>().ToList();
        }

        return live.SelectMany(r => r.Replicas).Select(r => new Measurement<double>(value(r), new KeyValuePair<string, object?>("pgdiscipline.replica", r.Name))).ToList();
    }

    internal static TagList RuleTags(string ruleId, string fingerprint) => new()
    {
        { "pgdiscipline.rule", ruleId },
        { "pgdiscipline.fingerprint", fingerprint },
    };
}
