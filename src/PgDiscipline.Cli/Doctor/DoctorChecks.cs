using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using PgDiscipline.Operations;
using PgDiscipline.Operations.Diagnostics;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Doctor;

/// <summary>The checks of <c>pgdiscipline doctor</c> on a live cluster: the primary, its timeouts, pg_stat_statements,
/// connections, long sessions, replication, each replica's lag, and the topology. A role without <c>pg_monitor</c> gets
/// the checks it can run, and each one it cannot is skipped with the grant that enables it. Never a literal value:
/// queries are shown normalized.</summary>
internal static class DoctorChecks
{
    internal static async Task<List<Check>> RunAsync(string primaryConnectionString, IReadOnlyList<string> replicaConnectionStrings, Settings settings, CancellationToken ct)
    {
        var checks = new List<Check>();
        NpgsqlConnection? primary = null;
        try
        {
            primary = new NpgsqlConnection(primaryConnectionString);
            await primary.OpenAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or TimeoutException)
        {
            // Never echo the connection string (it may hold a password), nor a value the server quotes back.
            var unreachable = ex is not PostgresException pg || CliErrors.Unreachable(pg.SqlState);
            checks.Add(new Check("primary", Status.Fail, "cannot connect: " + (ex is ArgumentException ? "invalid connection string" : SafeErrorText.Describe(ex)), new JsonObject { ["unreachable"] = unreachable }));
            if (primary is not null)
            {
                await primary.DisposeAsync().ConfigureAwait(false);
            }

            return checks;
        }

        PrimaryReading? primaryReading = null;
        await using (primary)
        {
            var readAt = DateTimeOffset.UtcNow;
            await using (var position = new NpgsqlCommand("select case when pg_is_in_recovery() then null else pg_current_wal_flush_lsn()::text end", primary))
            {
                if (await position.ExecuteScalarAsync(ct).ConfigureAwait(false) is string text && NpgsqlLogSequenceNumber.TryParse(text, out var lsn))
                {
                    primaryReading = new PrimaryReading(readAt, (ulong)lsn);
                }
            }

            // Other sessions' queries and states, pg_stat_statements' texts and pg_stat_replication are visible only to
            // pg_read_all_stats (pg_monitor has it): without it those checks would read nulls and placeholders.
            var stats = await MayReadAllStatsAsync(primary, ct).ConfigureAwait(false);
            var user = primary.UserName ?? "<role>";
            checks.Add(await GuardAsync("primary", () => PrimaryAsync(primary, ct), user).ConfigureAwait(false));
            checks.Add(await GuardAsync("timeouts", () => TimeoutsAsync(primary, ct), user).ConfigureAwait(false));
            checks.Add(stats ? await GuardAsync("pg_stat_statements", () => StatementsAsync(primary, settings, ct), user).ConfigureAwait(false) : Skipped("pg_stat_statements", "other roles' query texts", user));
            checks.Add(stats ? await GuardAsync("connections", () => ConnectionsAsync(primary, settings, ct), user).ConfigureAwait(false) : Skipped("connections", "other sessions' backend types", user));
            checks.Add(stats ? await GuardAsync("sessions", () => SessionsAsync(primary, settings, ct), user).ConfigureAwait(false) : Skipped("sessions", "other sessions' states and queries", user));
            checks.Add(stats ? await GuardAsync("replication", () => ReplicationAsync(primary, ct), user).ConfigureAwait(false) : Skipped("replication", "pg_stat_replication's states and positions", user));
        }

        for (var i = 0; i < replicaConnectionStrings.Count; i++)
        {
            checks.Add(await DoctorReplicaCheck.RunAsync(i, replicaConnectionStrings[i], settings, primaryReading, ct).ConfigureAwait(false));
        }

        checks.Add(await TopologyCheck.RunAsync(primaryConnectionString, replicaConnectionStrings, ct).ConfigureAwait(false));
        return checks;
    }

    private static async Task<bool> MayReadAllStatsAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select coalesce((select rolsuper from pg_roles where rolname = current_user), false) or pg_has_role('pg_read_all_stats', 'member')", c);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    private static Check Skipped(string name, string what, string user)
        => new(name, Status.Skip, $"skipped: {what} are visible only to members of pg_read_all_stats — GRANT pg_monitor TO {user} (or pg_read_all_stats) to run it");

