using PgDiscipline.Operations;


namespace PgDiscipline.Operations.Tests;

/// <summary>The time-lag bound of the health check (PgDiscipline.Operations.ReplicaLag.Bound, shared by the health monitor and pgdiscipline doctor). The same behaviour on the real cluster:
/// RoutingTests.A_quiet_primary_does_not_make_a_replica_look_behind_when_new_wal_arrives and
/// RoutingTests.A_long_transaction_writing_wal_without_commits_does_not_eject_replicas_that_keep_up.</summary>
public sealed class ReplicaLagTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A reading of the primary <paramref name="secondsAgo"/> seconds ago; snapshots differ unless given.</summary>
    private static PrimaryReading At(double secondsAgo, ulong position, string? snapshot = null)
        => new(Now.AddSeconds(-secondsAgo), position, snapshot ?? $"{position}:{position}:");

    private static TimeSpan? Lag(ulong replay, TimeSpan? sinceCommit, bool replayedAllReceived, PrimaryReading? current, params PrimaryReading[] earlier)
        => ReplicaLag.Bound(Now, replay, sinceCommit, replayedAllReceived, current, current is { } c ? [.. earlier, c] : earlier);

    [Fact]
    public void Replayed_everything_the_primary_had_is_zero_however_old_the_last_commit()
        => Assert.Equal(TimeSpan.Zero, Lag(500, TimeSpan.FromMinutes(10), replayedAllReceived: true, At(0, 500)));

    [Fact]
    public void Wal_that_completed_no_transaction_since_a_reached_reading_is_no_lag()
    {
        // A quiet minute, then a checkpoint record (or a bulk load that has not committed): the primary's snapshot is
        // the one of a reading the replica has reached. The commit-time formula alone says 60 s.
        Assert.Equal(TimeSpan.Zero, Lag(500, TimeSpan.FromMinutes(1), replayedAllReceived: false, At(0, 900, "887:887:"),
            At(2, 400, "880:881:"), At(1, 500, "887:887:")));
    }

    [Fact]
    public void A_transaction_completed_since_the_reached_reading_is_bounded_by_that_reading()
    {
        // Snapshot moved on (a commit), the replica replayed up to the reading 0.25 s ago: at most 0.25 s behind.
        Assert.Equal(TimeSpan.FromSeconds(0.25), Lag(500, TimeSpan.FromMinutes(1), replayedAllReceived: false, At(0, 600, "888:888:"),
            At(1.25, 400, "886:886:"), At(0.25, 500, "887:887:")));
    }

    [Fact]
    public void Replay_stopped_while_the_primary_commits_grows_with_time()
    {
        var lag = Lag(500, TimeSpan.FromSeconds(3.1), replayedAllReceived: false, At(0, 1000),
            At(4, 400), At(3, 500), At(2, 700), At(1, 900));
        Assert.Equal(TimeSpan.FromSeconds(3), lag);
    }

    [Fact]
    public void Steady_writes_use_the_commit_time_when_it_is_the_tighter_bound()
        => Assert.Equal(TimeSpan.FromMilliseconds(20), Lag(990, TimeSpan.FromMilliseconds(20), replayedAllReceived: false, At(0, 1000),
            At(2, 500), At(1, 800)));

    [Fact]
    public void Receiver_disconnected_is_lag_even_though_replay_caught_up_with_what_was_received()
    {
        // The old shortcut (received == replayed means no lag) hid a replica that stopped receiving.
        Assert.Equal(TimeSpan.FromSeconds(30), Lag(500, TimeSpan.FromSeconds(30), replayedAllReceived: true, At(0, 900),
            At(30, 500), At(20, 700), At(10, 800)));
    }

    [Fact]
    public void Unknown_when_no_commit_was_replayed_and_no_reading_was_reached()
        => Assert.Null(Lag(100, null, replayedAllReceived: false, At(0, 900), At(1, 500)));

    [Fact]
    public void Without_the_primary_only_unreplayed_received_wal_counts()
    {
        Assert.Equal(TimeSpan.Zero, Lag(500, TimeSpan.FromMinutes(5), replayedAllReceived: true, null, At(1, 400)));
        Assert.Equal(TimeSpan.FromMinutes(5), Lag(500, TimeSpan.FromMinutes(5), replayedAllReceived: false, null, At(1, 400)));
    }

    [Fact]
    public void Unused_sample_slots_and_readings_without_a_snapshot_are_handled()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), ReplicaLag.Bound(Now, 500, TimeSpan.FromSeconds(2), false, At(0, 600),
            [default, default, At(3, 400), At(0, 600)]));
        Assert.Equal(TimeSpan.FromSeconds(1), Lag(500, TimeSpan.FromSeconds(2), replayedAllReceived: false, new PrimaryReading(Now, 600, null),
            new PrimaryReading(Now.AddSeconds(-1), 500, null)));
    }
}
