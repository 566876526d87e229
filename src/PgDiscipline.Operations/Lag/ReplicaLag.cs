namespace PgDiscipline.Operations;

/// <summary>
/// How far behind a streaming replica is, in time: the one rule the runtime's health monitor and <c>pgdiscipline doctor</c>
/// both apply (docs/configuration.md, "Replica lag").
/// </summary>
public static class ReplicaLag
{
    /// <summary>
    /// Replay lag in time: how old the newest data the replica does not show yet may be — an upper bound that does not
    /// invent lag from WAL that changes no visible data. In order:
    /// <list type="number">
    /// <item>Replayed all the primary had flushed at <paramref name="current"/>: zero.</item>
    /// <item>Replayed the position of an earlier reading whose snapshot is the same as the primary's now: no transaction
    /// has completed on the primary since, so the replica shows what the primary shows (a checkpoint on a quiet primary, a
    /// bulk load or a vacuum that has not committed yet): zero.</item>
    /// <item>Otherwise the smaller of now minus the commit time of the last replayed transaction (everything not yet
    /// replayed was written after it; alone, the classic false alarm after a quiet spell) and now minus the latest
    /// reading whose position the replica has replayed (everything written before it is there).</item>
    /// </list>
    /// Primary unknown: the commit-time bound, only while replay is behind what was received. Null when nothing bounds it
    /// (no transaction replayed since the replica started, no reading reached): the monitor treats that as not healthy.
    /// </summary>
    public static TimeSpan? Bound(DateTimeOffset now, ulong replay, TimeSpan? sinceLastReplayedCommit, bool replayedAllReceived, PrimaryReading? current, IReadOnlyList<PrimaryReading> history)
    {
        if (current is not { } primary)
        {
            return replayedAllReceived ? TimeSpan.Zero : sinceLastReplayedCommit;
        }

        if (replay >= primary.Position)
        {
            return TimeSpan.Zero;
        }

        var lag = sinceLastReplayedCommit;
        foreach (var sample in history)
        {
            if (sample.At == default || sample.Position > replay)
            {
                continue;
            }

            if (sample.Snapshot is not null && string.Equals(sample.Snapshot, primary.Snapshot, StringComparison.Ordinal))
            {
                return TimeSpan.Zero;
            }

            if (lag is null || now - sample.At < lag)
            {
                lag = now - sample.At;
            }
        }

        return lag < TimeSpan.Zero ? TimeSpan.Zero : lag;
    }

    /// <summary>Before a replica is called too far behind, it gets this long to reach the position the primary had when
    /// the check began (a quarter of the allowed lag, at most 100 ms): a replica that keeps up with a primary writing WAL
    /// without commits (a bulk load, a long transaction, a vacuum) is otherwise judged on an older reading.</summary>
    public static TimeSpan ConfirmDelay(TimeSpan maxLag)
        => TimeSpan.FromMilliseconds(Math.Max(0, Math.Min(maxLag.TotalMilliseconds / 4, 100)));
}
