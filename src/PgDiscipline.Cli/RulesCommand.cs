using System.CommandLine;
using System.Globalization;
using Npgsql;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli;

/// <summary><c>pgdiscipline rules list|block|limit|coalesce|unblock --connection …</c>: writes <c>pgdiscipline.query_rules</c>, which every
/// running instance configured with <c>DatabaseRules</c> picks up within a second (LISTEN/NOTIFY).</summary>
internal static class RulesCommand
{
    public static Command Build()
    {
        var connection = CliOptions.Connection(recursive: true);
        var rules = new Command("rules", "Manage query rules in pgdiscipline.query_rules.") { connection };

        var list = new Command("list", "List the rules in the table.");
        list.SetAction((parse, ct) => Run(parse, connection, ct, async (conn, output) =>
        {
            await using var cmd = new NpgsqlCommand(RuleTable.SelectSql, conn);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var rows = 0;
            await output.WriteLineAsync("id\tmatch\taction\tlimit\texpires\treason").ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var limit = reader.IsDBNull(5) ? reader.IsDBNull(7) ? "" : $"max {reader.GetInt32(7)} in flight" : $"{reader.GetDouble(5).ToString(CultureInfo.InvariantCulture)}/s";
                var expires = reader.IsDBNull(11) ? "" : reader.GetFieldValue<DateTimeOffset>(11).ToString("u", CultureInfo.InvariantCulture);
                await output.WriteLineAsync($"{reader.GetString(0)}\t{reader.GetString(1)}:{reader.GetString(2)}\t{reader.GetString(3)}\t{limit}\t{expires}\t{reader.GetString(4)}").ConfigureAwait(false);
                rows++;
            }

            await output.WriteLineAsync($"{rows} rule(s)").ConfigureAwait(false);
            return 0;
        }));

        var fingerprint = new Argument<string>("fingerprint") { Description = "16 hex digits, as printed by `pgdiscipline fingerprint`." };
        var reason = new Option<string>("--reason") { Description = "Why (shown in the exception and logs).", Required = true };
        var id = new Option<string?>("--id") { Description = "Rule id (default: block-, limit- or coalesce-<fingerprint>)." };
        var expires = new Option<TimeSpan?>("--expires") { Description = "Expire after this long, e.g. 01:00:00." };

        var block = new Command("block", "Block every query with this fingerprint.") { fingerprint, reason, id, expires };
        block.SetAction((parse, ct) => Run(parse, connection, ct, (conn, output) => Upsert(conn, output, parse, fingerprint, id, reason, expires, "block", RuleTable.ActionBlock, null, null, ct)));

        var perSecond = new Option<double>("--per-second") { Description = "Permits per second.", Required = true };
        var queue = new Option<int?>("--max-queue-ms") { Description = "How long a query may wait for a permit (default: fail at once)." };
        var limit = new Command("limit", "Rate-limit queries with this fingerprint.") { fingerprint, perSecond, reason, id, expires, queue };
        limit.SetAction((parse, ct) => Run(parse, connection, ct, (conn, output) => Upsert(conn, output, parse, fingerprint, id, reason, expires, "limit", RuleTable.ActionRateLimit, parse.GetValue(perSecond), parse.GetValue(queue), ct)));

        var coalesce = new Command("coalesce", "Coalesce identical reads with this fingerprint in flight: one execution answers every caller with the same parameters.") { fingerprint, reason, id, expires };
        coalesce.SetAction((parse, ct) => Run(parse, connection, ct, (conn, output) => Upsert(conn, output, parse, fingerprint, id, reason, expires, "coalesce", RuleTable.ActionCoalesce, null, null, ct)));

        var target = new Argument<string>("id-or-fingerprint") { Description = "A rule id, or a fingerprint (removes every rule on it)." };
        var unblock = new Command("unblock", "Remove rules by id or fingerprint.") { target };
        unblock.SetAction((parse, ct) => Run(parse, connection, ct, async (conn, output) =>
        {
            await using var cmd = new NpgsqlCommand("delete from pgdiscipline.query_rules where id = $1 or (match_kind = 'fingerprint' and match_value = $1)", conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = parse.GetValue(target)! });
            var removed = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await output.WriteLineAsync($"removed {removed} rule(s)").ConfigureAwait(false);
            return removed > 0 ? 0 : 1;
        }));

        rules.Subcommands.Add(list);
        rules.Subcommands.Add(block);
        rules.Subcommands.Add(limit);
        rules.Subcommands.Add(coalesce);
        rules.Subcommands.Add(unblock);
        return rules;
    }

    private static async Task<int> Upsert(
        NpgsqlConnection conn, TextWriter output, ParseResult parse, Argument<string> fingerprintArg, Option<string?> idOption, Option<string> reasonOption,
        Option<TimeSpan?> expiresOption, string idPrefix, string action, double? perSecond, int? queueMs, CancellationToken ct)
    {
        var fingerprint = parse.GetValue(fingerprintArg)!.Trim().ToLowerInvariant();
        if (!SqlFingerprint.TryParseHash(fingerprint, out _))
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"pgdiscipline rules: '{fingerprint}' is not a fingerprint (16 hex digits).").ConfigureAwait(false);
            return 2;
        }

        if (perSecond is <= 0)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync("pgdiscipline rules: --per-second must be positive.").ConfigureAwait(false);
            return 2;
        }

        var id = parse.GetValue(idOption) ?? $"{idPrefix}-{fingerprint}";
        var expires = parse.GetValue(expiresOption);
        await using var cmd = new NpgsqlCommand("""
            insert into pgdiscipline.query_rules (id, match_kind, match_value, action, reason, permits_per_second, max_queue_ms, expires_at)
            values ($1, 'fingerprint', $2, $3, $4, $5, $6, $7)
            on conflict (id) do update set match_kind = excluded.match_kind, match_value = excluded.match_value, action = excluded.action,
                reason = excluded.reason, permits_per_second = excluded.permits_per_second, max_queue_ms = excluded.max_queue_ms,
                expires_at = excluded.expires_at
            """, conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = fingerprint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = action });
        cmd.Parameters.Add(new NpgsqlParameter { Value = parse.GetValue(reasonOption)! });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)perSecond ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Double });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)queueMs ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = expires is { } e ? DateTimeOffset.UtcNow + e : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await output.WriteLineAsync($"{action} {fingerprint} as rule '{id}'").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> Run(ParseResult parse, Option<string> connectionOption, CancellationToken ct, Func<NpgsqlConnection, TextWriter, Task<int>> body)
    {
        var error = parse.InvocationConfiguration.Error;
        var connectionString = parse.GetValue(connectionOption);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await error.WriteLineAsync("pgdiscipline rules: give --connection (or PGDISCIPLINE_CONNECTION).").ConfigureAwait(false);
            return 2;
        }

        try
        {
            await using var conn = new NpgsqlConnection(connectionString);
            await conn.OpenAsync(ct).ConfigureAwait(false);
            await using (var create = new NpgsqlCommand(RuleTable.CreateSql, conn))
            {
                await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return await body(conn, parse.InvocationConfiguration.Output).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"pgdiscipline rules: invalid --connection ({ex.ParamName ?? "syntax"}).").ConfigureAwait(false);
            return 2;
        }
        catch (NpgsqlException ex)
        {
            // Never echo the connection string: it may hold a password.
            await error.WriteLineAsync($"pgdiscipline rules: cannot reach the database: {ex.Message}").ConfigureAwait(false);
            return 3;
        }
    }
}
