namespace PgDiscipline;

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
