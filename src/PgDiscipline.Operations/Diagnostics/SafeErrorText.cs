using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace PgDiscipline.Operations.Diagnostics;

/// <summary>
/// Error text that may be printed, logged or stored: SQLSTATE and the names of objects, never a row value or a setting's
/// value. PostgreSQL quotes values in its messages (<c>invalid input syntax for type bigint: "alice@example.com"</c>,
/// <c>invalid value for parameter "x": "secret"</c>), so a quoted segment is kept only when it is one of the error's
/// structured names (table, column, constraint, schema, type) or the error's class quotes identifiers only; messages
/// that are the statement's own text (RAISE, internal errors) are not shown at all.
/// </summary>
internal static class SafeErrorText
{
    /// <summary>"42501 permission denied for table query_rules", "22P02 invalid input syntax for type bigint", or for an
    /// error that is not the server's, its kind and message (Npgsql's connection messages name host and port, no value).</summary>
    public static string Describe(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState + " " + Message(pg),
        NpgsqlException { InnerException: SocketException socket } => "cannot connect (" + socket.SocketErrorCode + ")",
        NpgsqlException { InnerException: TimeoutException } or TimeoutException => "timed out",
        NpgsqlException npgsql => npgsql.Message,
        _ => exception.GetType().Name,
    };

    /// <summary>The server's message with every value left out (see the class remarks).</summary>
    public static string Message(PostgresException pg)
    {
        var state = pg.SqlState ?? "";
        if (state.StartsWith("P0", StringComparison.Ordinal) || state.StartsWith("XX", StringComparison.Ordinal) || state.StartsWith("38", StringComparison.Ordinal)
            || state.StartsWith("39", StringComparison.Ordinal))
        {
            return "(raised by the statement or the server; the message is not shown: it may hold values)";
        }

        var text = pg.MessageText ?? "";
        if (state.StartsWith("22", StringComparison.Ordinal) && text.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon)
        {
            text = text[..colon]; // "invalid input syntax for type bigint: "<value>"" and "invalid byte sequence …: 0x00"
        }

        return IdentifiersOnly(state) && state != "42601" ? text : Redact(text, pg);
    }

    /// <summary>Classes whose messages quote object names only (access rules, missing objects, connection and resource states).</summary>
    private static bool IdentifiersOnly(string state)
        => state.Length == 5 && state[..2] is "42" or "3D" or "3F" or "28" or "08" or "0A" or "25" or "40" or "53" or "55" or "57" or "58";

    private static string Redact(string text, PostgresException pg)
    {
        string?[] names = [pg.TableName, pg.ColumnName, pg.ConstraintName, pg.SchemaName, pg.DataTypeName];
        var sb = new StringBuilder(text.Length);
        var at = 0;
        while (at < text.Length)
        {
            var open = text.IndexOf('"', at);
            var close = open < 0 ? -1 : text.IndexOf('"', open + 1);
            if (close < 0)
            {
                sb.Append(text, at, text.Length - at);
                break;
            }

            var quoted = text[(open + 1)..close];
            sb.Append(text, at, open - at).Append('"').Append(Array.IndexOf(names, quoted) >= 0 ? quoted : "…").Append('"');
            at = close + 1;
        }

        return sb.ToString();
    }
}
