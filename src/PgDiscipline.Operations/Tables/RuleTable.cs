namespace PgDiscipline.Operations;

/// <summary>
/// The database rule table shared by the runtime (reader, LISTEN) and the CLI (writer): <c>pgdiscipline.query_rules</c>.
/// A statement-level trigger sends <c>NOTIFY pgdiscipline_rules</c> on every change, so running instances reload
/// within a second; they also poll in case a notification is missed.
/// </summary>
public static class RuleTable
{
    /// <summary><c>match_kind</c> of a rule keyed by fingerprint (16 lowercase hex digits).</summary>
    public const string MatchFingerprint = "fingerprint";

    /// <summary><c>match_kind</c> of a rule keyed by query tag.</summary>
    public const string MatchTag = "tag";

    /// <summary><c>match_kind</c> of a rule keyed by table name.</summary>
    public const string MatchTable = "table";

    /// <summary><c>action</c> that refuses matching commands (the runtime's <c>QueryRuleAction.Block</c>).</summary>
    public const string ActionBlock = "Block";

    /// <summary><c>action</c> that rate-limits matching commands (<c>QueryRuleAction.RateLimit</c>).</summary>
    public const string ActionRateLimit = "RateLimit";

    /// <summary><c>action</c> that caps matching commands in flight (<c>QueryRuleAction.Concurrency</c>).</summary>
    public const string ActionConcurrency = "Concurrency";

    /// <summary><c>action</c> that overrides the statement timeout (<c>QueryRuleAction.Timeout</c>).</summary>
    public const string ActionTimeout = "Timeout";

    /// <summary><c>action</c> that sends matching reads to a pool or the primary (<c>QueryRuleAction.Route</c>).</summary>
    public const string ActionRoute = "Route";

    /// <summary><c>action</c> that coalesces identical reads in flight (<c>QueryRuleAction.Coalesce</c>).</summary>
    public const string ActionCoalesce = "Coalesce";

    /// <summary>Every <c>action</c> name the runtime accepts.</summary>
    public static readonly IReadOnlyList<string> Actions = [ActionBlock, ActionRateLimit, ActionConcurrency, ActionTimeout, ActionRoute, ActionCoalesce];

    /// <summary>The LISTEN/NOTIFY channel.</summary>
    public const string Channel = "pgdiscipline_rules";

    /// <summary>Idempotent setup (safe to run concurrently from several instances: it takes an advisory lock).</summary>
    public const string CreateSql = """
        select pg_advisory_xact_lock(hashtext('pgdiscipline.query_rules'));
        create schema if not exists pgdiscipline;
        create table if not exists pgdiscipline.query_rules (
            id                 text primary key,
            match_kind         text not null check (match_kind in ('fingerprint', 'tag', 'table')),
            match_value        text not null,
            action             text not null,
            reason             text not null default '',
            permits_per_second double precision,
            burst              integer,
            max_concurrency    integer,
            max_queue_ms       integer,
            timeout_ms         integer,
            route_to           text,
            expires_at         timestamptz,
            created_at         timestamptz not null default now(),
            created_by         text not null default current_user
        );
        create or replace function pgdiscipline.notify_query_rules() returns trigger language plpgsql as $fn$
        begin
            perform pg_notify('pgdiscipline_rules', '');
            return null;
        end
        $fn$;
        drop trigger if exists query_rules_notify on pgdiscipline.query_rules;
        create trigger query_rules_notify after insert or update or delete or truncate on pgdiscipline.query_rules
            for each statement execute function pgdiscipline.notify_query_rules();
        """;

    /// <summary>Reads every rule, columns in the order the readers expect.</summary>
    public const string SelectSql = """
        select id, match_kind, match_value, action, reason, permits_per_second, burst, max_concurrency, max_queue_ms,
               timeout_ms, route_to, expires_at
        from pgdiscipline.query_rules order by id
        """;
}
