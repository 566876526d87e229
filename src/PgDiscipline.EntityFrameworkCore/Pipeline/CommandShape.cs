using Npgsql;

namespace PgDiscipline.Pipeline;

/// <summary>
/// The command as PgDiscipline sends it: the application's statements with what PgDiscipline adds around them, in order —
/// a transaction-local timeout prefix, a replica freshness probe, and after the last statement a write-position capture.
/// The leading statements each produce one result set that <see cref="ShapedResults.PositionAsync"/> steps over (reading
/// the probe's answer), so the readers, executors and statistics above it see only the application's results. The capture
/// produces no result set (a message), so nothing needs to skip it.
/// </summary>
internal struct CommandShape
{
    /// <summary>The <c>set_config</c> statement to run first, or null.</summary>
    public string? Prefix;

    /// <summary>The freshness probe follows the prefix (replica reads under read-your-writes).</summary>
    public bool Probe;

    /// <summary>The write-position capture that follows the write (an Npgsql batch with an error barrier), or null.</summary>
    public IPositionCapture? Capture;

    /// <summary>Result sets that come before the application's first one.</summary>
    public readonly int LeadingResults => (Prefix is null ? 0 : 1) + (Probe ? 1 : 0);

    /// <summary>Nothing added: the command runs as the application wrote it.</summary>
    public readonly bool IsPlain => Prefix is null && !Probe && Capture is null;
}

/// <summary>Reads a write's commit position from the message its capture statement raises (Routing implements it: the
/// position belongs to the context's read-your-writes session).</summary>
internal interface IPositionCapture
{
    /// <summary>Prepares <paramref name="connection"/> to receive the capture's message; false when the capture cannot run
    /// there (then the write runs without it, and the session captures its position the slow way later).</summary>
    ValueTask<bool> ArmAsync(NpgsqlConnection connection, bool sync, CancellationToken cancellationToken);

    /// <summary>The batch was not sent after all.</summary>
    void Disarm();
}
