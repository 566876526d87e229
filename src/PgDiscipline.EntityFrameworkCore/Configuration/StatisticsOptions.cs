namespace PgDiscipline;

/// <summary>Per-fingerprint runtime statistics (see docs/report.md).</summary>
public sealed class StatisticsOptions
{
    /// <summary>Collect statistics. Default true (a few interlocked increments per command).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Distinct fingerprints tracked; further ones are counted in one <c>overflow</c> entry. Default 2000
    /// (about 2.5 KB each).</summary>
    public int MaxFingerprints { get; set; } = 2000;

    /// <summary>When set, the JSON snapshot is written to this file every <see cref="SnapshotInterval"/> and when the
    /// runtime is disposed.</summary>
    public string? SnapshotPath { get; set; }

    /// <summary>How often the snapshot file is rewritten. Default 1 minute.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Call-site paths (from <c>TagWithCallSite()</c>) are made relative to this directory. Default: the
    /// repository holding the file (nearest directory with <c>.git</c>), else just the file name.</summary>
    public string? SourceRoot { get; set; }
}