    /// <summary>Runs one check; a refused privilege skips it with the grant, any other server error fails it (SQLSTATE and
    /// object names only), a column the role cannot see (null) skips it. Never a stack trace.</summary>
    private static async Task<Check> GuardAsync(string name, Func<Task<Check>> check, string user)
    {
        try
        {
            return await check().ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return new Check(name, Status.Skip, $"skipped: {SafeErrorText.Describe(ex)} — GRANT pg_monitor TO {user} to run it");
        }
        catch (InvalidCastException)
        {
            return new Check(name, Status.Skip, $"skipped: some values are not visible to {user} — GRANT pg_monitor TO {user} to run it");
        }
        catch (PostgresException ex)
        {
            return new Check(name, Status.Fail, SafeErrorText.Describe(ex));
        }
    }

    private static async Task<Check> PrimaryAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select pg_is_in_recovery(), current_setting('server_version')", c);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        return r.GetBoolean(0)
            ? new Check("primary", Status.Fail, $"PostgreSQL {r.GetString(1)}: this server is in recovery (a replica), not the primary")
            : new Check("primary", Status.Ok, $"PostgreSQL {r.GetString(1)}, accepting writes");
    }

    private static async Task<Check> TimeoutsAsync(NpgsqlConnection c, CancellationToken ct)
    {
        const string Sql = """
            select current_user, current_database(), current_setting('statement_timeout'), current_setting('lock_timeout'),
                   current_setting('idle_in_transaction_session_timeout'),
                   coalesce((select string_agg(coalesce(r.rolname, '*') || '@' || coalesce(d.datname, '*') || ': ' || array_to_string(s.setconfig, ', '), '; ')
                             from pg_db_role_setting s left join pg_roles r on r.oid = s.setrole left join pg_database d on d.oid = s.setdatabase
                             where array_to_string(s.setconfig, ',') ~ '(statement|lock|idle_in_transaction_session)_timeout'), '')
            """;
        await using var cmd = new NpgsqlCommand(Sql, c);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        var (statement, lockT, idle) = (r.GetString(2), r.GetString(3), r.GetString(4));
        var data = new JsonObject
        {
            ["role"] = r.GetString(0),
            ["database"] = r.GetString(1),
            ["statement_timeout"] = statement,
            ["lock_timeout"] = lockT,
            ["idle_in_transaction_session_timeout"] = idle,
            ["per_role_database"] = r.GetString(5),
        };
        var missing = new[] { ("statement_timeout", statement), ("idle_in_transaction_session_timeout", idle) }.Where(x => x.Item2 == "0").Select(x => x.Item1).ToList();
        var detail = $"{r.GetString(0)}@{r.GetString(1)}: statement {statement}, lock {lockT}, idle in transaction {idle}"
            + (r.GetString(5).Length > 0 ? $"; per role/database: {r.GetString(5)}" : "; no per-role/database settings");
        return missing.Count > 0
            ? new Check("timeouts", Status.Warn, detail + $" — {string.Join(" and ", missing)} off: set them per role (ALTER ROLE … SET …) or with PgDiscipline's Timeouts", data)
            : new Check("timeouts", Status.Ok, detail, data);
    }

    private static async Task<Check> StatementsAsync(NpgsqlConnection c, Settings settings, CancellationToken ct)
    {
        await using (var exists = new NpgsqlCommand("select count(*) from pg_extension where extname = 'pg_stat_statements'", c))
        {
            if ((long)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
            {
                return new Check("pg_stat_statements", Status.Warn, "extension not installed: CREATE EXTENSION pg_stat_statements (and shared_preload_libraries) to see top queries");
            }
        }

        var rows = new JsonArray();
        var lines = new List<string>();
        try
        {
            await using var cmd = new NpgsqlCommand(
                "select query, calls, total_exec_time, mean_exec_time from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database()) order by total_exec_time desc limit $1", c);
            cmd.Parameters.Add(new NpgsqlParameter { Value = settings.Top });
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var fp = SqlFingerprint.Compute(r.GetString(0));
                rows.Add((JsonNode)new JsonObject
                {
                    ["fingerprint"] = fp.ToString(),
                    ["normalized"] = fp.Normalized,
                    ["calls"] = r.GetInt64(1),
                    ["total_ms"] = Math.Round(r.GetDouble(2), 3),
                    ["mean_ms"] = Math.Round(r.GetDouble(3), 3),
                });
                var text = fp.Normalized.Length > 100 ? fp.Normalized[..100] + "…" : fp.Normalized;
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"\n    {fp}  {r.GetInt64(1),8} calls  {r.GetDouble(2),10:0.0} ms total  {text}"));
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
        {
            return new Check("pg_stat_statements", Status.Warn, "installed but not loaded: add it to shared_preload_libraries and restart");
        }

        return new Check("pg_stat_statements", Status.Ok, $"top {rows.Count} by total time (block one with `pgdiscipline rules block <fingerprint>`):" + string.Concat(lines), rows);
    }

    private static async Task<Check> ConnectionsAsync(NpgsqlConnection c, Settings settings, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("select (select count(*) from pg_stat_activity where backend_type = 'client backend'), current_setting('max_connections')::int", c);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        var (used, max) = (r.GetInt64(0), r.GetInt32(1));
        var usage = (double)used / max;
        var detail = string.Create(CultureInfo.InvariantCulture, $"{used} of max_connections {max} ({usage:P0})");
        var data = new JsonObject { ["used"] = used, ["max_connections"] = max };
        return usage >= settings.MaxConnectionUsage ? new Check("connections", Status.Fail, detail + " — put PgBouncer in front or lower pool sizes", data)
            : usage >= settings.MaxConnectionUsage * 0.8 ? new Check("connections", Status.Warn, detail, data)
            : new Check("connections", Status.Ok, detail, data);
    }

    private static async Task<Check> SessionsAsync(NpgsqlConnection c, Settings settings, CancellationToken ct)
    {
        const string Sql = """
            select pid, state, extract(epoch from now() - coalesce(case when state = 'active' then query_start else state_change end, now()))::float8, coalesce(query, '')
            from pg_stat_activity
            where backend_type = 'client backend' and pid <> pg_backend_pid()
              and ((state = 'active' and now() - query_start > $1) or (state like 'idle in transaction%' and now() - state_change > $1))
            order by 3 desc
            """;
        await using var cmd = new NpgsqlCommand(Sql, c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = settings.LongRunning });
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new JsonArray();
        var lines = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var fp = SqlFingerprint.Compute(r.GetString(3));
            rows.Add((JsonNode)new JsonObject { ["pid"] = r.GetInt32(0), ["state"] = r.GetString(1), ["seconds"] = Math.Round(r.GetDouble(2), 1), ["fingerprint"] = fp.ToString() });
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"\n    pid {r.GetInt32(0)} {r.GetString(1)} for {r.GetDouble(2):0.0} s  {fp}"));
        }

        return rows.Count == 0
            ? new Check("sessions", Status.Ok, $"no session active or idle in transaction for more than {settings.LongRunning.TotalSeconds:0.#} s", rows)
            : new Check("sessions", Status.Warn, $"{rows.Count} session(s) over {settings.LongRunning.TotalSeconds:0.#} s (they hold snapshots and locks, and block vacuum):" + string.Concat(lines), rows);
    }

    private static async Task<Check> ReplicationAsync(NpgsqlConnection c, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "select application_name, state, coalesce(extract(epoch from replay_lag), 0)::float8, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint from pg_stat_replication order by application_name", c);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new JsonArray();
        var parts = new List<string>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var bytes = r.IsDBNull(3) ? 0 : r.GetInt64(3);
            rows.Add((JsonNode)new JsonObject { ["name"] = r.GetString(0), ["state"] = r.GetString(1), ["replay_lag_s"] = r.GetDouble(2), ["lag_bytes"] = bytes });
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{r.GetString(0)} {r.GetString(1)} (lag {r.GetDouble(2):0.###} s, {bytes} bytes)"));
        }

        return rows.Count == 0
            ? new Check("replication", Status.Warn, "no streaming replicas connected to the primary", rows)
            : new Check("replication", Status.Ok, string.Join("; ", parts), rows);
    }
}
