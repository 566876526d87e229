namespace PgDiscipline;

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
