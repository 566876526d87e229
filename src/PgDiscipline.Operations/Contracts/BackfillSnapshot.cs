namespace PgDiscipline.Operations;

/// <summary>A backfill in a statistics snapshot (<see cref="StatisticsSnapshot.Backfills"/>) or in
/// <c>pgdiscipline backfill status --format json</c> (<see cref="BackfillStatusDocument"/>). No key values, no statement text.</summary>
public sealed class BackfillSnapshot
{
    /// <summary>The backfill's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The table.</summary>
    public string Table { get; set; } = "";

    /// <summary>The key column.</summary>
    public string KeyColumn { get; set; } = "";

    /// <summary>pending, running, paused, done, cancelled, failed or stopped (<see cref="BackfillTable"/>).</summary>
    public string State { get; set; } = BackfillTable.StatePending;

    /// <summary>Why it waits, while paused.</summary>
    public string? PauseReason { get; set; }

    /// <summary>A pause or cancel request not yet carried out.</summary>
    public string? Requested { get; set; }

    /// <summary>Keys done.</summary>
    public long RowsDone { get; set; }

    /// <summary>Rows the batch statement changed.</summary>
    public long RowsAffected { get; set; }

    /// <summary>The table's size when it started (PostgreSQL's estimate).</summary>
    public long? RowsEstimate { get; set; }

    /// <summary>Batches committed.</summary>
    public long Batches { get; set; }

    /// <summary>Current batch size.</summary>
    public int? BatchSize { get; set; }

    /// <summary>Keys per second while working (pauses excluded).</summary>
    public double RowsPerSecond { get; set; }

    /// <summary>Pauses by reason.</summary>
    public Dictionary<string, long> Pauses { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Seconds paused.</summary>
    public double PausedSeconds { get; set; }

    /// <summary>Seconds since it first started, over every run (pauses included).</summary>
    public double ElapsedSeconds { get; set; }

    /// <summary>The largest replica lag its runner saw, in seconds.</summary>
    public double? MaxReplicaLagSeconds { get; set; }

    /// <summary>True when a runner holds it now.</summary>
    public bool RunnerAlive { get; set; }

    /// <summary>Why it failed (SQLSTATE and message; no values).</summary>
    public string? Error { get; set; }

    /// <summary>When it first started.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When its row last changed.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When it finished.</summary>
    public DateTimeOffset? FinishedAt { get; set; }
}

/// <summary><c>pgdiscipline backfill status --format json</c>: every backfill of a database (also an input of <c>pgdiscipline report</c>).</summary>
public sealed class BackfillStatusDocument
{
    /// <summary>The format this version writes.</summary>
    public const string CurrentSchema = "pgdiscipline.backfills/v1";

    /// <summary>Always <see cref="CurrentSchema"/>.</summary>
    public string Schema { get; set; } = CurrentSchema;

    /// <summary>When it was read.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The backfills, oldest first.</summary>
    public List<BackfillSnapshot> Backfills { get; set; } = [];
}
