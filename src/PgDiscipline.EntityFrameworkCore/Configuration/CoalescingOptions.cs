namespace PgDiscipline;

/// <summary>Bounds of read coalescing (<see cref="QueryRuleAction.Coalesce"/>, <c>.Coalesce()</c>): the leader of a
/// coalesced read holds its rows in memory for the readers waiting on it.</summary>
public sealed class CoalescingOptions
{
    /// <summary>Rows a leader buffers for its followers. Past it, the followers run their own read and the leader streams
    /// the rest. Default 10,000.</summary>
    public int MaxRows { get; set; } = 10_000;

    /// <summary>About how many bytes a leader buffers (strings and byte arrays by length, other values a few words).
    /// Past it, as for <see cref="MaxRows"/>. Default 8 MiB.</summary>
    public long MaxBytes { get; set; } = 8L << 20;
}
