namespace PgDiscipline;

/// <summary>Thrown when a read must go to a replica (<c>FallbackToPrimary = false</c>) and no replica of the pool can serve it.</summary>
public sealed class ReplicaUnavailableException : CommandRefusedException
{
    /// <summary>Creates the exception.</summary>
    public ReplicaUnavailableException(string fingerprint, string pool)
        : base($"Query {fingerprint}: no healthy replica in pool '{pool}' and FallbackToPrimary is off", fingerprint, "routing")
    {
        Pool = pool;
    }

    /// <summary>The replica pool that had no healthy replica.</summary>
    public string Pool { get; }
}
