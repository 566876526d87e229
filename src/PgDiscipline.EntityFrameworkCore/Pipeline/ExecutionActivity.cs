using System.Data.Common;
using System.Diagnostics;
using Npgsql;
using PgDiscipline.Sql;

namespace PgDiscipline.Pipeline;

/// <summary>The span of a command (OpenTelemetry database conventions; the query text is the normalized one), started
/// only when someone listens.</summary>
internal static class ExecutionActivity
{
    public static Activity? Start(DbCommand command, CommandPlan plan)
    {
        var info = plan.Info;
        var operation = OperationName(info.Kind);
        var table = info.Tables.Count > 0 ? info.Tables[0] : null;
        var summary = table is null ? operation : operation + " " + table;
        var activity = PgDisciplineTelemetry.Source.StartActivity(summary, ActivityKind.Client);
        if (activity is null || !activity.IsAllDataRequested)
        {
            return activity;
        }

        activity.SetTag("db.system.name", "postgresql");
        activity.SetTag("db.operation.name", operation);
        if (table is not null)
        {
            activity.SetTag("db.collection.name", table);
        }

        activity.SetTag("db.query.summary", summary);
        activity.SetTag("db.query.text", info.Fingerprint.Normalized);
        activity.SetTag("pgdiscipline.fingerprint", plan.Fingerprint);
        if (command.Connection is NpgsqlConnection c)
        {
            activity.SetTag("db.namespace", c.Database);
            activity.SetTag("server.address", c.Host);
            activity.SetTag("server.port", c.Port);
        }

        activity.SetTag("pgdiscipline.target", "primary");
        return activity;
    }

    public static void SetTarget(Activity activity, string target, string? host, int port)
    {
        activity.SetTag("pgdiscipline.target", target);
        activity.SetTag("server.address", host);
        activity.SetTag("server.port", port);
    }

    /// <summary>Ends the span; <paramref name="errorType"/> is a SQLSTATE, a short error name or a refusal.</summary>
    public static void End(Activity activity, string? errorType)
    {
        if (errorType is not null)
        {
            activity.SetTag("error.type", errorType);
            if (errorType.Length == 5 && char.IsAsciiDigit(errorType[0]))
            {
                activity.SetTag("db.response.status_code", errorType);
            }

            activity.SetStatus(ActivityStatusCode.Error);
        }

        activity.Dispose();
    }

    internal static string OperationName(SqlStatementKind kind) => kind switch
    {
        SqlStatementKind.Select => "SELECT",
        SqlStatementKind.Insert => "INSERT",
        SqlStatementKind.Update => "UPDATE",
        SqlStatementKind.Delete => "DELETE",
        SqlStatementKind.Merge => "MERGE",
        SqlStatementKind.Ddl => "DDL",
        SqlStatementKind.Utility => "UTILITY",
        _ => "OTHER",
    };
}
