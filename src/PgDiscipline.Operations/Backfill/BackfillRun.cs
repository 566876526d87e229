namespace PgDiscipline.Operations.Backfill;

/// <summary>Where one run of a backfill stands: what it read from the row when it started, what it has done since, and
/// its pauses, on the options' clock. The batch loop changes it; <see cref="Report"/> turns it into progress.</summary>
internal sealed class BackfillRun(string name, BackfillTarget target, string owner, TimeProvider time, int batchSize)
{
    private readonly long _started = time.GetTimestamp();
    private long _pausedAt;
    private TimeSpan _pausedThisRun;
    private TimeSpan _pausedBefore;
    private TimeSpan _runBefore;

    public string Name => name;

    public string Table => target.Table;

    public string? Requested { get; set; }

    public string? LastKey { get; set; }

    public string? EndKey { get; private set; }

    public long RowsDone { get; private set; }

    public long RowsAffected { get; private set; }

    public long Batches { get; private set; }

    public int BatchSize { get; set; } = batchSize;

    public Dictionary<string, long> Pauses { get; } = new(StringComparer.Ordinal);

    /// <summary>Why the run waits now, or null while it works.</summary>
    public string? PauseReason { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Time paused, over every run (the pause in progress included).</summary>
    public TimeSpan PausedTotal => _pausedBefore + _pausedThisRun + (PauseReason is not null ? time.GetElapsedTime(_pausedAt) : TimeSpan.Zero);

    /// <summary>Time spent, pauses included, over every run.</summary>
    public TimeSpan Elapsed => _runBefore + time.GetElapsedTime(_started);

    /// <summary>Carries on from the row.</summary>
    public void Restore(StoredProgress stored)
    {
        Requested = stored.Requested;
        LastKey = stored.LastKey;
        EndKey = stored.EndKey;
        RowsDone = stored.RowsDone;
        RowsAffected = stored.RowsAffected;
        Batches = stored.Batches;
        BatchSize = stored.BatchSize ?? BatchSize;
        foreach (var (reason, count) in stored.Pauses)
        {
            Pauses[reason] = count;
        }

        _pausedBefore = stored.Paused;
        _runBefore = stored.Run;
        CreatedAt = stored.CreatedAt;
        StartedAt = stored.StartedAt;
    }

    /// <summary>A batch over <paramref name="range"/> committed.</summary>
    public void Committed(KeyRange range, long affected)
    {
        LastKey = range.Upper;
        RowsDone += range.Count;
        RowsAffected += affected;
        Batches++;
    }

    /// <summary>Counts a pause by the part of <paramref name="reason"/> before a colon; returns that key.</summary>
    public string CountPause(string reason)
    {
        var key = reason.Split(':', 2)[0];
        Pauses[key] = Pauses.GetValueOrDefault(key) + 1;
        return key;
    }

    /// <summary>Starts waiting for <paramref name="reason"/>; true when the run was working until now.</summary>
    public bool BeginPause(string reason)
    {
        var began = PauseReason is null;
        if (began)
        {
            _pausedAt = time.GetTimestamp();
        }

        PauseReason = reason;
        return began;
    }

    /// <summary>Stops waiting; returns how long this pause lasted.</summary>
    public TimeSpan EndPause()
    {
        if (PauseReason is null)
        {
            return TimeSpan.Zero;
        }

        var paused = time.GetElapsedTime(_pausedAt);
        _pausedThisRun += paused;
        PauseReason = null;
        return paused;
    }

    public RunTotals Totals(TimeSpan? maxLag) => new(Elapsed, PausedTotal, maxLag);

    public BackfillProgress Report(BackfillState state, TimeSpan? maxLag)
    {
        var now = time.GetUtcNow();
        return new BackfillProgress
        {
            Name = name,
            Table = target.Table,
            KeyColumn = target.Column,
            State = state,
            PauseReason = state == BackfillState.Paused ? PauseReason : null,
            Requested = Requested,
            RowsDone = RowsDone,
            RowsAffected = RowsAffected,
            RowsEstimate = target.RowsEstimate,
            Batches = Batches,
            BatchSize = BatchSize,
            Pauses = new Dictionary<string, long>(Pauses, StringComparer.Ordinal),
            Paused = PausedTotal,
            Elapsed = Elapsed,
            MaxReplicaLagSeen = maxLag,
            Owner = owner,
            RunnerAlive = state is BackfillState.Running or BackfillState.Paused,
            CreatedAt = CreatedAt,
            StartedAt = StartedAt,
            UpdatedAt = now,
            FinishedAt = state == BackfillState.Done ? now : null,
        };
    }
}
