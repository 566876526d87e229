namespace PgDiscipline;

/// <summary>Where a read that carries no routing intent goes when it runs outside a transaction.</summary>
public enum ReadRouting
{
    /// <summary>Untagged reads go to the primary; only <c>ReadFromReplica()</c> reads go to replicas.</summary>
    Primary,

    /// <summary>Untagged replica-safe reads go to a healthy replica.</summary>
    Replica,
}

/// <summary>How fresh replica reads must be.</summary>
public enum ReadConsistency
{
    /// <summary>Any healthy replica within <see cref="PgDisciplineOptions.MaxReplicaLag"/> may serve a read.</summary>
    Eventual,

    /// <summary>Read-your-writes: after a write commits, the session only reads from replicas that replayed its commit LSN.</summary>
    Session,

    /// <summary>Every read goes to the primary.</summary>
    Strong,
}

/// <summary>What sits between the application and PostgreSQL.</summary>
public enum PoolerMode
{
    /// <summary>Direct connections (or a session-mode pooler): timeouts are set once as startup options.</summary>
    Direct,

    /// <summary>PgBouncer in transaction mode: session <c>SET</c> leaks and the <c>options</c> startup parameter is rejected,
    /// so timeouts are applied per transaction with <c>set_config(…, true)</c>.</summary>
    PgBouncerTransaction,
}

/// <summary>Relative importance of a query, used to pick a replica pool and by query rules.</summary>
public enum QueryPriority
{
    /// <summary>Background or batch work; may be served by a dedicated low-priority replica pool.</summary>
    Low,

    /// <summary>Regular interactive traffic.</summary>
    Normal,

    /// <summary>Latency-critical traffic.</summary>
    High,
}
