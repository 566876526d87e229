namespace PgDiscipline.Operations;

/// <summary>
/// The statistics snapshot (<c>pgdiscipline.stats/v1</c>) the runtime writes and <c>pgdiscipline report</c> reads: one typed
/// contract for both. Serialized with camelCase property names, nulls left out (each side has a System.Text.Json
/// source-generated context with those options). Nothing in it is a literal value: queries are normalized texts.
/// </summary>
public sealed class StatisticsSnapshot
{
    /// <summary>The format this version writes.</summary>
    public const string CurrentSchema = "pgdiscipline.stats/v1";

    /// <summary>Always <see cref="CurrentSchema"/> for this shape.</summary>
    public string Schema { get; set; } = CurrentSchema;

    /// <summary>When the snapshot was written.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When counting started.</summary>
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>The entry assembly's name.</summary>
    public string Application { get; set; } = "unknown";

    /// <summary><c>Statistics:MaxFingerprints</c>.</summary>
    public int MaxFingerprints { get; set; }

    /// <summary>Distinct fingerprints tracked (the overflow entry not included).</summary>
    public int DistinctFingerprints { get; set; }

    /// <summary>True once fingerprints beyond the limit were counted in the <c>overflow</c> entry.</summary>
    public bool Overflowed { get; set; }

    /// <summary>Routing targets: <c>primary</c>, then each replica's name.</summary>
    public List<string> Targets { get; set; } = [];

    /// <summary>The latency histogram layout shared by every query.</summary>
    public HistogramLayout Histogram { get; set; } = new();

    /// <summary>One entry per fingerprint, by total time, the overflow entry last.</summary>
    public List<QuerySnapshot> Queries { get; set; } = [];

    /// <summary>Recent lag of each replica.</summary>
    public List<ReplicaLagSnapshot> Replicas { get; set; } = [];

    /// <summary>Backfills this process ran (the latest state of each).</summary>
    public List<BackfillSnapshot> Backfills { get; set; } = [];
}
