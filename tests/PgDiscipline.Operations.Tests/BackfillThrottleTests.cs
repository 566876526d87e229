using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace PgDiscipline.Operations.Tests;

/// <summary>The throttle between batches (issue 37: split out of the runner, on <see cref="TimeProvider"/>): the rate limit
/// on a fake clock, pause reasons, batch sizes, which failures are retried and after how long.</summary>
public sealed class BackfillThrottleTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_rate_lets_the_first_batch_through_and_the_next_after_exactly_its_share_of_a_second()
    {
        var time = new FakeTimeProvider(Noon);
        var rate = new RowRate(perSecond: 100, capacity: 20, time);
        await rate.AcquireAsync(20, CancellationToken.None); // a full bucket: the first batch does not wait

        var next = rate.AcquireAsync(20, CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1)); // 20 keys at 100/s: 200 ms
        await next.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(rate.Available < 1);
    }

    [Fact]
    public async Task A_wait_for_the_rate_ends_when_the_run_is_cancelled()
    {
        var time = new FakeTimeProvider(Noon);
        var rate = new RowRate(perSecond: 1, capacity: 10, time);
        await rate.AcquireAsync(10, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var next = rate.AcquireAsync(10, stop.Token).AsTask();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_throttle_holds_a_batch_until_the_rate_allows_it_on_the_options_clock()
    {
        var time = new FakeTimeProvider(Noon);
        var throttle = new BackfillThrottle(new BackfillOptions { RowsPerSecond = 1000, MinBatchSize = 10, TimeProvider = time }, "bf");
        Assert.Equal(200, throttle.EffectiveMax); // 1000/s for the 200 ms target
        await throttle.AcquireAsync(200, CancellationToken.None);
        var next = throttle.AcquireAsync(100, CancellationToken.None).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await next.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(1000, 400, 500)] // twice the target: half
    [InlineData(1000, 50, 2000)] // a quarter: at most double
    [InlineData(1000, 200, 1000)]
    [InlineData(8, 1000, 10)] // never under MinBatchSize
    [InlineData(9000, 10, 10_000)] // never over MaxBatchSize
    public void The_batch_size_moves_toward_the_target_duration(int size, int tookMs, int expected)
        => Assert.Equal(expected, new BackfillThrottle(new BackfillOptions(), "bf").Adapt(size, TimeSpan.FromMilliseconds(tookMs)));

    [Fact]
    public void A_statement_timeout_halves_the_batch_down_to_the_smallest()
    {
        var throttle = new BackfillThrottle(new BackfillOptions { MinBatchSize = 10 }, "bf");
        Assert.Equal(500, throttle.Halve(1000));
        Assert.Equal(10, throttle.Halve(15));
    }

    [Fact]
    public async Task A_pause_request_and_a_closed_window_are_reasons_to_wait()
    {
        var time = new FakeTimeProvider(Noon);
        var options = new BackfillOptions { TimeProvider = time, Window = BackfillWindow.Parse("22:00-06:00") };
        var throttle = new BackfillThrottle(options, "bf");
        Assert.Equal(BackfillTable.Reasons.Requested, await throttle.PauseReasonAsync(BackfillTable.RequestPause, CancellationToken.None));
        Assert.Equal(BackfillTable.Reasons.Window, await throttle.PauseReasonAsync(null, CancellationToken.None));
        time.Advance(TimeSpan.FromHours(10)); // 22:00
        Assert.Null(await throttle.PauseReasonAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task A_replica_behind_the_bound_or_behind_by_an_unknown_time_pauses_and_an_unreachable_one_does_not()
    {
        ReplicaLagReading[] readings = [new("r1", TimeSpan.FromMilliseconds(300), 100), new("dead", null, null)];
        var options = new BackfillOptions { MaxReplicaLag = TimeSpan.FromMilliseconds(500), ReplicaLag = () => readings };
        var throttle = new BackfillThrottle(options, "bf");
        Assert.Null(await throttle.PauseReasonAsync(null, CancellationToken.None));
        Assert.Equal(TimeSpan.FromMilliseconds(300), throttle.MaxLagSeen);

        readings = [new("r1", TimeSpan.FromSeconds(2), 100), new("dead", null, null)];
        Assert.Equal(BackfillTable.Reasons.ReplicaLag, await throttle.PauseReasonAsync(null, CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.MaxLagSeen);

        readings = [new("fresh", null, 4096)]; // behind, and no commit replayed since it started
        Assert.Equal(BackfillTable.Reasons.ReplicaLag, await throttle.PauseReasonAsync(null, CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(2), throttle.MaxLagSeen);
    }

    [Fact]
    public async Task The_primary_probe_speaks_last()
    {
        var throttle = new BackfillThrottle(new BackfillOptions(), "bf", _ => ValueTask.FromResult<string?>("primary_guard: queue depth 900"));
        Assert.Equal("primary_guard: queue depth 900", await throttle.PauseReasonAsync(null, CancellationToken.None));
        Assert.Equal(BackfillTable.Reasons.Requested, await throttle.PauseReasonAsync(BackfillTable.RequestPause, CancellationToken.None));
    }

    [Theory]
    [InlineData("55P03", "lock_timeout")]
    [InlineData("40P01", "lock_timeout")]
    [InlineData("57014", "statement_timeout")]
    [InlineData("57P01", "primary_unavailable")]
    [InlineData("25006", "primary_unavailable")]
    [InlineData("23505", null)]
    [InlineData("42703", null)]
    public void Failures_a_retry_can_fix_name_their_pause_reason(string sqlState, string? reason)
        => Assert.Equal(reason, BackfillThrottle.Retryable(new PostgresException("m", "ERROR", "ERROR", sqlState), CancellationToken.None));

    [Fact]
    public void A_lost_connection_is_retried_and_nothing_is_once_the_run_is_cancelled()
    {
        Assert.Equal(BackfillTable.Reasons.PrimaryUnavailable, BackfillThrottle.Retryable(new NpgsqlException("broken"), CancellationToken.None));
        Assert.Null(BackfillThrottle.Retryable(new InvalidOperationException(), CancellationToken.None));
        Assert.Null(BackfillThrottle.Retryable(new NpgsqlException("broken"), new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Backoff_doubles_from_100_ms_to_at_most_5_s()
        => Assert.Equal([100, 200, 400, 800, 1600, 3200, 5000, 5000], Enumerable.Range(1, 8).Select(a => BackfillThrottle.Backoff(a).TotalMilliseconds));
}
