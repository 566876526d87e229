namespace PgDiscipline;

/// <summary>PgDiscipline's runtime options. Bound from configuration (section <c>PgDiscipline</c>) or set in code
/// with <c>UsePgDiscipline(pg =&gt; …)</c>; validated at startup by <c>PgDisciplineOptionsValidator</c>.</summary>
public sealed class PgDisciplineOptions
{
    /// <summary>The configuration section name used by <c>AddPgDiscipline(configuration)</c>.</summary>
    public const string SectionName = "PgDiscipline";

    /// <summary>Streaming read replicas reads may be routed to.</summary>
    public IList<ReplicaOptions> Replicas { get; } = new List<ReplicaOptions>();

    /// <summary>What an untagged read outside a transaction does. Default: <see cref="ReadRouting.Replica"/>.</summary>
    public ReadRouting DefaultRead { get; set; } = ReadRouting.Replica;

    /// <summary>Freshness of replica reads. Default: <see cref="ReadConsistency.Session"/> (read-your-writes).</summary>
    public ReadConsistency Consistency { get; set; } = ReadConsistency.Session;

    /// <summary>A replica lagging more than this is taken out of rotation. Default: 1 s.</summary>
    public TimeSpan MaxReplicaLag { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each replica's health and lag are checked. Default: 1 s.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the health checks read the primary's position to measure the replicas' lag. In the rounds between,
    /// the furthest position a replica has received stands in for it, so a fleet's monitoring does not grow the primary's
    /// load with its instances. Default 1 s (with the default <see cref="HealthCheckInterval"/>: every round).</summary>
    public TimeSpan PrimaryReadingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Read-your-writes (<see cref="ReadConsistency.Session"/>): when no replica has replayed the session's last write
    /// yet, how long a read waits for the replica furthest ahead before it runs on the primary. Default: 50 ms; zero sends
    /// it to the primary at once.</summary>
    public TimeSpan ReadYourWritesWait { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Read-your-writes (<see cref="ReadConsistency.Session"/>): an autocommit INSERT/UPDATE/DELETE/MERGE reads the
    /// primary's position right after its commit in the same network round trip (an Npgsql batch with an error barrier),
    /// instead of one more round trip before the next replica read. Default: true. Turn it off for a pooler that does not
    /// pass pipelined Sync messages through (the test cluster's PgBouncer 1.18 in transaction mode does).</summary>
    public bool PipelineWritePosition { get; set; } = true;

    /// <summary>Whether a replica read that failed on every replica may run on the primary. Default: true.</summary>
    public bool FallbackToPrimary { get; set; } = true;

    /// <summary>When replicas are configured, the context's primary connection is opened only when a command needs the
    /// primary, so replica reads keep working while the primary is down. Default: true. Note: with it,
    /// <c>Database.OpenConnection()</c> / <c>CanConnect()</c> do not touch the primary.</summary>
    public bool LazyPrimaryConnection { get; set; } = true;

    /// <summary>What sits between the app and PostgreSQL. Default: <see cref="PoolerMode.Direct"/>.</summary>
    public PoolerMode Pooler { get; set; } = PoolerMode.Direct;

    /// <summary>Server-side timeouts.</summary>
    public TimeoutOptions Timeouts { get; } = new();

    /// <summary>Query rules defined in code or configuration.</summary>
    public QueryRuleSet Rules { get; } = new();

    /// <summary>The runtime migration guard.</summary>
    public MigrationGuardOptions Migrations { get; } = new();

    /// <summary>Rules from the database table <c>pgdiscipline.query_rules</c> (written by <c>pgdiscipline rules …</c>).</summary>
    public DatabaseRuleOptions DatabaseRules { get; } = new();

    /// <summary>Session tokens carried by clients between requests: signing keys.</summary>
    public SessionTokenOptions SessionTokens { get; } = new();

    /// <summary>A primary that fails over: refusing a stale (old, returned) primary.</summary>
    public HighAvailabilityOptions HighAvailability { get; } = new();

    /// <summary>Bounds of read coalescing (Coalesce rules and <c>.Coalesce()</c>).</summary>
    public CoalescingOptions Coalescing { get; } = new();

    /// <summary>Per-fingerprint runtime statistics and their JSON snapshot (for <c>pgdiscipline report</c>).</summary>
    public StatisticsOptions Statistics { get; } = new();

    /// <summary>Adds a replica. <paramref name="pool"/> groups replicas for workload isolation.</summary>
    public ReplicaOptions AddReplica(string connectionString, string pool = ReplicaOptions.DefaultPool, int weight = 1)
    {
        var replica = new ReplicaOptions { ConnectionString = connectionString, Pool = pool, Weight = weight };
        Replicas.Add(replica);
        return replica;
    }
}
