using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PgDiscipline.Cli.Doctor;

namespace PgDiscipline.Cli.Commands;

/// <summary>
/// <c>pgdiscipline doctor --connection … [--replica …]</c>: reads a live cluster and reports timeouts, pg_stat_statements
/// (top queries with their PgDiscipline fingerprints, ready to block), replication lag, connection usage, and long-running
/// or idle-in-transaction sessions (<see cref="DoctorChecks"/>). Exit (<see cref="ExitCodes"/>) 0 when no check fails
/// (warnings and skipped checks allowed), 1 when one fails, 2 on bad arguments, 3 when the primary cannot be reached.
/// </summary>
internal sealed class DoctorCommand : CliCommand
{
    private const string Prefix = "pgdiscipline doctor";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Option<string> _connection = CommonOptions.Connection();
    private readonly Option<string[]> _replicas = CommonOptions.Replicas("Connection string of a replica (repeatable).");
    private readonly Option<string> _format = CommonOptions.Format("text | json", "text", "json");
    private readonly Option<TimeSpan> _maxLag = CommonOptions.MaxLag("Replica replay lag that fails the check.");
    private readonly Option<TimeSpan> _longRunning = new("--long-running") { Description = "Active or idle-in-transaction age worth reporting.", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };
    private readonly Option<double> _maxUsage = new("--max-connection-usage") { Description = "Share of max_connections in use that fails the check.", DefaultValueFactory = _ => 0.9 };
    private readonly Option<int> _top = new("--top") { Description = "How many pg_stat_statements queries to list.", DefaultValueFactory = _ => 10 };

    public DoctorCommand()
        : base("doctor", "Check a live PostgreSQL cluster the way PgDiscipline expects it to run.")
    {
        foreach (var option in new Option[] { _connection, _replicas, _format, _maxLag, _longRunning, _maxUsage, _top })
        {
            Add(option);
        }
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (!CliErrors.TryParseConnection(parse.GetValue(_connection), "--connection", out var primaryBuilder, out var problem))
        {
            return await FailAsync(parse, Prefix, ExitCodes.BadInput, problem).ConfigureAwait(false);
        }

        var replicaList = parse.GetValue(_replicas) ?? [];
        for (var i = 0; i < replicaList.Length; i++)
        {
            if (!CliErrors.TryParseConnection(replicaList[i], string.Create(CultureInfo.InvariantCulture, $"--replica #{i + 1}"), out _, out problem))
            {
                return await FailAsync(parse, Prefix, ExitCodes.BadInput, problem).ConfigureAwait(false);
            }
        }

        var settings = new Settings(parse.GetValue(_maxLag), parse.GetValue(_longRunning), parse.GetValue(_maxUsage), Math.Max(1, parse.GetValue(_top)));
        var checks = await DoctorChecks.RunAsync(primaryBuilder.ConnectionString, replicaList, settings, cancellationToken).ConfigureAwait(false);
        var output = Output(parse);
        if (parse.GetValue(_format) == "json")
        {
            var array = new JsonArray();
            foreach (var c in checks)
            {
                array.Add((JsonNode)new JsonObject { ["check"] = c.Name, ["status"] = c.Status.ToString().ToLowerInvariant(), ["detail"] = c.Detail, ["data"] = c.Data?.DeepClone() });
            }

            await output.WriteLineAsync(new JsonObject { ["checks"] = array }.ToJsonString(Indented)).ConfigureAwait(false);
        }
        else
        {
            foreach (var c in checks)
            {
                await output.WriteLineAsync($"[{c.Status.ToString().ToUpperInvariant(),-4}] {c.Name}: {c.Detail}").ConfigureAwait(false);
            }
        }

        return checks is [{ Name: "primary", Status: Status.Fail, Data: JsonObject data }] && data["unreachable"]?.GetValue<bool>() == true ? ExitCodes.Unreachable
            : checks.Any(c => c.Status == Status.Fail) ? ExitCodes.Failed : ExitCodes.Ok;
    }
}
