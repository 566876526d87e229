namespace PgDiscipline.Operations.Backfill;

/// <summary>
/// The progress row of one backfill and the batches that commit with it: everything the batch loop reads and writes in
/// the database, behind one seam so the loop's decisions (pauses, retries, batch sizes, cancellation) are tested without
/// one. Every write after <see cref="ClaimAsync"/> names this runner as the row's owner; one that finds another owner
/// throws <see cref="BackfillLeaseException"/>.
/// </summary>
internal interface IBackfillStore
{
    /// <summary>Creates the row if the backfill is new (end key: the table's last key now), reads it, and refuses a name used
    /// for another definition (<see cref="BackfillDefinitionException"/>).</summary>
    Task<StoredProgress> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Marks the row running under this runner; returns a pending request and when it first started.</summary>
    Task<(string? Requested, DateTimeOffset StartedAt)> ClaimAsync(CancellationToken cancellationToken);

    /// <summary>The next batch: at most <paramref name="size"/> keys after <paramref name="after"/> (from the start when null),
    /// up to <paramref name="end"/>.</summary>
    Task<KeyRange> NextRangeAsync(string? after, string end, int size, CancellationToken cancellationToken);

    /// <summary>Runs the batch over [<paramref name="range"/>] and moves the row past it in one transaction: all or nothing.
    /// Returns the rows the statement changed and the pending request.</summary>
    Task<(long Affected, string? Requested)> RunBatchAsync(KeyRange range, BatchProgress progress, CancellationToken cancellationToken);

    /// <summary>Counts one pause under <paramref name="key"/>; with <paramref name="markPaused"/>, also marks the row paused
    /// with <paramref name="reason"/>. Returns the pending request.</summary>
    Task<string?> CountPauseAsync(string key, string reason, bool markPaused, CancellationToken cancellationToken);

    /// <summary>Marks the row running again after a pause.</summary>
    Task ResumeAsync(TimeSpan paused, CancellationToken cancellationToken);

    /// <summary>The pending request (pause, cancel) or null.</summary>
    Task<string?> PollRequestAsync(CancellationToken cancellationToken);

    /// <summary>Records how the run ended (<see cref="BackfillTable"/>'s states) and its totals. Not cancellable.</summary>
    Task FinishAsync(string state, string? error, RunTotals totals);
}

/// <summary>The row as a run found it.</summary>
internal sealed record StoredProgress(
    string State,
    string? Requested,
    string? LastKey,
    string? EndKey,
    long RowsDone,
    long RowsAffected,
    long Batches,
    int? BatchSize,
    IReadOnlyDictionary<string, long> Pauses,
    TimeSpan Paused,
    TimeSpan Run,
    TimeSpan? MaxLag,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt);

/// <summary>A batch's keys: the first and last (as text) and how many.</summary>
internal readonly record struct KeyRange(string? Lower, string? Upper, long Count);

/// <summary>What the row says after a batch commits: where it was (<paramref name="PreviousKey"/>, checked, so two runners
/// never both move it), the batch size and the run's totals (read once the batch's statement has run).</summary>
internal readonly record struct BatchProgress(string? PreviousKey, int BatchSize, Func<RunTotals> Totals);

/// <summary>Time spent (pauses included, over every run), time paused, and the largest replica lag seen.</summary>
internal readonly record struct RunTotals(TimeSpan Run, TimeSpan Paused, TimeSpan? MaxLag);
