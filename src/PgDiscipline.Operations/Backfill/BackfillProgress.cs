using PgDiscipline.Operations;

namespace PgDiscipline;

/// <summary>A backfill as its row in <c>pgdiscipline.backfills</c> and its runner describe it. Holds no key values and
/// no statement text (either may carry literal values).</summary>
public sealed record BackfillProgress
{
    /// <summary>The backfill's name.</summary>
    public required string Name { get; init; }

    /// <summary>The table (as PostgreSQL quotes it).</summary>
    public required string Table { get; init; }

    /// <summary>The key column.</summary>
    public required string KeyColumn { get; init; }

    /// <summary>Where it stands.</summary>
    public BackfillState State { get; init; }

    /// <summary>Why it waits (<see cref="PgDiscipline.Operations.BackfillTable.Reasons"/>), while <see cref="State"/> is Paused.</summary>
    public string? PauseReason { get; init; }

    /// <summary>A pause or cancel request not yet carried out or cleared.</summary>
    public string? Requested { get; init; }

    /// <summary>Keys of the range done so far (each exactly once).</summary>
    public long RowsDone { get; init; }

    /// <summary>Rows the batch statement reported as changed.</summary>
    public long RowsAffected { get; init; }

    /// <summary>Rows in the table when the backfill started (PostgreSQL's estimate; null when unknown).</summary>
    public long? RowsEstimate { get; init; }

    /// <summary>Batches committed.</summary>
    public long Batches { get; init; }

    /// <summary>The current batch size.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Pauses by reason.</summary>
    public IReadOnlyDictionary<string, long> Pauses { get; init; } = new Dictionary<string, long>();

    /// <summary>Time spent paused.</summary>
    public TimeSpan Paused { get; init; }

    /// <summary>Time spent running (paused time included), over every run.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The largest replica lag seen by the runner.</summary>
    public TimeSpan? MaxReplicaLagSeen { get; init; }

    /// <summary>The runner (host:process:id) that holds it or last held it.</summary>
    public string? Owner { get; init; }

    /// <summary>True when a runner holds it now (its session-level lock is held).</summary>
    public bool RunnerAlive { get; init; }

    /// <summary>Why it failed (SQLSTATE and PostgreSQL's message, which names objects but not values).</summary>
    public string? Error { get; init; }

    /// <summary>When it was defined, first started, last changed and finished.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <inheritdoc cref="CreatedAt"/>
    public DateTimeOffset? StartedAt { get; init; }

    /// <inheritdoc cref="CreatedAt"/>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <inheritdoc cref="CreatedAt"/>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Keys per second over the time spent working (pauses excluded).</summary>
    public double RowsPerSecond => Elapsed - Paused is { TotalSeconds: > 0 } working ? RowsDone / working.TotalSeconds : 0;

    /// <summary>Fraction done, when the table's size is known (0..1).</summary>
    public double? Fraction => State == BackfillState.Done ? 1 : RowsEstimate is > 0 and var total ? Math.Min(1, (double)RowsDone / total) : null;

    /// <summary>Time left at the current rate, when it can be told.</summary>
    public TimeSpan? Eta => State == BackfillState.Done ? TimeSpan.Zero
        : RowsEstimate is > 0 and var total && RowsPerSecond > 0 ? TimeSpan.FromSeconds(Math.Max(0, total - RowsDone) / RowsPerSecond) : null;

    /// <summary>The snapshot form (statistics snapshot, <c>backfill status --format json</c>).</summary>
    public BackfillSnapshot ToSnapshot()
    {
        var snapshot = new BackfillSnapshot
        {
            Name = Name,
            Table = Table,
            KeyColumn = KeyColumn,
            State = PgDiscipline.Operations.Backfill.BackfillRows.StateName(State),
            PauseReason = PauseReason,
            Requested = Requested,
            RowsDone = RowsDone,
            RowsAffected = RowsAffected,
            RowsEstimate = RowsEstimate,
            Batches = Batches,
            BatchSize = BatchSize,
            RowsPerSecond = Math.Round(RowsPerSecond, 1),
            PausedSeconds = Math.Round(Paused.TotalSeconds, 3),
            ElapsedSeconds = Math.Round(Elapsed.TotalSeconds, 3),
            MaxReplicaLagSeconds = MaxReplicaLagSeen is { } lag ? Math.Round(lag.TotalSeconds, 3) : null,
            RunnerAlive = RunnerAlive,
            Error = Error,
            StartedAt = StartedAt,
            UpdatedAt = UpdatedAt,
            FinishedAt = FinishedAt,
        };
        foreach (var (reason, count) in Pauses)
        {
            snapshot.Pauses[reason] = count;
        }

        return snapshot;
    }
}
