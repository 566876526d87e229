using Microsoft.Extensions.Logging;

namespace PgDiscipline.Operations.Backfill;

/// <summary>The backfill runner's log messages (category <c>PgDiscipline</c>, event ids 1040–1049 of
/// <see cref="PgDisciplineEventId"/>). No key values, no statement text.</summary>
internal static partial class BackfillLog
{
    [LoggerMessage(EventId = PgDisciplineEventId.BackfillStarted, EventName = nameof(PgDisciplineEventId.BackfillStarted), Level = LogLevel.Information, Message = "Backfill {Backfill} of {Table} started ({RowsDone} rows done before)")]
    public static partial void Started(ILogger logger, string backfill, string table, long rowsDone);

    [LoggerMessage(EventId = PgDisciplineEventId.BackfillPaused, EventName = nameof(PgDisciplineEventId.BackfillPaused), Level = LogLevel.Information, Message = "Backfill {Backfill} paused: {Reason}")]
    public static partial void Paused(ILogger logger, string backfill, string reason);

    [LoggerMessage(EventId = PgDisciplineEventId.BackfillResumed, EventName = nameof(PgDisciplineEventId.BackfillResumed), Level = LogLevel.Information, Message = "Backfill {Backfill} resumed after {Paused}")]
    public static partial void Resumed(ILogger logger, string backfill, TimeSpan paused);

    [LoggerMessage(EventId = PgDisciplineEventId.BackfillFinished, EventName = nameof(PgDisciplineEventId.BackfillFinished), Level = LogLevel.Information, Message = "Backfill {Backfill} {State} ({RowsDone} rows done)")]
    public static partial void Finished(ILogger logger, string backfill, string state, long rowsDone);

    [LoggerMessage(EventId = PgDisciplineEventId.BackfillBatchRetry, EventName = nameof(PgDisciplineEventId.BackfillBatchRetry), Level = LogLevel.Warning, Message = "Backfill {Backfill}: batch failed ({Reason}), retry {Attempt}")]
    public static partial void BatchRetry(ILogger logger, string backfill, string reason, int attempt);

    [LoggerMessage(EventId = PgDisciplineEventId.BackfillFailed, EventName = nameof(PgDisciplineEventId.BackfillFailed), Level = LogLevel.Error, Message = "Backfill {Backfill} failed: SQLSTATE {SqlState}")]
    public static partial void Failed(ILogger logger, string backfill, string sqlState);
}
