namespace PgDiscipline.Operations;

/// <summary>A reading of the primary: when, its flushed WAL position, and its snapshot (<c>pg_current_snapshot()</c>,
/// <c>xmin:xmax:xip</c>, which changes whenever a transaction completes; null when not read).</summary>
public readonly struct PrimaryReading
{
    /// <summary>Creates a reading.</summary>
    public PrimaryReading(DateTimeOffset at, ulong position, string? snapshot = null)
    {
        At = at;
        Position = position;
        Snapshot = snapshot;
    }

    /// <summary>When it was read (default: an empty slot of a history).</summary>
    public DateTimeOffset At { get; }

    /// <summary><c>pg_current_wal_flush_lsn()</c> as a number.</summary>
    public ulong Position { get; }

    /// <summary><c>pg_current_snapshot()</c> as text, or null.</summary>
    public string? Snapshot { get; }
}
