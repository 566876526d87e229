using System.Globalization;
using System.Text;
using Npgsql;

namespace PgDiscipline.Pipeline;

/// <summary>The SQL and connection-string forms of server-side timeouts.</summary>
internal static class TimeoutSql
{
    /// <summary>How the timeout prefix starts (pg_stat_statements shows PgDiscipline's own statements by it).</summary>
    public const string Marker = ShapeSql.OwnStatementPrefix + "timeouts */ ";

    /// <summary><c>SELECT set_config('statement_timeout', '2000ms', true), …;</c> — transaction-local, so behind PgBouncer
    /// transaction pooling it applies to the rest of this (implicit or explicit) transaction and never leaks.</summary>
    public static string? SetConfigBatch(TimeSpan? statement, TimeSpan? lockTimeout, TimeSpan? idleInTransaction)
    {
        var parts = new List<string>(3);
        Add(parts, "statement_timeout", statement);
        Add(parts, "lock_timeout", lockTimeout);
        Add(parts, "idle_in_transaction_session_timeout", idleInTransaction);
        return parts.Count == 0 ? null : Marker + "SELECT " + string.Join(", ", parts) + ";";
    }

    /// <summary><c>-c statement_timeout=2000 -c …</c> for the <c>Options</c> startup parameter (Direct mode: free per command).</summary>
    public static string StartupOptions(string? existing, TimeSpan? statement, TimeSpan? lockTimeout, TimeSpan? idleInTransaction)
    {
        var sb = new StringBuilder(existing ?? "");
        Append(sb, "statement_timeout", statement);
        Append(sb, "lock_timeout", lockTimeout);
        Append(sb, "idle_in_transaction_session_timeout", idleInTransaction);
        return sb.ToString().Trim();
    }

    /// <summary>The connection string with the timeouts as startup options (cached by the caller).</summary>
    public static string WithStartupOptions(string connectionString, TimeoutOptions timeouts)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = StartupOptions(builder.Options, timeouts.Statement, timeouts.Lock, timeouts.IdleInTransaction);
        return builder.ConnectionString;
    }

    /// <summary>Client-side command timeout (whole seconds) just above the server's, so the server cancels first.</summary>
    public static int ClientCommandTimeoutSeconds(TimeSpan serverTimeout)
        => (int)Math.Min(int.MaxValue, Math.Ceiling((serverTimeout + ClientMargin).TotalSeconds));

    /// <summary>How much later than the server's statement timeout the client gives up on a server that does not answer
    /// (a frozen or partitioned one): the server's own cancellation arrives first from any server that still runs.</summary>
    public static readonly TimeSpan ClientMargin = TimeSpan.FromMilliseconds(500);

    private static string Milliseconds(TimeSpan value)
        => ((long)Math.Ceiling(value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);

    private static void Add(List<string> parts, string name, TimeSpan? value)
    {
        if (value is { } v)
        {
            parts.Add($"set_config('{name}', '{Milliseconds(v)}ms', true)");
        }
    }

    private static void Append(StringBuilder sb, string name, TimeSpan? value)
    {
        if (value is { } v)
        {
            sb.Append(" -c ").Append(name).Append('=').Append(Milliseconds(v));
        }
    }
}
