namespace PgDiscipline.Operations;

/// <summary>One lag observation.</summary>
public sealed class LagPoint
{
    /// <summary>When.</summary>
    public DateTimeOffset T { get; set; }

    /// <summary>Replay lag in seconds.</summary>
    public double Seconds { get; set; }

    /// <summary>Replay lag in WAL bytes, when the primary answered.</summary>
    public long? Bytes { get; set; }

    /// <summary>Whether the replica was healthy (absent in older snapshots: healthy).</summary>
    public bool? Healthy { get; set; }
}
