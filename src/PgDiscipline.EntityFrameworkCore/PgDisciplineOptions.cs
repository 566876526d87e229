namespace PgDiscipline;

/// <summary>PgDiscipline's runtime options. Bound from configuration (section <c>PgDiscipline</c>) or set in code
/// with <c>UsePgDiscipline(pg =&gt; …)</c>; validated at startup by <see cref="PgDisciplineOptionsValidator"/>.</summary>
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

/// <summary>One streaming read replica.</summary>
public sealed class ReplicaOptions
{
    /// <summary>The pool a replica belongs to when none is named.</summary>
    public const string DefaultPool = "default";

    /// <summary>Npgsql connection string of the replica.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Optional display name (metrics, logs); defaults to host:port.</summary>
    public string? Name { get; set; }

    /// <summary>Named pool for workload isolation (for example <c>low-priority</c>).</summary>
    public string Pool { get; set; } = DefaultPool;

    /// <summary>Relative share of reads this replica takes among healthy replicas of its pool. Default 1.</summary>
    public int Weight { get; set; } = 1;

    /// <summary>Timeouts for this replica that override the global ones (Direct mode: applied as startup options of its
    /// connections). Use it to give a reporting pool a longer statement timeout.</summary>
    public TimeoutOptions Timeouts { get; } = new();
}

/// <summary>Server-side timeouts. <c>null</c> leaves the server's own setting alone.</summary>
public sealed class TimeoutOptions
{
    /// <summary><c>statement_timeout</c>.</summary>
    public TimeSpan? Statement { get; set; }

    /// <summary><c>lock_timeout</c>.</summary>
    public TimeSpan? Lock { get; set; }

    /// <summary><c>idle_in_transaction_session_timeout</c>.</summary>
    public TimeSpan? IdleInTransaction { get; set; }
}

/// <summary>The database rule source. Off unless <see cref="ConnectionString"/> is set.</summary>
public sealed class DatabaseRuleOptions
{
    /// <summary>A direct connection to the primary (not through PgBouncer transaction mode: LISTEN needs a session).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Reload even without a notification this often. Default 30 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Create the table, trigger and schema if missing (idempotent). Default true.</summary>
    public bool CreateTable { get; set; } = true;
}

/// <summary>Per-fingerprint runtime statistics (see docs/report.md).</summary>
public sealed class StatisticsOptions
{
    /// <summary>Collect statistics. Default true (a few interlocked increments per command).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Distinct fingerprints tracked; further ones are counted in one <c>overflow</c> entry. Default 2000
    /// (about 2.5 KB each).</summary>
    public int MaxFingerprints { get; set; } = 2000;

    /// <summary>When set, the JSON snapshot is written to this file every <see cref="SnapshotInterval"/> and when the
    /// runtime is disposed.</summary>
    public string? SnapshotPath { get; set; }

    /// <summary>How often the snapshot file is rewritten. Default 1 minute.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Call-site paths (from <c>TagWithCallSite()</c>) are made relative to this directory. Default: the
    /// repository holding the file (nearest directory with <c>.git</c>), else just the file name.</summary>
    public string? SourceRoot { get; set; }
}
