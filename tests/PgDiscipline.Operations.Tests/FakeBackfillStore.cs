using System.Globalization;

namespace PgDiscipline.Operations.Tests;

/// <summary>An <see cref="IBackfillStore"/> over the keys 1..<c>keys</c> in memory: the batch loop's decisions are tested
/// without a database (the SQL of <see cref="BackfillStore"/> is covered on the cluster by the integration tests).</summary>
internal sealed class FakeBackfillStore(int keys, string state = BackfillTable.StatePending) : IBackfillStore
{
    /// <summary>Thrown, in order, by the next batches (null: the batch commits).</summary>
    public Queue<Exception?> BatchFailures { get; } = new();

    /// <summary>What the row's <c>requested</c> says after each committed batch, in order (then null).</summary>
    public Queue<string?> RequestedAfterBatch { get; } = new();

    /// <summary>What each poll while paused reads, in order (then null).</summary>
    public Queue<string?> Polls { get; } = new();

    public List<KeyRange> Attempts { get; } = [];

    public List<KeyRange> Committed { get; } = [];

    public List<(string Key, string Reason, bool MarkPaused)> Pauses { get; } = [];

    public int Resumes { get; private set; }

    public bool Claimed { get; private set; }

    public (string State, string? Error, RunTotals Totals)? Finished { get; private set; }

    public string? Requested { get; set; }

    public Task<StoredProgress> LoadAsync(CancellationToken cancellationToken)
        => Task.FromResult(new StoredProgress(state, null, null, keys > 0 ? Key(keys) : null, 0, 0, 0, null, new Dictionary<string, long>(),
            TimeSpan.Zero, TimeSpan.Zero, null, DateTimeOffset.UnixEpoch, null));

    public Task<(string? Requested, DateTimeOffset StartedAt)> ClaimAsync(CancellationToken cancellationToken)
    {
        Claimed = true;
        return Task.FromResult((Requested, DateTimeOffset.UnixEpoch));
    }

    public Task<KeyRange> NextRangeAsync(string? after, string end, int size, CancellationToken cancellationToken)
    {
        var first = after is null ? 1 : long.Parse(after, CultureInfo.InvariantCulture) + 1;
        var last = Math.Min(long.Parse(end, CultureInfo.InvariantCulture), first + size - 1);
        return Task.FromResult(last < first ? default : new KeyRange(Key(first), Key(last), last - first + 1));
    }

    public Task<(long Affected, string? Requested)> RunBatchAsync(KeyRange range, BatchProgress progress, CancellationToken cancellationToken)
    {
        Attempts.Add(range);
        Assert.Equal(Committed.Count == 0 ? null : Committed[^1].Upper, progress.PreviousKey);
        if (BatchFailures.TryDequeue(out var failure) && failure is not null)
        {
            throw failure;
        }

        Committed.Add(range);
        Requested = RequestedAfterBatch.TryDequeue(out var requested) ? requested : Requested;
        return Task.FromResult((range.Count, Requested));
    }

    public Task<string?> CountPauseAsync(string key, string reason, bool markPaused, CancellationToken cancellationToken)
    {
        Pauses.Add((key, reason, markPaused));
        return Task.FromResult(Requested);
    }

    public Task ResumeAsync(TimeSpan paused, CancellationToken cancellationToken)
    {
        Resumes++;
        return Task.CompletedTask;
    }

    public Task<string?> PollRequestAsync(CancellationToken cancellationToken)
    {
        Requested = Polls.TryDequeue(out var next) ? next : null;
        return Task.FromResult(Requested);
    }

    public Task FinishAsync(string state, string? error, RunTotals totals)
    {
        Finished = (state, error, totals);
        return Task.CompletedTask;
    }

    private static string Key(long key) => key.ToString(CultureInfo.InvariantCulture);
}
