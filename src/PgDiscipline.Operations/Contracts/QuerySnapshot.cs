namespace PgDiscipline.Operations;

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

    /// <summary>Read-your-writes reads that waited for a replica to replay the session's write.</summary>
    public long SessionWaits { get; set; }

    /// <summary>Of those, the ones the replica then served (the others ran on the primary).</summary>
    public long SessionWaitsServed { get; set; }

    /// <summary>Total time those reads waited, ms.</summary>
    public double SessionWaitMs { get; set; }

    /// <summary>Coalesced reads answered with another execution's rows: server executions saved.</summary>
    public long CoalescedReads { get; set; }

    /// <summary>Executions that answered at least one coalesced read (leaders with followers).</summary>
    public long CoalescedFlights { get; set; }

    /// <summary>Reads that waited for a leader and then ran their own (the leader failed, was cancelled, or passed the
    /// buffer bound).</summary>
    public long CoalescedRanOwn { get; set; }

    /// <summary>Total time coalesced reads waited for their leader, ms.</summary>
    public double CoalescedWaitMs { get; set; }

    /// <summary>Refused by a Block rule.</summary>
    public long Blocked { get; set; }

    /// <summary>Refused by a RateLimit or Concurrency rule.</summary>
    public long RateLimited { get; set; }

    /// <summary>Call sites (from <c>TagWithCallSite()</c>) and their calls.</summary>
    public List<CallSiteCount> CallSites { get; set; } = [];

    /// <summary>Non-empty histogram buckets as <c>[index, count]</c> pairs.</summary>
    public List<long[]> Buckets { get; set; } = [];
}
