using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace PgDiscipline.Operations.Tests;

/// <summary>The batch loop (issue 37: split out of the runner) over an in-memory store on a fake clock: every key once,
/// retries with backoff and a smaller batch, pause and cancel requests, failures recorded without values.</summary>
public sealed class BatchLoopTests
{
    private static readonly BackfillTarget Target = new("public.t", "id", "\"id\"", "bigint", 25);

    private static (BatchLoop Loop, List<BackfillProgress> Reports) Loop(FakeBackfillStore store, BackfillOptions options)
    {
        var reports = new List<BackfillProgress>();
        var run = new BackfillRun("bf", Target, "host:1:abc", options.TimeProvider, options.BatchSize);
        var loop = new BatchLoop(store, new BackfillThrottle(options, "bf"), run, options, NullLogger.Instance, new SyncProgress(reports.Add));
        return (loop, reports);
    }

    private static BackfillOptions Fixed(int batch, JumpingClock clock) => new() { BatchSize = batch, MinBatchSize = 1, MaxBatchSize = batch, TimeProvider = clock };

    [Fact]
    public async Task Every_key_is_done_once_in_keyset_batches()
    {
        var store = new FakeBackfillStore(keys: 25);
        var (loop, reports) = Loop(store, Fixed(10, new JumpingClock()));
        var result = await loop.ExecuteAsync(CancellationToken.None);

        Assert.Equal(BackfillState.Done, result.State);
        Assert.Equal([("1", "10"), ("11", "20"), ("21", "25")], store.Committed.Select(r => (r.Lower, r.Upper)));
        Assert.Equal((25, 3), (result.RowsDone, result.Batches));
        Assert.Equal(BackfillTable.StateDone, store.Finished?.State);
        Assert.True(store.Claimed);
        Assert.All(reports, r => Assert.Equal("host:1:abc", r.Owner));
    }

    [Fact]
    public async Task A_statement_timeout_halves_the_batch_and_retries_after_the_backoff()
    {
        var clock = new JumpingClock();
        var store = new FakeBackfillStore(keys: 12);
        store.BatchFailures.Enqueue(new PostgresException("canceling statement due to statement timeout", "ERROR", "ERROR", PostgresErrorCodes.QueryCanceled));
        var options = new BackfillOptions { BatchSize = 10, MinBatchSize = 1, MaxBatchSize = 10, TimeProvider = clock };
        var start = clock.GetUtcNow();
        var result = await Loop(store, options).Loop.ExecuteAsync(CancellationToken.None);

        Assert.Equal([10L, 5, 7], store.Attempts.Select(a => a.Count)); // failed 10, retried with 5, then the rest
        Assert.Equal([(BackfillTable.Reasons.StatementTimeout, BackfillTable.Reasons.StatementTimeout, false)], store.Pauses);
        Assert.Equal(1, result.Pauses[BackfillTable.Reasons.StatementTimeout]);
        Assert.Equal(BackfillThrottle.Backoff(1), clock.GetUtcNow() - start);
        Assert.Equal(12, result.RowsDone);
    }

    [Fact]
    public async Task A_pause_request_waits_a_check_interval_at_a_time_until_it_is_cleared()
    {
        var clock = new JumpingClock();
        var store = new FakeBackfillStore(keys: 20);
        store.RequestedAfterBatch.Enqueue(BackfillTable.RequestPause);
        store.Polls.Enqueue(BackfillTable.RequestPause); // still paused after the first wait, cleared after the second
        var options = new BackfillOptions { BatchSize = 10, MinBatchSize = 1, MaxBatchSize = 10, TimeProvider = clock, CheckInterval = TimeSpan.FromSeconds(3) };
        var (loop, reports) = Loop(store, options);
        var result = await loop.ExecuteAsync(CancellationToken.None);

        Assert.Equal(BackfillState.Done, result.State);
        Assert.Equal([(BackfillTable.Reasons.Requested, BackfillTable.Reasons.Requested, true)], store.Pauses); // counted once per pause
        Assert.Equal(1, store.Resumes);
        Assert.Equal(TimeSpan.FromSeconds(6), result.Paused);
        Assert.Contains(reports, r => r.State == BackfillState.Paused && r.PauseReason == BackfillTable.Reasons.Requested);
    }

