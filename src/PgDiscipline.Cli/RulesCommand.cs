using System.CommandLine;
using System.Globalization;
using Npgsql;
using PgDiscipline.Rules;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli;

/// <summary><c>pgdiscipline rules list|block|limit|coalesce|unblock --connection …</c>: writes <c>pgdiscipline.query_rules</c>, which every
/// running instance configured with <c>DatabaseRules</c> picks up within a second (LISTEN/NOTIFY). Every value is checked
/// as the runtime checks it before anything is written; DDL runs only when the table must be created, so an operator role
/// with the grants of docs/security.md needs no ownership.</summary>
internal static class RulesCommand
{
    private const string Name = "pgdiscipline rules";

    public static Command Build()
    {
        var connection = CliOptions.Connection(recursive: true);
        var rules = new Command("rules", "Manage query rules in pgdiscipline.query_rules.") { connection };

        var list = new Command("list", "List the rules in the table (rows the runtime rejects are shown with the reason).");
        list.SetAction((parse, ct) => Run(parse, connection, create: false, writing: false, ct, async (conn, output, exists) =>
        {
            if (!exists)
            {
                await output.WriteLineAsync("0 rule(s) (pgdiscipline.query_rules does not exist yet: the first `rules block|limit|coalesce` creates it)").ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var rows = await DatabaseRuleRows.ReadAllAsync(conn, ct).ConfigureAwait(false);
            await output.WriteLineAsync("id\tmatch\taction\tlimit\texpires\treason").ConfigureAwait(false);
            foreach (var row in rows)
            {
                await output.WriteLineAsync(Line(row)).ConfigureAwait(false);
            }

            await output.WriteLineAsync($"{rows.Count} rule(s){(rows.Any(r => r.Rule is null) ? $", {rows.Count(r => r.Rule is null)} rejected by the runtime" : "")}").ConfigureAwait(false);
            return ExitCodes.Ok;
        }));

        var fingerprint = new Argument<string>("fingerprint") { Description = "16 hex digits, as printed by `pgdiscipline fingerprint`." };
        var reason = new Option<string>("--reason") { Description = "Why (shown in the exception and logs).", Required = true };
        var id = new Option<string?>("--id") { Description = "Rule id (default: block-, limit- or coalesce-<fingerprint>)." };
        var expires = new Option<TimeSpan?>("--expires") { Description = "Expire after this long, e.g. 01:00:00." };

        var block = new Command("block", "Block every query with this fingerprint.") { fingerprint, reason, id, expires };
        block.SetAction((parse, ct) => Upsert(parse, connection, fingerprint, id, reason, expires, "block", QueryRuleAction.Block, null, null, ct));

        var perSecond = new Option<double>("--per-second") { Description = "Permits per second (0.001 to 1000000).", Required = true };
        var queue = new Option<int?>("--max-queue-ms") { Description = "How long a query may wait for a permit (default: fail at once)." };
        var limit = new Command("limit", "Rate-limit queries with this fingerprint.") { fingerprint, perSecond, reason, id, expires, queue };
        limit.SetAction((parse, ct) => Upsert(parse, connection, fingerprint, id, reason, expires, "limit", QueryRuleAction.RateLimit, parse.GetValue(perSecond), parse.GetValue(queue), ct));

        var coalesce = new Command("coalesce", "Coalesce identical reads with this fingerprint in flight: one execution answers every caller with the same parameters.") { fingerprint, reason, id, expires };
        coalesce.SetAction((parse, ct) => Upsert(parse, connection, fingerprint, id, reason, expires, "coalesce", QueryRuleAction.Coalesce, null, null, ct));

        var target = new Argument<string>("id-or-fingerprint") { Description = "A rule id, or a fingerprint (removes every rule on it)." };
        var unblock = new Command("unblock", "Remove rules by id or fingerprint.") { target };
        unblock.SetAction((parse, ct) => Run(parse, connection, create: false, writing: true, ct, async (conn, output, exists) =>
        {
            var removed = 0;
            if (exists)
            {
                await using var cmd = new NpgsqlCommand("delete from pgdiscipline.query_rules where id = $1 or (match_kind = 'fingerprint' and match_value = $1)", conn);
                cmd.Parameters.Add(new NpgsqlParameter { Value = parse.GetValue(target)! });
                removed = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await output.WriteLineAsync($"removed {removed} rule(s)").ConfigureAwait(false);
            return removed > 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }));

        rules.Subcommands.Add(list);
        rules.Subcommands.Add(block);
        rules.Subcommands.Add(limit);
        rules.Subcommands.Add(coalesce);
        rules.Subcommands.Add(unblock);
        return rules;
    }

    /// <summary>One row of <c>rules list</c>: every field escaped (a tab or newline in an id cannot forge a row).</summary>
    internal static string Line(DatabaseRuleRows.Row row)
    {
        var r = row.Rule;
        var limit = r is null ? "" : r.Action == QueryRuleAction.RateLimit ? r.PermitsPerSecond.ToString(CultureInfo.InvariantCulture) + "/s"
            : r.Action == QueryRuleAction.Concurrency ? $"max {r.MaxConcurrency} in flight" : "";
        var match = r is null ? "?" : r.Fingerprint is { } f ? "fingerprint:" + f : r.Tag is { } t ? "tag:" + t : "table:" + r.Table;
        string[] fields = [row.Id, match, r?.Action.ToString() ?? "?", limit, row.ExpiresText ?? "", r?.Reason ?? ""];
        var line = string.Join('\t', fields.Select(DatabaseRuleRows.Escape));
        return r is null ? line + "\t(rejected: " + DatabaseRuleRows.Escape(string.Join(" ", row.Errors)) + ")" : line;
    }

    private static async Task<int> Upsert(
        ParseResult parse, Option<string> connection, Argument<string> fingerprintArg, Option<string?> idOption, Option<string> reasonOption,
        Option<TimeSpan?> expiresOption, string idPrefix, QueryRuleAction action, double? perSecond, int? queueMs, CancellationToken ct)
    {
        var error = parse.InvocationConfiguration.Error;
        var fingerprint = parse.GetValue(fingerprintArg)!.Trim().ToLowerInvariant();
        var problems = new List<string>();
        if (!SqlFingerprint.TryParseHash(fingerprint, out _))
        {
            problems.Add($"'{DatabaseRuleRows.Escape(fingerprint)}' is not a fingerprint (16 hex digits).");
        }

        var id = parse.GetValue(idOption) ?? $"{idPrefix}-{fingerprint}";
        var reason = parse.GetValue(reasonOption)!;
        if (id.Any(char.IsControl) || id.Length is 0 or > 200)
        {
            problems.Add("--id must be 1 to 200 characters, none of them a control character (tab, newline).");
        }

        if (reason.Any(char.IsControl) || reason.Length > 1000)
        {
            problems.Add("--reason must be at most 1000 characters, none of them a control character.");
        }

        var now = DateTimeOffset.UtcNow;
        DateTimeOffset? expiresAt = null;
        if (parse.GetValue(expiresOption) is { } e)
        {
            // Positive, and an instant every instance can hold (the table takes later ones; .NET stops at year 9999).
            if (e <= TimeSpan.Zero)
            {
                problems.Add("--expires must be positive (a rule that has expired already would never apply).");
            }
            else if (e > DateTimeOffset.MaxValue.AddYears(-1) - now)
            {
                problems.Add("--expires is too far away: the expiry must be before the year 9999 (omit --expires for a rule that does not expire).");
            }
            else
            {
                expiresAt = now + e;
            }
        }

        var rule = new QueryRule
        {
            Id = id, Fingerprint = fingerprint, Action = action, Reason = reason, PermitsPerSecond = perSecond ?? 0,
            MaxQueueTime = queueMs is { } q ? TimeSpan.FromMilliseconds(q) : TimeSpan.Zero, ExpiresAt = expiresAt,
        };
        if (problems.Count == 0)
        {
            // The runtime's own validation: a rule every instance would reject is never written.
            problems.AddRange(QueryRuleCompiler.Validate(rule, "rule").Select(p => p
                .Replace("PermitsPerSecond", "--per-second", StringComparison.Ordinal).Replace("MaxQueueTime", "--max-queue-ms", StringComparison.Ordinal)));
        }

        if (problems.Count > 0)
        {
            foreach (var p in problems)
            {
                await error.WriteLineAsync($"{Name}: {p}").ConfigureAwait(false);
            }

            return ExitCodes.BadInput;
        }

        return await Run(parse, connection, create: true, writing: true, ct, async (conn, output, _) =>
        {
            var name = action switch { QueryRuleAction.RateLimit => RuleTable.ActionRateLimit, QueryRuleAction.Coalesce => RuleTable.ActionCoalesce, _ => RuleTable.ActionBlock };
            await using var cmd = new NpgsqlCommand("""
                insert into pgdiscipline.query_rules (id, match_kind, match_value, action, reason, permits_per_second, max_queue_ms, expires_at)
                values ($1, 'fingerprint', $2, $3, $4, $5, $6, $7)
                on conflict (id) do update set match_kind = excluded.match_kind, match_value = excluded.match_value, action = excluded.action,
                    reason = excluded.reason, permits_per_second = excluded.permits_per_second, max_queue_ms = excluded.max_queue_ms,
                    expires_at = excluded.expires_at
                """, conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = id });
            cmd.Parameters.Add(new NpgsqlParameter { Value = fingerprint });
            cmd.Parameters.Add(new NpgsqlParameter { Value = name });
            cmd.Parameters.Add(new NpgsqlParameter { Value = reason });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)perSecond ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)queueMs ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)expiresAt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await output.WriteLineAsync($"{name} {fingerprint} as rule '{DatabaseRuleRows.Escape(id)}'").ConfigureAwait(false);
            return ExitCodes.Ok;
        }).ConfigureAwait(false);
    }

    /// <summary>Connects and runs <paramref name="body"/> with whether the table exists; with <paramref name="create"/>, a
    /// missing table is created first (the only DDL the command runs). Failures map to <see cref="ExitCodes"/>.</summary>
    private static async Task<int> Run(ParseResult parse, Option<string> connectionOption, bool create, bool writing, CancellationToken ct, Func<NpgsqlConnection, TextWriter, bool, Task<int>> body)
    {
        var error = parse.InvocationConfiguration.Error;
        if (!CliErrors.TryParseConnection(parse.GetValue(connectionOption), "--connection", out var builder, out var problem))
        {
            await error.WriteLineAsync($"{Name}: {problem}").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        NpgsqlConnection? conn = null;
        var creating = false;
        try
        {
            conn = new NpgsqlConnection(builder.ConnectionString);
            await conn.OpenAsync(ct).ConfigureAwait(false);
            bool exists;
            await using (var check = new NpgsqlCommand(DatabaseRuleRows.ExistsSql, conn))
            {
                exists = await check.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
            }

            if (!exists && create)
            {
                creating = true;
                await using var ddl = new NpgsqlCommand(RuleTable.CreateSql, conn);
                await ddl.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                creating = false;
                exists = true;
            }

            return await body(conn, parse.InvocationConfiguration.Output, exists).ConfigureAwait(false);
        }
        catch (Exception ex) when (CliErrors.IsDatabase(ex))
        {
            // Never the connection string (it may hold a password), never a value; a missing privilege with its grant.
            var (code, message) = CliErrors.Database(ex, RuleTableGrants.Hint(ex, creating, conn, writing).TrimStart(';', ' ').Replace("fix: ", "", StringComparison.Ordinal));
            await error.WriteLineAsync($"{Name}: {message}").ConfigureAwait(false);
            return code;
        }
        finally
        {
            if (conn is not null)
            {
                await conn.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
