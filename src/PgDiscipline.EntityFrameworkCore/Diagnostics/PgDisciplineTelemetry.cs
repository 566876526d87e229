using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;

namespace PgDiscipline;

/// <summary>Metric and trace names (OpenTelemetry-compatible): meter and activity source <c>PgDiscipline</c>.</summary>
public static class PgDisciplineTelemetry
{
    /// <summary>Name of the <see cref="Meter"/> and the <see cref="ActivitySource"/>.</summary>
    public const string Name = "PgDiscipline";

    internal static readonly Meter Meter = new(Name, typeof(PgDisciplineTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Spans for commands (OpenTelemetry database conventions; the query text is the normalized one).</summary>
    internal static readonly ActivitySource Source = new(Name, typeof(PgDisciplineTelemetry).Assembly.GetName().Version?.ToString());

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

    internal static readonly Counter<long> PrimaryUnreachableReads = Meter.CreateCounter<long>(
        "pgdiscipline.reads.primary_unreachable", "{command}", "Replica-bound reads that had fallen back to the primary and found it unreachable (pgdiscipline.outcome = replica: a replica that satisfied the read served it; failed: none did within MaxReplicaLag).");

    internal static readonly Histogram<double> SessionWait = Meter.CreateHistogram<double>(
        "pgdiscipline.reads.session_wait", "ms", "Time a read-your-writes read waited for a replica to replay the session's write (pgdiscipline.outcome = replica or primary).");

    internal static readonly Histogram<double> CoalescedWait = Meter.CreateHistogram<double>(
        "pgdiscipline.reads.coalesced", "ms", "Reads that waited for an identical read in flight (Coalesce), and how long (pgdiscipline.outcome = shared: got its rows; own: ran its own read).");

    internal static readonly Counter<long> Ejections = Meter.CreateCounter<long>(
        "pgdiscipline.replicas.ejections", "{event}", "Replicas taken out of rotation.");

    internal static readonly Counter<long> StalePrimaryRefused = Meter.CreateCounter<long>(
        "pgdiscipline.primary.refused", "{connection}", "Primary connections refused because the server is on an older timeline than the newest seen (pgdiscipline.host).");

    internal static readonly Counter<long> TokenTimelinesUnconfirmed = Meter.CreateCounter<long>(
        "pgdiscipline.session.token_timelines_unconfirmed", "{token}", "Session tokens claiming a primary timeline no server showed (forged, or from another cluster): ignored.");

    internal static readonly Counter<long> SessionTokensRejected = Meter.CreateCounter<long>(
        "pgdiscipline.session.tokens_rejected", "{token}", "Session tokens refused: unsigned while signing keys are configured, a bad signature, malformed or too long (pgdiscipline.reason).");

    internal static readonly Counter<long> TimelineUnknown = Meter.CreateCounter<long>(
        "pgdiscipline.primary.timeline_unknown", "{connection}", "Primary connections whose timeline could not be read (pgdiscipline.host): a stale primary there cannot be refused.");

    /// <summary>Observable gauges read what the parts that own the state push here (the replica sets register their
    /// replicas, the timeline guards their timeline): the telemetry knows no part of the runtime.</summary>
    private static readonly List<WeakReference<IGaugeSource>> Sources = new();

    static PgDisciplineTelemetry()
    {
        Meter.CreateObservableGauge("pgdiscipline.replica.lag", () => Observe(GaugeKind.ReplicaLag), "s", "Replay lag of each replica.");
        Meter.CreateObservableGauge("pgdiscipline.replica.lag_bytes", () => Observe(GaugeKind.ReplicaLagBytes), "By", "Replay lag of each replica in WAL bytes.");
        Meter.CreateObservableGauge("pgdiscipline.replica.admitted", () => Observe(GaugeKind.ReplicaAdmitted), "{replica}", "1 when the replica is in rotation.");
        Meter.CreateObservableGauge("pgdiscipline.primary.timeline", () => Observe(GaugeKind.PrimaryTimeline), "{timeline}", "The newest primary timeline each runtime has seen (a promotion raises it).");
    }

    /// <summary>Adds a source of gauge readings (kept weakly: a disposed runtime's parts drop out).</summary>
    internal static void Register(IGaugeSource source)
    {
        lock (Sources)
        {
            Sources.Add(new WeakReference<IGaugeSource>(source));
        }
    }

    internal static void Unregister(IGaugeSource source)
    {
        lock (Sources)
        {
            Sources.RemoveAll(w => !w.TryGetTarget(out var s) || ReferenceEquals(s, source));
        }
    }

    private static List<Measurement<double>> Observe(GaugeKind kind)
    {
        List<IGaugeSource> live;
        lock (Sources)
        {
            live = Sources.Select(w => w.TryGetTarget(out var s) ? s : null).OfType<IGaugeSource>().ToList();
        }

        var result = new List<Measurement<double>>();
        foreach (var source in live)
        {
            source.Observe(kind, result);
        }

        return result;
    }

    internal static TagList RuleTags(string ruleId, string fingerprint) => new()
    {
        { "pgdiscipline.rule", ruleId },
        { "pgdiscipline.fingerprint", fingerprint },
    };

    /// <summary>A short, literal-free error code: the SQLSTATE when the server sent one, else the exception type.</summary>
    internal static string ErrorCode(Exception exception) => exception switch
    {
        DbException { SqlState: { Length: > 0 } state } => state,
        NpgsqlException { InnerException: TimeoutException } => "client_timeout",
        OperationCanceledException => "canceled",
        _ => exception.GetType().Name,
    };
}

/// <summary>The gauges a part of the runtime can feed.</summary>
internal enum GaugeKind
{
    ReplicaLag,
    ReplicaLagBytes,
    ReplicaAdmitted,
    PrimaryTimeline,
}

/// <summary>A part of the runtime whose state some gauges show.</summary>
internal interface IGaugeSource
{
    /// <summary>Adds this source's readings of <paramref name="kind"/> (none when it has no such state).</summary>
    void Observe(GaugeKind kind, List<Measurement<double>> into);
}
