namespace PgDiscipline.Operations;

/// <summary>
/// The backfill progress table shared by the backfill runner (writer; PgDiscipline.Operations) and the CLI (<c>pgdiscipline backfill
/// status|pause|resume|cancel</c>): <c>pgdiscipline.backfills</c>, one row per backfill, in the database the backfill
/// writes to — each batch and its progress row commit in one transaction, which is what makes every key done exactly once.
/// </summary>
public static class BackfillTable
{
    /// <summary>Not started yet (the row exists, no batch has committed).</summary>
    public const string StatePending = "pending";

    /// <summary>A runner is working on it.</summary>
    public const string StateRunning = "running";

    /// <summary>A runner holds it but waits (see <c>pause_reason</c>: a request, replica lag, the primary guard, the window, a lock timeout).</summary>
    public const string StatePaused = "paused";

    /// <summary>Every key up to <c>end_key</c> is done; running it again does nothing.</summary>
    public const string StateDone = "done";

    /// <summary>Stopped by <c>pgdiscipline backfill cancel</c>; running it again continues from <c>last_key</c>.</summary>
    public const string StateCancelled = "cancelled";

    /// <summary>A batch failed with an error that a retry cannot fix (see <c>error</c>); running it again continues from <c>last_key</c>.</summary>
    public const string StateFailed = "failed";

    /// <summary>A runner that stopped without finishing (its process ended): running it again continues from <c>last_key</c>.</summary>
    public const string StateStopped = "stopped";

    /// <summary><c>requested</c>: the runner should wait until the request is cleared.</summary>
    public const string RequestPause = "pause";

    /// <summary><c>requested</c>: the runner should stop after the batch in flight.</summary>
    public const string RequestCancel = "cancel";

    /// <summary>Pause reasons (<c>pause_reason</c>, the <c>pgdiscipline.reason</c> tag of <c>pgdiscipline.backfill.pauses</c>).</summary>
    public static class Reasons
    {
        /// <summary><c>pgdiscipline backfill pause</c>.</summary>
        public const string Requested = "requested";

        /// <summary>A replica lags more than the backfill's bound.</summary>
        public const string ReplicaLag = "replica_lag";

        /// <summary>The primary guard (active sessions, or a custom probe) said wait.</summary>
        public const string PrimaryGuard = "primary_guard";

        /// <summary>Outside the schedule window.</summary>
        public const string Window = "window";

        /// <summary>A batch hit the lock timeout (something held a conflicting lock); retried after a pause.</summary>
        public const string LockTimeout = "lock_timeout";

        /// <summary>A batch hit the statement timeout; retried with a smaller batch.</summary>
        public const string StatementTimeout = "statement_timeout";

        /// <summary>The primary could not be reached; retried after a pause.</summary>
        public const string PrimaryUnavailable = "primary_unavailable";
    }

    /// <summary>Idempotent setup (safe to run concurrently: it takes a transaction-level advisory lock).</summary>
    public const string CreateSql = """
        select pg_advisory_xact_lock(hashtext('pgdiscipline.backfills'));
        create schema if not exists pgdiscipline;
        create table if not exists pgdiscipline.backfills (
            name            text primary key,
            table_name      text not null,
            key_column      text not null,
            key_type        text not null,
            statement       text not null,
            state           text not null default 'pending',
            requested       text check (requested in ('pause', 'cancel')),
            pause_reason    text,
            last_key        text,
            end_key         text,
            rows_done       bigint not null default 0,
            rows_affected   bigint not null default 0,
            rows_estimate   bigint,
            batches         bigint not null default 0,
            batch_size      integer,
            pauses          jsonb not null default '{}',
            paused_seconds  double precision not null default 0,
            max_lag_seconds double precision,
            owner           text,
            error           text,
            created_at      timestamptz not null default now(),
            started_at      timestamptz,
            updated_at      timestamptz not null default now(),
            finished_at     timestamptz,
            run_seconds     double precision not null default 0
        );
        """;

    /// <summary>Every backfill, for <c>pgdiscipline backfill status</c> (no statement text, no key values: either may hold
    /// literal values); the last column says whether a runner holds it now (its session-level advisory lock
    /// <c>pg_try_advisory_lock(hashtext('pgdiscipline.backfill'), hashtext(name))</c> is granted).</summary>
    public const string StatusSql = """
        select name, table_name, key_column, state, requested, pause_reason, rows_done, rows_affected, rows_estimate, batches,
               batch_size, pauses::text, paused_seconds, max_lag_seconds, owner, error, created_at, started_at, updated_at,
               finished_at, run_seconds,
               exists (select 1 from pg_locks l
                       where l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database())
                         and l.classid = hashtext('pgdiscipline.backfill')::oid and l.objid = hashtext(b.name)::oid and l.objsubid = 2)
        from pgdiscipline.backfills b
        """;
}
