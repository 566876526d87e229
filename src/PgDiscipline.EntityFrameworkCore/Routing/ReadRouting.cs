namespace PgDiscipline;

/// <summary>Where a read that carries no routing intent goes when it runs outside a transaction.</summary>
public enum ReadRouting
{
    /// <summary>Untagged reads go to the primary; only <c>ReadFromReplica()</c> reads go to replicas.</summary>
    Primary,

    /// <summary>Untagged replica-safe reads go to a healthy replica.</summary>
    Replica,
}
