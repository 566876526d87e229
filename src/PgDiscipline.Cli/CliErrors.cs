using Npgsql;
using PgDiscipline.Operations.Diagnostics;

namespace PgDiscipline.Cli;

/// <summary>How every command turns a failure into a line and an exit code (<see cref="ExitCodes"/>): never a stack trace,
/// never a connection string's value, never a row value.</summary>
internal static class CliErrors
{
    /// <summary>Checks a connection string given as <paramref name="option"/>; on failure the message names the option and
    /// the keyword at fault, never a value (a bad <c>Port</c> could be a misplaced password).</summary>
    public static bool TryParseConnection(string? connectionString, string option, out NpgsqlConnectionStringBuilder builder, out string problem)
    {
        builder = new NpgsqlConnectionStringBuilder();
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            problem = $"give {option}" + (option == "--connection" ? " (or PGDISCIPLINE_CONNECTION)" : "") + ".";
            return false;
        }

        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                problem = $"invalid {option}: no Host.";
                return false;
            }

            // Npgsql takes any int as a port and fails later, deep in the socket code (ArgumentOutOfRangeException).
            var ports = builder.Host.Split(',', StringSplitOptions.TrimEntries)
                .Select(h => h.LastIndexOf(':') is var c and > 0 && !h.StartsWith('[') && h.IndexOf(':', StringComparison.Ordinal) == c ? h[(c + 1)..] : null)
                .Where(p => p is not null);
            if (builder.Port is < 1 or > 65535 || ports.Any(p => !int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n is < 1 or > 65535))
            {
                problem = $"invalid {option}: Port must be 1 to 65535 (the value is not shown).";
                return false;
            }

            problem = "";
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            problem = $"invalid {option}: " + (ex is ArgumentException { ParamName: { Length: > 0 } keyword } && !keyword.Contains('=', StringComparison.Ordinal)
                ? $"unknown keyword or invalid value for '{keyword}'"
                : "a setting has an invalid value") + " (the value is not shown).";
            return false;
        }
    }

    /// <summary>The exit code and one line for a failure talking to the database.</summary>
    public static (int Code, string Message) Database(Exception exception, string? grant = null) => exception switch
    {
        PostgresException pg when Unreachable(pg.SqlState) => (ExitCodes.Unreachable, "cannot reach the database: " + SafeErrorText.Describe(pg)),
        PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } pg => (ExitCodes.Failed, SafeErrorText.Describe(pg) + (grant is null ? "" : "; fix: " + grant)),
        PostgresException pg => (ExitCodes.Failed, SafeErrorText.Describe(pg)),
        NpgsqlException or TimeoutException or System.Net.Sockets.SocketException => (ExitCodes.Unreachable, "cannot reach the database: " + SafeErrorText.Describe(exception)),
        _ => (ExitCodes.Failed, "unexpected " + exception.GetType().Name),
    };

    /// <summary>Connection-level SQLSTATEs: the server cannot be used by this login at all (authentication, unknown
    /// database, shutting down, too many connections), so the database counts as unreachable (3), not the command as failed.</summary>
    public static bool Unreachable(string? sqlState)
        => sqlState is { Length: 5 } s && (s.StartsWith("08", StringComparison.Ordinal) || s.StartsWith("28", StringComparison.Ordinal)
            || s == PostgresErrorCodes.InvalidCatalogName || s == PostgresErrorCodes.TooManyConnections
            || s == PostgresErrorCodes.AdminShutdown || s == PostgresErrorCodes.CrashShutdown || s == PostgresErrorCodes.CannotConnectNow);

    /// <summary>True for what <see cref="Database"/> handles (wrap a command's database work with <c>when (CliErrors.IsDatabase(ex))</c>).</summary>
    public static bool IsDatabase(Exception exception) => exception is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException;
}
