using System.Data.Common;

namespace PgDiscipline.Statistics;

/// <summary>Counts what happened to each command (duration, rows, errors) in its fingerprint's statistics and ends its
/// span. Commands are found by their text, which may carry the timeout prefix.</summary>
internal sealed class StatisticsRecorder(CommandPlanner planner, bool enabled)
{
    /// <summary>A command completed.</summary>
    public void Executed(DbCommand command, TimeSpan duration, long rows)
    {
        if (StatsOf(command) is { } stats)
        {
            stats.Completed(duration.Ticks / TimeSpan.TicksPerMicrosecond);
            if (rows > 0)
            {
                stats.AddRows(rows);
            }
        }

        PgDisciplineTelemetry.EndCommand(command, null);
    }

    /// <summary>A command failed or was cancelled (<paramref name="exception"/> null). Blocked and rate-limited commands
    /// are counted where they are refused, and never reached the server.</summary>
    public void Failed(DbCommand command, TimeSpan duration, Exception? exception)
    {
        if (exception is QueryBlockedException or QueryRateLimitedException)
        {
            return;
        }

        var code = exception is null ? "canceled" : PgDisciplineTelemetry.ErrorCode(exception);
        if (StatsOf(command) is { } stats)
        {
            stats.Completed(duration.Ticks / TimeSpan.TicksPerMicrosecond);
            stats.Failed(code);
        }

        PgDisciplineTelemetry.EndCommand(command, code);
    }

    /// <summary>A reader is closing: count the rows it returned.</summary>
    public void ReaderClosing(DbCommand command, DbDataReader reader, int readCount)
    {
        if (readCount > 0 && StatsOf(command) is { } stats)
        {
            stats.AddRows(RowsRead(reader, readCount));
        }
    }

    /// <summary>The statistics entry of a command the planner has seen, by its (possibly prefixed) text.</summary>
    private FingerprintStatistics? StatsOf(DbCommand command) => enabled ? planner.PlanOfExecuted(command.CommandText)?.Stats : null;

    /// <summary>Rows the server returned (from each statement's completion tag, without PgDiscipline's own statements); when the
    /// reader was not read to the end, the rows the application read.</summary>
    internal static long RowsRead(DbDataReader dataReader, int readCount)
    {
        long rows = 0;
        if (dataReader is Npgsql.NpgsqlDataReader reader)
        {
            // NpgsqlDataReader.Statements is obsolete (the DbBatch API replaces it) but is the only public way to read the
            // CommandComplete row count of a command-based reader; re-check when Npgsql is upgraded.
#pragma warning disable CS0618
            var statements = reader.Statements;
#pragma warning restore CS0618
            foreach (var statement in statements)
            {
                if (!statement.CommandText.StartsWith(TimeoutSql.OwnStatementPrefix, StringComparison.Ordinal))
                {
                    rows += (long)statement.Rows;
                }
            }
        }

        // Not read to the end (no completion tag yet): EF Core's count of Read() calls, each of which returned a row.
        return rows > 0 ? rows : readCount;
    }
}
