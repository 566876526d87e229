using Microsoft.Extensions.Logging;
using Npgsql;
using PgDiscipline.Operations.Diagnostics;

namespace PgDiscipline.Operations.Backfill;

/// <summary>
/// One run of a backfill once its lease is held: keyset batches until the end key, each committed with its progress row;
/// between batches it waits while the throttle says so (counting each pause by reason in the row), holds to the rate,
/// adapts the batch size, and retries a batch a retry can fix (lock or statement timeout, a primary that went away) with
/// backoff. Cancellation by request finishes it as cancelled, by the caller's token as stopped; an error a retry cannot
/// fix marks it failed (SQLSTATE and object names only) and is rethrown.
/// </summary>
internal sealed class BatchLoop(IBackfillStore store, BackfillThrottle throttle, BackfillRun run, BackfillOptions options, ILogger logger, IProgress<BackfillProgress>? progress)
{
    private bool _finished;

    private TimeProvider Time => options.TimeProvider;

    public async Task<BackfillProgress> ExecuteAsync(CancellationToken cancellationToken)
    {
        var stored = await store.LoadAsync(cancellationToken).ConfigureAwait(false);
        run.Restore(stored);
        throttle.MaxLagSeen = stored.MaxLag;
        if (stored.State == BackfillTable.StateDone)
        {
            BackfillLog.Finished(logger, run.Name, BackfillTable.StateDone, run.RowsDone);
            return Report(BackfillState.Done);
        }

        (run.Requested, var startedAt) = await store.ClaimAsync(cancellationToken).ConfigureAwait(false);
        run.StartedAt = startedAt;
        Publish(BackfillState.Running);
        BackfillLog.Started(logger, run.Name, run.Table, run.RowsDone);
        try
        {
            return await LoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !_finished)
        {
            await FinishAsync(BackfillState.Stopped, null, swallow: true).ConfigureAwait(false);
            throw;
        }
        catch (BackfillLeaseException)
        {
            throw;
        }
        catch (PostgresException ex) when (!_finished)
        {
            BackfillLog.Failed(logger, run.Name, ex.SqlState);
            // Stored and shown by status: SQLSTATE and object names only, never the row value the message may quote.
            await FinishAsync(BackfillState.Failed, SafeErrorText.Describe(ex), swallow: true).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<BackfillProgress> LoopAsync(CancellationToken cancellationToken)
    {
        var retries = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (run.Requested == BackfillTable.RequestCancel)
            {
                return await FinishAsync(BackfillState.Cancelled, null).ConfigureAwait(false);
            }

            if (await throttle.PauseReasonAsync(run.Requested, cancellationToken).ConfigureAwait(false) is { } reason)
            {
                await PauseAsync(reason, cancellationToken).ConfigureAwait(false);
                await Task.Delay(options.CheckInterval, Time, cancellationToken).ConfigureAwait(false);
                run.Requested = await store.PollRequestAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (run.PauseReason is not null)
            {
                await ResumeAsync(cancellationToken).ConfigureAwait(false);
            }

            run.BatchSize = throttle.Clamp(run.BatchSize);
            await throttle.AcquireAsync(run.BatchSize, cancellationToken).ConfigureAwait(false);

            // No end key: the table was empty when the backfill was defined.
            var range = run.EndKey is { } end ? await store.NextRangeAsync(run.LastKey, end, run.BatchSize, cancellationToken).ConfigureAwait(false) : default;
            if (range.Count == 0)
            {
                return await FinishAsync(BackfillState.Done, null).ConfigureAwait(false);
            }

            var started = Time.GetTimestamp();
            try
            {
                var (affected, requested) = await store.RunBatchAsync(range, new BatchProgress(run.LastKey, run.BatchSize, () => run.Totals(throttle.MaxLagSeen)), cancellationToken).ConfigureAwait(false);
                var took = Time.GetElapsedTime(started);
                run.Requested = requested;
                run.Committed(range, affected);
                retries = 0;
                BackfillTelemetry.Rows.Add(range.Count, BackfillTelemetry.Tag(run.Name));
                BackfillTelemetry.BatchDuration.Record(took.TotalMilliseconds, BackfillTelemetry.Tag(run.Name));
                run.BatchSize = throttle.Adapt(run.BatchSize, took);
                Publish(BackfillState.Running);
            }
            catch (Exception ex) when (BackfillThrottle.Retryable(ex, cancellationToken) is { } why)
            {
                if (++retries > options.MaxBatchRetries)
                {
                    // SQLSTATE and object names only, as for any failure (SafeErrorText).
                    BackfillLog.Failed(logger, run.Name, (ex as PostgresException)?.SqlState ?? why);
                    await FinishAsync(BackfillState.Failed, $"{why}: {retries - 1} retries of one batch failed ({SafeErrorText.Describe(ex)})", swallow: true).ConfigureAwait(false);
                    throw;
                }

                BackfillLog.BatchRetry(logger, run.Name, why, retries);
                if (why == BackfillTable.Reasons.StatementTimeout)
                {
                    run.BatchSize = throttle.Halve(run.BatchSize);
                }

                run.Requested = await CountPauseAsync(why, markPaused: false, cancellationToken).ConfigureAwait(false);
                await Task.Delay(BackfillThrottle.Backoff(retries), Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task PauseAsync(string reason, CancellationToken cancellationToken)
    {
        if (run.PauseReason == reason)
        {
            return;
        }

        if (run.BeginPause(reason))
        {
            BackfillLog.Paused(logger, run.Name, reason);
        }

        run.Requested = await CountPauseAsync(reason, markPaused: true, cancellationToken).ConfigureAwait(false);
        Publish(BackfillState.Paused);
    }

    private async Task ResumeAsync(CancellationToken cancellationToken)
    {
        var paused = run.EndPause();
        BackfillLog.Resumed(logger, run.Name, paused);
        await store.ResumeAsync(run.PausedTotal, cancellationToken).ConfigureAwait(false);
        Publish(BackfillState.Running);
    }

    /// <summary>Counts a pause by reason (row, metric); with <paramref name="markPaused"/>, also marks the row paused.</summary>
    private Task<string?> CountPauseAsync(string reason, bool markPaused, CancellationToken cancellationToken)
    {
        var key = run.CountPause(reason);
        BackfillTelemetry.Pauses.Add(1, BackfillTelemetry.Tag(run.Name), new KeyValuePair<string, object?>("pgdiscipline.reason", key));
        return store.CountPauseAsync(key, reason, markPaused, cancellationToken);
    }

    private async Task<BackfillProgress> FinishAsync(BackfillState state, string? error, bool swallow = false)
    {
        _finished = true;
        run.EndPause();
        var text = BackfillRows.StateName(state);
        try
        {
            await store.FinishAsync(text, error, run.Totals(throttle.MaxLagSeen)).ConfigureAwait(false);
        }
        catch (NpgsqlException) when (swallow)
        {
            // Finishing after a failure: the row keeps its last committed progress.
        }

        BackfillLog.Finished(logger, run.Name, text, run.RowsDone);
        options.Recorder?.Invoke(Report(state));
        return Report(state);
    }

    private BackfillProgress Report(BackfillState state) => run.Report(state, throttle.MaxLagSeen);

    private void Publish(BackfillState state)
    {
        if (progress is null && options.Recorder is null)
        {
            return;
        }

        var report = Report(state);
        options.Recorder?.Invoke(report);
        progress?.Report(report);
    }
}