    [Fact]
    public async Task A_cancel_request_stops_after_the_batch_in_flight()
    {
        var store = new FakeBackfillStore(keys: 30);
        store.RequestedAfterBatch.Enqueue(BackfillTable.RequestCancel);
        var result = await Loop(store, Fixed(10, new JumpingClock())).Loop.ExecuteAsync(CancellationToken.None);
        Assert.Equal((BackfillState.Cancelled, 10L), (result.State, result.RowsDone));
        Assert.Equal(BackfillTable.StateCancelled, store.Finished?.State);
    }

    [Fact]
    public async Task A_batch_that_keeps_failing_marks_the_backfill_failed_after_the_retries()
    {
        var store = new FakeBackfillStore(keys: 30);
        for (var i = 0; i < 3; i++)
        {
            store.BatchFailures.Enqueue(new PostgresException("canceling statement due to lock timeout", "ERROR", "ERROR", PostgresErrorCodes.LockNotAvailable));
        }

        var options = Fixed(10, new JumpingClock());
        options.MaxBatchRetries = 2;
        var ex = await Assert.ThrowsAsync<PostgresException>(() => Loop(store, options).Loop.ExecuteAsync(CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, ex.SqlState);
        Assert.Equal((BackfillTable.StateFailed, "lock_timeout: 2 retries of one batch failed (55P03 canceling statement due to lock timeout)"), (store.Finished?.State, store.Finished?.Error));
        Assert.Equal(3, store.Attempts.Count);
    }

    [Fact]
    public async Task An_error_a_retry_cannot_fix_fails_at_once_and_its_value_is_not_recorded()
    {
        var store = new FakeBackfillStore(keys: 30);
        store.BatchFailures.Enqueue(new PostgresException("invalid input syntax for type integer: \"alice@example.com\"", "ERROR", "ERROR", "22P02"));
        await Assert.ThrowsAsync<PostgresException>(() => Loop(store, Fixed(10, new JumpingClock())).Loop.ExecuteAsync(CancellationToken.None));
        Assert.Equal((BackfillTable.StateFailed, "22P02 invalid input syntax for type integer"), (store.Finished?.State, store.Finished?.Error));
    }

    [Fact]
    public async Task Cancelled_by_its_caller_while_paused_it_is_recorded_as_stopped()
    {
        using var stop = new CancellationTokenSource();
        var store = new FakeBackfillStore(keys: 30) { Requested = BackfillTable.RequestPause };
        var options = Fixed(10, new JumpingClock());
        var reports = new List<BackfillProgress>();
        var run = new BackfillRun("bf", Target, "host:1:abc", options.TimeProvider, options.BatchSize);
        var loop = new BatchLoop(store, new BackfillThrottle(options, "bf"), run, options, NullLogger.Instance, new SyncProgress(p =>
        {
            if (p.State == BackfillState.Paused)
            {
                stop.Cancel();
            }
        }));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.ExecuteAsync(stop.Token));
        Assert.Equal(BackfillTable.StateStopped, store.Finished?.State);
        Assert.Empty(store.Attempts);
    }

    [Fact]
    public async Task A_backfill_already_done_is_not_claimed_again()
    {
        var store = new FakeBackfillStore(keys: 30, state: BackfillTable.StateDone);
        var result = await Loop(store, Fixed(10, new JumpingClock())).Loop.ExecuteAsync(CancellationToken.None);
        Assert.Equal(BackfillState.Done, result.State);
        Assert.False(store.Claimed);
        Assert.Null(store.Finished);
    }

    [Fact]
    public async Task An_empty_table_is_done_without_a_batch()
    {
        var store = new FakeBackfillStore(keys: 0);
        var result = await Loop(store, Fixed(10, new JumpingClock())).Loop.ExecuteAsync(CancellationToken.None);
        Assert.Equal(BackfillState.Done, result.State);
        Assert.Empty(store.Attempts);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<BackfillProgress> report) : IProgress<BackfillProgress>
    {
        public void Report(BackfillProgress value) => report(value);
    }
}
