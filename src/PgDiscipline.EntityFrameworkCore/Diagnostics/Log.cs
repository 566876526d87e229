using Microsoft.Extensions.Logging;

namespace PgDiscipline.Diagnostics;

/// <summary>Every log message PgDiscipline writes, with its event id and name from <see cref="PgDisciplineEventId"/>.
/// Messages never contain literal values or passwords.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = PgDisciplineEventId.RuleRejected, EventName = nameof(PgDisciplineEventId.RuleRejected), Level = LogLevel.Error, Message = "Query rule rejected: {Problem}")]
    public static partial void RuleRejected(ILogger logger, string problem);

    [LoggerMessage(EventId = PgDisciplineEventId.RulesLoaded, EventName = nameof(PgDisciplineEventId.RulesLoaded), Level = LogLevel.Information, Message = "Query rules from {Source} loaded: {Count} in force, {Rejected} rejected")]
    public static partial void RulesLoaded(ILogger logger, string source, int count, int rejected);

    [LoggerMessage(EventId = PgDisciplineEventId.QueryBlocked, EventName = nameof(PgDisciplineEventId.QueryBlocked), Level = LogLevel.Warning, Message = "Query {Fingerprint} blocked by rule {RuleId}: {Reason}")]
    public static partial void QueryBlocked(ILogger logger, string fingerprint, string ruleId, string reason);

    [LoggerMessage(EventId = PgDisciplineEventId.QueryRateLimited, EventName = nameof(PgDisciplineEventId.QueryRateLimited), Level = LogLevel.Warning, Message = "Query {Fingerprint} rate-limited by rule {RuleId}")]
    public static partial void QueryRateLimited(ILogger logger, string fingerprint, string ruleId);

    [LoggerMessage(EventId = PgDisciplineEventId.RuleTableUnavailable, EventName = nameof(PgDisciplineEventId.RuleTableUnavailable), Level = LogLevel.Warning, Message = "Rule table unavailable ({Error}){Fix}; retrying in {Backoff}")]
    public static partial void RuleTableUnavailable(ILogger logger, string error, string fix, TimeSpan backoff);

    [LoggerMessage(EventId = PgDisciplineEventId.ReplicaEjected, EventName = nameof(PgDisciplineEventId.ReplicaEjected), Level = LogLevel.Warning, Message = "Replica {Replica} taken out of rotation: {Reason}")]
    public static partial void ReplicaEjected(ILogger logger, string replica, string reason);

    [LoggerMessage(EventId = PgDisciplineEventId.ReplicaAdmitted, EventName = nameof(PgDisciplineEventId.ReplicaAdmitted), Level = LogLevel.Information, Message = "Replica {Replica} back in rotation")]
    public static partial void ReplicaAdmitted(ILogger logger, string replica);

    [LoggerMessage(EventId = PgDisciplineEventId.ReplicaReadFailed, EventName = nameof(PgDisciplineEventId.ReplicaReadFailed), Level = LogLevel.Warning, Message = "Read on replica {Replica} failed at connection level ({Error}); trying elsewhere")]
    public static partial void ReplicaReadFailed(ILogger logger, string replica, string error);

    [LoggerMessage(EventId = PgDisciplineEventId.HealthLoopFailed, EventName = nameof(PgDisciplineEventId.HealthLoopFailed), Level = LogLevel.Error, Message = "Replica health loop failed")]
    public static partial void HealthLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = PgDisciplineEventId.UnsafeMigrationAllowed, EventName = nameof(PgDisciplineEventId.UnsafeMigrationAllowed), Level = LogLevel.Warning, Message = "Migration {Migration}: {RuleId} allowed by [AllowUnsafeMigration]")]
    public static partial void UnsafeMigrationAllowed(ILogger logger, string migration, string ruleId);

    [LoggerMessage(EventId = PgDisciplineEventId.MigrationWarning, EventName = nameof(PgDisciplineEventId.MigrationWarning), Level = LogLevel.Warning, Message = "Migration {Migration}: {RuleId} {Problem}")]
    public static partial void MigrationWarning(ILogger logger, string migration, string ruleId, string problem);

    [LoggerMessage(EventId = PgDisciplineEventId.MigrationLockRetry, EventName = nameof(PgDisciplineEventId.MigrationLockRetry), Level = LogLevel.Warning, Message = "Migration statement gave up on lock_timeout (attempt {Attempt} of {MaxAttempts}); retrying in {Backoff}")]
    public static partial void MigrationLockRetry(ILogger logger, int attempt, int maxAttempts, TimeSpan backoff);

    [LoggerMessage(EventId = PgDisciplineEventId.SnapshotFailed, EventName = nameof(PgDisciplineEventId.SnapshotFailed), Level = LogLevel.Warning, Message = "Statistics snapshot could not be written to {Path}: {Error}")]
    public static partial void SnapshotFailed(ILogger logger, string path, string error);

    [LoggerMessage(EventId = PgDisciplineEventId.ReplicaSetChanged, EventName = nameof(PgDisciplineEventId.ReplicaSetChanged), Level = LogLevel.Information, Message = "Replica set changed: {Added} added, {Removed} removed (draining), {Count} in the set")]
    public static partial void ReplicaSetChanged(ILogger logger, int added, int removed, int count);

    [LoggerMessage(EventId = PgDisciplineEventId.WritePositionPipelineOff, EventName = nameof(PgDisciplineEventId.WritePositionPipelineOff), Level = LogLevel.Warning, Message = "The primary refused a DO block (SQLSTATE {SqlState}): a write's commit position is read in a round trip of its own from now on (PipelineWritePosition needs USAGE on language plpgsql)")]
    public static partial void WritePositionPipelineOff(ILogger logger, string sqlState);

    [LoggerMessage(EventId = PgDisciplineEventId.StalePrimaryRefused, EventName = nameof(PgDisciplineEventId.StalePrimaryRefused), Level = LogLevel.Warning, Message = "Primary {Host} refused: it is on timeline {Timeline}, timeline {Newest} has been seen (an old primary back after a promotion); the host is fenced until it is a standby or on the newest timeline")]
    public static partial void StalePrimaryRefused(ILogger logger, string host, long timeline, long newest);

    [LoggerMessage(EventId = PgDisciplineEventId.PrimaryTimelineAdvanced, EventName = nameof(PgDisciplineEventId.PrimaryTimelineAdvanced), Level = LogLevel.Information, Message = "Primary timeline advanced from {Before} to {After} (seen on {Source})")]
    public static partial void PrimaryTimelineAdvanced(ILogger logger, long before, long after, string source);

    [LoggerMessage(EventId = PgDisciplineEventId.PrimaryTimelineUnknown, EventName = nameof(PgDisciplineEventId.PrimaryTimelineUnknown), Level = LogLevel.Warning, Message = "The timeline of primary {Host} cannot be read (SQLSTATE {SqlState}): a stale primary there cannot be refused; grant EXECUTE on pg_walfile_name(pg_lsn) and pg_current_wal_lsn() to the application's role")]
    public static partial void PrimaryTimelineUnknown(ILogger logger, string host, string sqlState);

    [LoggerMessage(EventId = PgDisciplineEventId.StalePrimaryReadmitted, EventName = nameof(PgDisciplineEventId.StalePrimaryReadmitted), Level = LogLevel.Information, Message = "Host {Host} accepted again: {Reason}")]
    public static partial void StalePrimaryReadmitted(ILogger logger, string host, string reason);

    [LoggerMessage(EventId = PgDisciplineEventId.TokenTimelineUnconfirmed, EventName = nameof(PgDisciplineEventId.TokenTimelineUnconfirmed), Level = LogLevel.Warning, Message = "A session token claimed primary timeline {Claimed}; no server showed it (newest seen {Seen}): ignored")]
    public static partial void TokenTimelineUnconfirmed(ILogger logger, long claimed, long seen);

    [LoggerMessage(EventId = PgDisciplineEventId.SessionTokenRejected, EventName = nameof(PgDisciplineEventId.SessionTokenRejected), Level = LogLevel.Debug, Message = "Session token refused: {Reason}")]
    public static partial void SessionTokenRejected(ILogger logger, string reason);
}
