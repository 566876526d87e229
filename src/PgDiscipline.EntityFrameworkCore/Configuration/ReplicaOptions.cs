namespace PgDiscipline;

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
