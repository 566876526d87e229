using System.Globalization;
using System.Text;
using Npgsql;
using PgDiscipline.Operations;

namespace PgDiscipline.Operations.Rules;

/// <summary>
/// Reads <c>pgdiscipline.query_rules</c> one row at a time, each on its own: every column arrives as text and is parsed
/// here, so a value .NET cannot hold (an <c>expires_at</c> in the year 10000, <c>'infinity'</c>, a NaN rate) rejects that
/// row, naming its id, and never the others (a typed read of such a row throws and used to end the whole reload).
/// Shared by the runtime's rule source and <c>pgdiscipline rules list</c>.
/// </summary>
internal static class DatabaseRuleRows
{
    /// <summary>Every column as text; the expiry as seconds since the epoch (independent of the session's DateStyle and TimeZone).</summary>
    public const string SelectSql = """
        select id, match_kind, match_value, action, reason, permits_per_second::text, burst::text, max_concurrency::text,
               max_queue_ms::text, timeout_ms::text, route_to, extract(epoch from expires_at)::text
        from pgdiscipline.query_rules order by id
        """;

    /// <summary>True when the table and its NOTIFY trigger exist: then nobody needs to run <see cref="RuleTable.CreateSql"/> (DDL,
    /// which needs CREATE on the database and ownership of the table).</summary>
    public const string ExistsSql = """
        select to_regclass('pgdiscipline.query_rules') is not null
           and exists (select 1 from pg_trigger where tgname = 'query_rules_notify' and tgrelid = to_regclass('pgdiscipline.query_rules'))
        """;

    /// <summary>One row as read: the rule (null when a column cannot be read) and the problems found.</summary>
    internal sealed record Row(string Id, string Key, QueryRule? Rule, IReadOnlyList<string> Errors, string? ExpiresText);

    public static async Task<List<Row>> ReadAllAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var rows = new List<Row>();
        await using var select = new NpgsqlCommand(SelectSql, connection);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var text = new string?[12];
            for (var i = 0; i < text.Length; i++)
            {
                text[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
            }

            rows.Add(Parse(text));
        }

        return rows;
    }

    /// <summary>Parses one row's text columns (in <see cref="SelectSql"/>'s order). Never throws.</summary>
    internal static Row Parse(IReadOnlyList<string?> c)
    {
        var id = c[0] ?? "";
        var key = $"pgdiscipline.query_rules[id={Escape(id)}]";
        var errors = new List<string>();
        var rule = new QueryRule { Id = id, Reason = c[4] ?? "" };
        switch (c[1])
        {
            case RuleTable.MatchFingerprint:
                rule.Fingerprint = c[2] ?? "";
                break;
            case RuleTable.MatchTag:
                rule.Tag = c[2] ?? "";
                break;
            case RuleTable.MatchTable:
                rule.Table = c[2] ?? "";
                break;
            default:
                errors.Add($"{key}: match_kind is not one of {RuleTable.MatchFingerprint}, {RuleTable.MatchTag}, {RuleTable.MatchTable}.");
                break;
        }

        if (!Enum.TryParse<QueryRuleAction>(c[3], ignoreCase: true, out var action) || !Enum.IsDefined(action) || int.TryParse(c[3], out _))
        {
            errors.Add($"{key}: action '{Escape(c[3] ?? "")}' is not one of {string.Join(", ", Enum.GetNames<QueryRuleAction>())}.");
        }
        else
        {
            rule.Action = action;
        }

        if (c[5] is { } pps)
        {
            if (double.TryParse(pps, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            {
                rule.PermitsPerSecond = d;
            }
            else
            {
                errors.Add($"{key}: permits_per_second cannot be read.");
            }
        }

        rule.Burst = Int(c[6], "burst", key, errors);
        rule.MaxConcurrency = Int(c[7], "max_concurrency", key, errors) ?? 0;
        rule.MaxQueueTime = Int(c[8], "max_queue_ms", key, errors) is { } queue ? TimeSpan.FromMilliseconds(queue) : TimeSpan.Zero;
        rule.Timeout = Int(c[9], "timeout_ms", key, errors) is { } timeout ? TimeSpan.FromMilliseconds(timeout) : null;
        rule.RouteTo = c[10];
        string? expiresText = null;
        if (c[11] is { } epoch)
        {
            if (ExpiresAt(epoch) is { } at)
            {
                rule.ExpiresAt = at;
                expiresText = at.ToString("u", CultureInfo.InvariantCulture);
            }
            else
            {
                errors.Add($"{key}: expires_at is out of the range a .NET DateTimeOffset holds (years 1-9999); write a real expiry, or null for none.");
                expiresText = "(out of range)";
            }
        }

        return new Row(id, key, errors.Count == 0 ? rule : null, errors, expiresText);
    }

    /// <summary>Seconds since the epoch as PostgreSQL prints them (<c>253402300800.000000</c>, <c>Infinity</c>) → the instant, or null.</summary>
    internal static DateTimeOffset? ExpiresAt(string epoch)
    {
        if (!decimal.TryParse(epoch, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return null; // Infinity, -Infinity
        }

        var min = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
        var max = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();
        var ms = decimal.Round(seconds * 1000m);
        return ms < min || ms > max ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)ms);
    }

    /// <summary>An id or value as it may appear in one line of text: control characters (tab, newline) as escapes, so a
    /// value cannot forge another row of <c>rules list</c>'s output or another line of a log.</summary>
    public static string Escape(string value)
    {
        if (!value.Any(char.IsControl) && !value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 8);
        foreach (var ch in value)
        {
            _ = ch switch
            {
                '\\' => sb.Append(@"\\"),
                '\t' => sb.Append(@"\t"),
                '\n' => sb.Append(@"\n"),
                '\r' => sb.Append(@"\r"),
                _ when char.IsControl(ch) => sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:x4}"),
                _ => sb.Append(ch),
            };
        }

        return sb.ToString();
    }

    private static int? Int(string? text, string column, string key, List<string> errors)
    {
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add($"{key}: {column} cannot be read.");
        return null;
    }
}
