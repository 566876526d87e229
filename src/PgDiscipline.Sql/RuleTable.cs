namespace PgDiscipline.Sql;

/// <summary>
/// The database rule table shared by the runtime (reader, LISTEN) and the CLI (writer): <c>pgdiscipline.query_rules</c>.
/// A statement-level trigger sends <c>NOTIFY pgdiscipline_rules</c> on every change, so running instances reload
/// within a second; they also poll in case a notification is missed.
/// </summary>
public static class RuleTable
{
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
