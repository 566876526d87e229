using Npgsql;

namespace PgDiscipline.Operations.Rules;

/// <summary>Writes <c>pgdiscipline.query_rules</c> (<c>pgdiscipline rules block|limit|coalesce|unblock</c>): every running
/// instance that reads the table picks a change up within a second (the table's trigger sends NOTIFY). DDL only when the
/// table must be created, so an operator role with the grants of docs/security.md needs no ownership.</summary>
internal static class RuleTableWriter
{
    /// <summary>True when the table and its NOTIFY trigger exist.</summary>
    public static async Task<bool> ExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand(DatabaseRuleRows.ExistsSql, connection);
        return await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    /// <summary>Creates the table, its trigger and function (<see cref="RuleTable.CreateSql"/>, idempotent).</summary>
    public static async Task CreateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var ddl = new NpgsqlCommand(RuleTable.CreateSql, connection);
        await ddl.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Inserts <paramref name="rule"/>, or replaces the rule with its id. Validate it first
    /// (<see cref="QueryRuleValidator.Validate"/>): the table takes what every instance would then reject.</summary>
    public static async Task UpsertAsync(NpgsqlConnection connection, QueryRule rule, CancellationToken cancellationToken)
    {
        var (kind, value) = rule.Fingerprint is { } f ? (RuleTable.MatchFingerprint, f) : rule.Tag is { } t ? (RuleTable.MatchTag, t) : (RuleTable.MatchTable, rule.Table ?? "");
        await using var cmd = new NpgsqlCommand("""
            insert into pgdiscipline.query_rules (id, match_kind, match_value, action, reason, permits_per_second, burst, max_concurrency, max_queue_ms, timeout_ms, route_to, expires_at)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            on conflict (id) do update set match_kind = excluded.match_kind, match_value = excluded.match_value, action = excluded.action,
                reason = excluded.reason, permits_per_second = excluded.permits_per_second, burst = excluded.burst,
                max_concurrency = excluded.max_concurrency, max_queue_ms = excluded.max_queue_ms, timeout_ms = excluded.timeout_ms,
                route_to = excluded.route_to, expires_at = excluded.expires_at
            """, connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = rule.Id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = kind });
        cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        cmd.Parameters.Add(new NpgsqlParameter { Value = ActionName(rule.Action) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rule.Reason });
        cmd.Parameters.Add(Nullable(rule.Action == QueryRuleAction.RateLimit ? rule.PermitsPerSecond : null, NpgsqlTypes.NpgsqlDbType.Double));
        cmd.Parameters.Add(Nullable(rule.Burst, NpgsqlTypes.NpgsqlDbType.Integer));
        cmd.Parameters.Add(Nullable(rule.Action == QueryRuleAction.Concurrency ? rule.MaxConcurrency : null, NpgsqlTypes.NpgsqlDbType.Integer));
        cmd.Parameters.Add(Nullable(rule.MaxQueueTime > TimeSpan.Zero ? (int)rule.MaxQueueTime.TotalMilliseconds : null, NpgsqlTypes.NpgsqlDbType.Integer));
        cmd.Parameters.Add(Nullable(rule.Timeout is { } timeout ? (int)Math.Ceiling(timeout.TotalMilliseconds) : null, NpgsqlTypes.NpgsqlDbType.Integer));
        cmd.Parameters.Add(Nullable(rule.RouteTo, NpgsqlTypes.NpgsqlDbType.Text));
        cmd.Parameters.Add(Nullable(rule.ExpiresAt, NpgsqlTypes.NpgsqlDbType.TimestampTz));
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the rule with id <paramref name="idOrFingerprint"/>, and every rule on that fingerprint; returns how many.</summary>
    public static async Task<int> DeleteAsync(NpgsqlConnection connection, string idOrFingerprint, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("delete from pgdiscipline.query_rules where id = $1 or (match_kind = 'fingerprint' and match_value = $1)", connection);
        cmd.Parameters.Add(new NpgsqlParameter { Value = idOrFingerprint });
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The <c>action</c> column's text for <paramref name="action"/> (<see cref="RuleTable.Actions"/>).</summary>
    public static string ActionName(QueryRuleAction action) => action switch
    {
        QueryRuleAction.Block => RuleTable.ActionBlock,
        QueryRuleAction.RateLimit => RuleTable.ActionRateLimit,
        QueryRuleAction.Concurrency => RuleTable.ActionConcurrency,
        QueryRuleAction.Timeout => RuleTable.ActionTimeout,
        QueryRuleAction.Route => RuleTable.ActionRoute,
        QueryRuleAction.Coalesce => RuleTable.ActionCoalesce,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not a rule action."),
    };

    private static NpgsqlParameter Nullable(object? value, NpgsqlTypes.NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
