namespace PgDiscipline;

/// <summary>One replica's replay lag as last seen (by a <see cref="ReplicaLagMonitor"/>, or a PgDiscipline runtime's
/// health monitor): what <see cref="BackfillOptions.ReplicaLag"/> gives the backfill runner before each batch.</summary>
public sealed class ReplicaLagReading
{
    /// <summary>Creates a reading.</summary>
    /// <param name="replica">The replica's display name (host:port, or its configured name).</param>
    /// <param name="lag">Replay lag in time (<see cref="Operations.ReplicaLag.Bound"/>); null when not known.</param>
    /// <param name="bytesBehind">WAL bytes the replica has not replayed yet; null when not known.</param>
    public ReplicaLagReading(string replica, TimeSpan? lag, long? bytesBehind)
    {
        ArgumentNullException.ThrowIfNull(replica);
        Replica = replica;
        Lag = lag;
        BytesBehind = bytesBehind;
    }

    /// <summary>The replica's display name.</summary>
    public string Replica { get; }

    /// <summary>Replay lag in time; null when not known: the replica could not be reached, or it is behind and has replayed
    /// no commit since it started (then <see cref="BytesBehind"/> is positive).</summary>
    public TimeSpan? Lag { get; }

    /// <summary>WAL bytes behind the primary; null when the replica or the primary could not be read.</summary>
    public long? BytesBehind { get; }

    /// <summary>True when the replica is behind but by how long is not known yet: a backfill waits for it.</summary>
    public bool BehindByUnknownTime => Lag is null && BytesBehind is > 0;
}
