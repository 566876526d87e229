using System;
using System.Collections.Generic;

namespace PgDiscipline.Sql;

/// <summary>
/// The statistics snapshot (<c>pgdiscipline.stats/v1</c>) the runtime writes and <c>pgdiscipline report</c> reads: one typed
/// contract for both. Serialized with camelCase property names, nulls left out (each side has a System.Text.Json
/// source-generated context with those options). Nothing in it is a literal value: queries are normalized texts.
/// </summary>
public sealed class StatisticsSnapshot
{
    /// <summary>The format this version writes.</summary>
    public const string CurrentSchema = "pgdiscipline.stats/v1";

    /// <summary>Always <see cref="CurrentSchema"/> for this shape.</summary>
    public string Schema { get; set; } = CurrentSchema;

    /// <summary>When the snapshot was written.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When counting started.</summary>
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>The entry assembly's name.</summary>
    public string Application { get; set; } = "unknown";

    /// <summary><c>Statistics:MaxFingerprints</c>.</summary>
    public int MaxFingerprints { get; set; }

    /// <summary>Distinct fingerprints tracked (the overflow entry not included).</summary>
    public int DistinctFingerprints { get; set; }

    /// <summary>True once fingerprints beyond the limit were counted in the <c>overflow</c> entry.</summary>
    public bool Overflowed { get; set; }

    /// <summary>Routing targets: <c>primary</c>, then each replica's name.</summary>
    public List<string> Targets { get; set; } = [];

    /// <summary>The latency histogram layout shared by every query.</summary>
    public HistogramLayout Histogram { get; set; } = new();

    /// <summary>One entry per fingerprint, by total time, the overflow entry last.</summary>
    public List<QuerySnapshot> Queries { get; set; } = [];

    /// <summary>Recent lag of each replica.</summary>
    public List<ReplicaLagSnapshot> Replicas { get; set; } = [];
}

/// <summary>How latencies are bucketed.</summary>
public sealed class HistogramLayout
{
    /// <summary>Unit of the bounds: <c>us</c>.</summary>
    public string Unit { get; set; } = "us";

    /// <summary>The bucketing scheme, in words.</summary>
    public string Scheme { get; set; } = "";

    /// <summary>Each bucket's exclusive upper bound.</summary>
    public List<long> UpperBounds { get; set; } = [];
}

/// <summary>The counters of one fingerprint.</summary>
public sealed class QuerySnapshot
{
    /// <summary>16 lowercase hex digits, or <c>overflow</c>.</summary>
    public string Fingerprint { get; set; } = "";

    /// <summary>The normalized text (constants are placeholders).</summary>
    public string Normalized { get; set; } = "";

    /// <summary>select, insert, update, delete, merge, ddl, utility or other.</summary>
    public string Kind { get; set; } = "other";

    /// <summary>Tables the statement names.</summary>
    public List<string> Tables { get; set; } = [];

    /// <summary>Most joins in one SELECT.</summary>
    public int Joins { get; set; }

    /// <summary>EF Core's command source (LinqQuery, SaveChanges, FromSqlQuery, ExecuteSqlRaw…), when known.</summary>
    public string? Source { get; set; }

    /// <summary>Executions that reached the server.</summary>
    public long Calls { get; set; }

    /// <summary>Executions that failed or were cancelled.</summary>
    public long ErrorCount { get; set; }

    /// <summary>Failures by SQLSTATE or short error name.</summary>
    public Dictionary<string, long> Errors { get; set; } = new();

    /// <summary>Rows returned or affected.</summary>
    public long Rows { get; set; }

    /// <summary>Total time in milliseconds.</summary>
    public double TotalMs { get; set; }

    /// <summary>Median latency, ms.</summary>
    public double P50Ms { get; set; }

    /// <summary>95th percentile latency, ms.</summary>
    public double P95Ms { get; set; }

    /// <summary>99th percentile latency, ms.</summary>
    public double P99Ms { get; set; }

    /// <summary>Slowest execution, ms.</summary>
    public double MaxMs { get; set; }

    /// <summary>Executions by routing target.</summary>
    public Dictionary<string, long> Routing { get; set; } = new();

    /// <summary>Replica-bound reads that ran on the primary.</summary>
    public long Fallbacks { get; set; }

    /// <summary>Those fallbacks by reason (<c>no_replica_in_rotation</c>, <c>behind_session</c>, …).</summary>
    public Dictionary<string, long> FallbackReasons { get; set; } = new();

    /// <summary>Refused by a Block rule.</summary>
    public long Blocked { get; set; }

    /// <summary>Refused by a RateLimit or Concurrency rule.</summary>
    public long RateLimited { get; set; }

    /// <summary>Call sites (from <c>TagWithCallSite()</c>) and their calls.</summary>
    public List<CallSiteCount> CallSites { get; set; } = [];

    /// <summary>Non-empty histogram buckets as <c>[index, count]</c> pairs.</summary>
    public List<long[]> Buckets { get; set; } = [];
}

/// <summary>Calls from one call site.</summary>
public sealed class CallSiteCount
{
    /// <summary><c>path:line</c>, relative to the source root.</summary>
    public string Site { get; set; } = "";

    /// <summary>Calls.</summary>
    public long Calls { get; set; }
}

/// <summary>Lag observations of one replica.</summary>
public sealed class ReplicaLagSnapshot
{
    /// <summary>Display name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Replica pool.</summary>
    public string Pool { get; set; } = "";

    /// <summary>In rotation when the snapshot was written.</summary>
    public bool InRotation { get; set; }

    /// <summary>Observations, oldest first.</summary>
    public List<LagPoint> Lag { get; set; } = [];
}

/// <summary>One lag observation.</summary>
public sealed class LagPoint
{
    /// <summary>When.</summary>
    public DateTimeOffset T { get; set; }

    /// <summary>Replay lag in seconds.</summary>
    public double Seconds { get; set; }

    /// <summary>Replay lag in WAL bytes, when the primary answered.</summary>
    public long? Bytes { get; set; }

    /// <summary>Whether the replica was healthy (absent in older snapshots: healthy).</summary>
    public bool? Healthy { get; set; }
}
