using System.Data.Common;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Npgsql;
using PgDiscipline.Sql;

namespace PgDiscipline;

/// <summary>Metric and trace names (OpenTelemetry-compatible): meter and activity source <c>PgDiscipline</c>.</summary>
public static class PgDisciplineTelemetry
{
    /// <summary>Name of the <see cref="Meter"/> and the <see cref="ActivitySource"/>.</summary>
    public const string Name = "PgDiscipline";

    internal static readonly Meter Meter = new(Name, typeof(PgDisciplineTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Spans for commands (OpenTelemetry database conventions; the query text is the normalized one).</summary>
    internal static readonly ActivitySource Source = new(Name, typeof(PgDisciplineTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly ConditionalWeakTable<DbCommand, Activity> Running = new();

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

    internal static readonly Counter<long> BackfillRows = Meter.CreateCounter<long>(
        "pgdiscipline.backfill.rows", "{row}", "Keys a backfill has done (pgdiscipline.backfill).");

    internal static readonly Histogram<double> BackfillBatchDuration = Meter.CreateHistogram<double>(
        "pgdiscipline.backfill.batch.duration", "ms", "Duration of each committed backfill batch's transaction (pgdiscipline.backfill).");

    internal static readonly Counter<long> BackfillPauses = Meter.CreateCounter<long>(
        "pgdiscipline.backfill.pauses", "{pause}", "Times a backfill waited, by reason (pgdiscipline.backfill, pgdiscipline.reason).");

    internal static readonly Histogram<double> BackfillReplicaLag = Meter.CreateHistogram<double>(
        "pgdiscipline.backfill.replica_lag", "s", "Replica lag a backfill runner saw before each batch (pgdiscipline.backfill).");

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

    internal static readonly Counter<long> TimelineUnknown = Meter.CreateCounter<long>(
        "pgdiscipline.primary.timeline_unknown", "{connection}", "Primary connections whose timeline could not be read (pgdiscipline.host): a stale primary there cannot be refused.");

    private static readonly List<WeakReference<PgDisciplineRuntime>> Runtimes = new();

    static PgDisciplineTelemetry()
    {
        Meter.CreateObservableGauge("pgdiscipline.replica.lag", () => Observe(r => r.Health.Lag?.TotalSeconds ?? 0), "s", "Replay lag of each replica.");
        Meter.CreateObservableGauge("pgdiscipline.replica.lag_bytes", () => Observe(r => (double)(r.Health.LagBytes ?? 0)), "By", "Replay lag of each replica in WAL bytes.");
        Meter.CreateObservableGauge("pgdiscipline.replica.admitted", () => Observe(r => r.Admitted ? 1 : 0), "{replica}", "1 when the replica is in rotation.");
        Meter.CreateObservableGauge("pgdiscipline.primary.timeline", ObserveTimelines, "{timeline}", "The newest primary timeline each runtime has seen (a promotion raises it).");
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

        return live.SelectMany(r => r.Router?.Replicas ?? []).Select(r => new Measurement<double>(value(r), new KeyValuePair<string, object?>("pgdiscipline.replica", r.Name))).ToList();
    }

    private static IEnumerable<Measurement<long>> ObserveTimelines()
    {
        List<PgDisciplineRuntime> live;
        lock (Runtimes)
        {
            live = Runtimes.Select(w => w.TryGetTarget(out var r) ? r : null).OfType<PgDisciplineRuntime>().ToList();
        }

        return live.Select(r => new Measurement<long>(r.Timeline.NewestTimeline)).ToList();
    }

    internal static TagList RuleTags(string ruleId, string fingerprint) => new()
    {
        { "pgdiscipline.rule", ruleId },
        { "pgdiscipline.fingerprint", fingerprint },
    };

    /// <summary>Starts the span of a command when someone listens (otherwise costs one check).</summary>
    internal static void StartCommand(DbCommand command, CommandPlan plan)
    {
        if (!Source.HasListeners())
        {
            return;
        }

        var info = plan.Info;
        var operation = OperationName(info.Kind);
        var table = info.Tables.Count > 0 ? info.Tables[0] : null;
        var summary = table is null ? operation : operation + " " + table;
        var activity = Source.StartActivity(summary, ActivityKind.Client);
        if (activity is null)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("db.system.name", "postgresql");
            activity.SetTag("db.operation.name", operation);
            if (table is not null)
            {
                activity.SetTag("db.collection.name", table);
            }

            activity.SetTag("db.query.summary", summary);
            activity.SetTag("db.query.text", info.Fingerprint.Normalized);
            activity.SetTag("pgdiscipline.fingerprint", plan.Fingerprint);
            if (command.Connection is NpgsqlConnection c)
            {
                activity.SetTag("db.namespace", c.Database);
                activity.SetTag("server.address", c.Host);
                activity.SetTag("server.port", c.Port);
            }

            activity.SetTag("pgdiscipline.target", "primary");
        }

        Running.AddOrUpdate(command, activity);
    }

    /// <summary>The command ran on a replica.</summary>
    internal static void SetTarget(DbCommand command, string target, string? host, int port)
    {
        if (Source.HasListeners() && Running.TryGetValue(command, out var activity))
        {
            activity.SetTag("pgdiscipline.target", target);
            activity.SetTag("server.address", host);
            activity.SetTag("server.port", port);
        }
    }

    /// <summary>Ends the command's span; <paramref name="errorType"/> is a SQLSTATE or a short error name.</summary>
    internal static void EndCommand(DbCommand command, string? errorType)
    {
        if (!Source.HasListeners() || !Running.TryGetValue(command, out var activity))
        {
            return;
        }

        Running.Remove(command);
        if (errorType is not null)
        {
            activity.SetTag("error.type", errorType);
            if (errorType.Length == 5 && char.IsAsciiDigit(errorType[0]))
            {
                activity.SetTag("db.response.status_code", errorType);
            }

            activity.SetStatus(ActivityStatusCode.Error);
        }

        activity.Dispose();
    }

    internal static string OperationName(SqlStatementKind kind) => kind switch
    {
        SqlStatementKind.Select => "SELECT",
        SqlStatementKind.Insert => "INSERT",
        SqlStatementKind.Update => "UPDATE",
        SqlStatementKind.Delete => "DELETE",
        SqlStatementKind.Merge => "MERGE",
        SqlStatementKind.Ddl => "DDL",
        SqlStatementKind.Utility => "UTILITY",
        _ => "OTHER",
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
