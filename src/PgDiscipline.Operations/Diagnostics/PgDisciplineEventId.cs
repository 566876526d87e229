namespace PgDiscipline;

/// <summary>Event ids of PgDiscipline's log messages (category <c>PgDiscipline</c>): stable numbers, so alerts and filters
/// can key on them. 1000–1009 rules, 1010–1019 routing, 1020–1029 migrations, 1030–1039 statistics, 1040–1049 backfills, 1050–1059 session tokens.</summary>
public static class PgDisciplineEventId
{
    /// <summary>Error: A query rule was rejected (malformed); the others stay in force.</summary>
    public const int RuleRejected = 1001;

    /// <summary>Information: A rule source (code, configuration, database) was loaded.</summary>
    public const int RulesLoaded = 1002;

    /// <summary>Warning: A command was refused by a Block rule.</summary>
    public const int QueryBlocked = 1003;

    /// <summary>Warning: A command was refused by a RateLimit or Concurrency rule.</summary>
    public const int QueryRateLimited = 1004;

    /// <summary>Warning: The database rule table could not be read; retrying with backoff.</summary>
    public const int RuleTableUnavailable = 1005;

    /// <summary>Warning: A replica was taken out of rotation.</summary>
    public const int ReplicaEjected = 1010;

    /// <summary>Information: A replica was put back in rotation.</summary>
    public const int ReplicaAdmitted = 1011;

    /// <summary>Warning: A read on a replica failed at connection level and was retried elsewhere.</summary>
    public const int ReplicaReadFailed = 1012;

    /// <summary>Error: The replica health loop failed once (it keeps running).</summary>
    public const int HealthLoopFailed = 1013;

    /// <summary>Information: Replicas were added to or removed from the running replica set.</summary>
    public const int ReplicaSetChanged = 1014;

    /// <summary>Warning: The primary refused the DO block that reads a write's commit position in the write's round trip
    /// (no USAGE on plpgsql); positions are read in a round trip of their own from then on.</summary>
    public const int WritePositionPipelineOff = 1015;

    /// <summary>Warning: A primary connection reached a server on an older timeline than the newest seen (an old primary
    /// that came back after its standby was promoted): refused, and its host fenced.</summary>
    public const int StalePrimaryRefused = 1016;

    /// <summary>Information: The primary's timeline advanced (a standby was promoted, seen on a connection or in a session token).</summary>
    public const int PrimaryTimelineAdvanced = 1017;

    /// <summary>Warning: The primary's timeline could not be read (the role may not run pg_walfile_name): a stale primary
    /// on that host cannot be refused.</summary>
    public const int PrimaryTimelineUnknown = 1018;

    /// <summary>Information: A fenced host is accepted again (a standby now, or on the newest timeline).</summary>
    public const int StalePrimaryReadmitted = 1019;

    /// <summary>Warning: A migration statement with an error-level finding ran because the migration allows the rule.</summary>
    public const int UnsafeMigrationAllowed = 1020;

    /// <summary>Warning: A migration statement has a warning-level finding.</summary>
    public const int MigrationWarning = 1021;

    /// <summary>Warning: A migration statement gave up on lock_timeout and will be retried.</summary>
    public const int MigrationLockRetry = 1022;

    /// <summary>Warning: The statistics snapshot could not be written.</summary>
    public const int SnapshotFailed = 1030;

    /// <summary>Information: A backfill runner started (or resumed) a backfill.</summary>
    public const int BackfillStarted = 1040;

    /// <summary>Information: A backfill waits (a pause request, replica lag, the primary guard, the window).</summary>
    public const int BackfillPaused = 1041;

    /// <summary>Information: A waiting backfill goes on.</summary>
    public const int BackfillResumed = 1042;

    /// <summary>Information: A backfill run ended (done, cancelled, stopped or failed).</summary>
    public const int BackfillFinished = 1043;

    /// <summary>Warning: A backfill batch failed with a retryable error (lock or statement timeout, connection) and is retried.</summary>
    public const int BackfillBatchRetry = 1044;

    /// <summary>Error: A backfill batch failed with an error a retry cannot fix; the backfill is marked failed.</summary>
    public const int BackfillFailed = 1045;

    /// <summary>Warning: A session token claimed a primary timeline that no server showed (forged, or from another
    /// cluster): nothing was refused because of it.</summary>
    public const int TokenTimelineUnconfirmed = 1050;

    /// <summary>Debug: A session token was refused (unsigned while signing keys are configured, a bad signature,
    /// malformed, too long): the request reads as if it carried none.</summary>
    public const int SessionTokenRejected = 1051;
}
