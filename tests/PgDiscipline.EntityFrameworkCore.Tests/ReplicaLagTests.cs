namespace PgDiscipline.EntityFrameworkCore.Tests;

/// <summary>The time-lag bound of the health check (ReplicaHealthMonitor.LagOf). The same behaviour on the real cluster is
/// RoutingTests.A_quiet_primary_does_not_make_a_replica_look_behind_when_new_wal_arrives.</summary>
public sealed class ReplicaLagTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static PrimarySample At(double secondsAgo, ulong position) => new(Now.AddSeconds(-secondsAgo), new Lsn(position));

    [Fact]
    public void Replayed_everything_the_primary_had_is_zero_however_old_the_last_commit()
        => Assert.Equal(TimeSpan.Zero, ReplicaHealthMonitor.LagOf(Now, new Lsn(500), TimeSpan.FromMinutes(10), replayedAllReceived: true, new Lsn(500), []));

    [Fact]
    public void New_wal_after_a_quiet_minute_is_bounded_by_the_last_reading_the_replica_had_reached()
    {
        // Last commit a minute ago; the primary read 0.25 s ago at 500, which the replica has replayed; it has since
        // received one more record (a checkpoint) not yet replayed. The commit-time formula alone says 60 s.
        var lag = ReplicaHealthMonitor.LagOf(Now, new Lsn(500), TimeSpan.FromMinutes(1), replayedAllReceived: false, new Lsn(600),
            [At(1.25, 400), At(0.25, 500)]);
        Assert.Equal(TimeSpan.FromSeconds(0.25), lag);
    }

    [Fact]
    public void Replay_stopped_while_the_primary_writes_grows_with_time()
    {
        // Replay stuck at 500 since 3 s ago; the primary wrote on; the last commit replayed was 3.1 s ago.
        ReadOnlySpan<PrimarySample> samples = [At(4, 400), At(3, 500), At(2, 700), At(1, 900)];
        var lag = ReplicaHealthMonitor.LagOf(Now, new Lsn(500), TimeSpan.FromSeconds(3.1), replayedAllReceived: false, new Lsn(1000), samples);
        Assert.Equal(TimeSpan.FromSeconds(3), lag);
    }

    [Fact]
    public void Steady_writes_use_the_commit_time_when_it_is_the_tighter_bound()
    {
        // Under steady load the last replayed commit is 20 ms old while readings are a second apart.
        var lag = ReplicaHealthMonitor.LagOf(Now, new Lsn(990), TimeSpan.FromMilliseconds(20), replayedAllReceived: false, new Lsn(1000),
            [At(2, 500), At(1, 800)]);
        Assert.Equal(TimeSpan.FromMilliseconds(20), lag);
    }

    [Fact]
    public void Receiver_disconnected_is_lag_even_though_replay_caught_up_with_what_was_received()
    {
        // The old shortcut (received == replayed means no lag) hid a replica that stopped receiving.
        var lag = ReplicaHealthMonitor.LagOf(Now, new Lsn(500), TimeSpan.FromSeconds(30), replayedAllReceived: true, new Lsn(900),
            [At(30, 500), At(20, 700), At(10, 800)]);
        Assert.Equal(TimeSpan.FromSeconds(30), lag);
    }

    [Fact]
    public void Unknown_when_no_commit_was_replayed_and_no_reading_was_reached()
        => Assert.Null(ReplicaHealthMonitor.LagOf(Now, new Lsn(100), null, replayedAllReceived: false, new Lsn(900), [At(1, 500)]));

    [Fact]
    public void Without_the_primary_only_unreplayed_received_wal_counts()
    {
        Assert.Equal(TimeSpan.Zero, ReplicaHealthMonitor.LagOf(Now, new Lsn(500), TimeSpan.FromMinutes(5), replayedAllReceived: true, null, [At(1, 400)]));
        Assert.Equal(TimeSpan.FromMinutes(5), ReplicaHealthMonitor.LagOf(Now, new Lsn(500), TimeSpan.FromMinutes(5), replayedAllReceived: false, null, [At(1, 400)]));
    }

    [Fact]
    public void Unused_sample_slots_are_ignored()
        => Assert.Equal(TimeSpan.FromSeconds(2), ReplicaHealthMonitor.LagOf(Now, new Lsn(500), TimeSpan.FromSeconds(2), replayedAllReceived: false, new Lsn(600),
            [default, default, At(3, 400)]));
}
