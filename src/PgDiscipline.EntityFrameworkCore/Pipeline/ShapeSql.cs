namespace PgDiscipline.Pipeline;

/// <summary>The statements PgDiscipline adds around an application's command (see <see cref="CommandShape"/>).</summary>
internal static class ShapeSql
{
    /// <summary>How every statement PgDiscipline adds starts, so pg_stat_statements and logs tell them apart.</summary>
    public const string OwnStatementPrefix = "/* pgdiscipline:";

    /// <summary>The replica's replay position; distinct text so its cost can be counted in pg_stat_statements.</summary>
    public const string ProbeSql = "select pg_last_wal_replay_lsn()::text as pgdiscipline_replay_position";

    /// <summary>The freshness probe as the first statement of a read's batch. The statements of a batch run in order in
    /// one implicit transaction and the read takes its snapshot after the probe: when the probe shows the session's
    /// position replayed, the read sees the session's write.</summary>
    public const string ProbeStatement = OwnStatementPrefix + "probe */ " + ProbeSql + ";";

    /// <summary>The column the primary's position is read into (capture queries and the capture's message).</summary>
    public const string CaptureColumn = "pgdiscipline_session_position";

    /// <summary>The primary's insert position, not its write position: with <c>synchronous_commit = off</c> a commit
    /// returns before its record is written, and a position below the commit record would let a replica that lacks the
    /// write serve the session's next read.</summary>
    public const string CaptureSql = "select pg_current_wal_insert_lsn()::text as " + CaptureColumn;

    /// <summary>The capture after a write's error barrier: a DO block, so no result set (EF Core warns about a trailing one
    /// after SaveChanges), one INFO message carrying the position (sent to the client whatever client_min_messages says,
    /// below the default log_min_messages).</summary>
    public const string CaptureStatement = "DO $pgdiscipline$BEGIN RAISE INFO '" + CaptureColumn + " %', pg_current_wal_insert_lsn(); END$pgdiscipline$";

    /// <summary>How the capture's message starts.</summary>
    public const string CaptureMessagePrefix = CaptureColumn + " ";
}
