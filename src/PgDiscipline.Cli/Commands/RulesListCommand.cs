using System.CommandLine;
using System.Globalization;
using PgDiscipline.Operations.Rules;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline rules list</c>: the table's rules, one escaped line each; a row the runtime rejects is shown
/// with the reason.</summary>
internal sealed class RulesListCommand : CliCommand
{
    private readonly Option<string> _connection;

    public RulesListCommand(Option<string> connection)
        : base("list", "List the rules in the table (rows the runtime rejects are shown with the reason).")
        => _connection = connection;

    protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        => RulesCommand.RunAsync(parse, _connection, create: false, writing: false, cancellationToken, async (conn, output, exists) =>
        {
            if (!exists)
            {
                await output.WriteLineAsync("0 rule(s) (pgdiscipline.query_rules does not exist yet: the first `rules block|limit|coalesce` creates it)").ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var rows = await DatabaseRuleRows.ReadAllAsync(conn, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync("id\tmatch\taction\tlimit\texpires\treason").ConfigureAwait(false);
            foreach (var row in rows)
            {
                await output.WriteLineAsync(Line(row)).ConfigureAwait(false);
            }

            var rejected = rows.Count(r => r.Rule is null);
            await output.WriteLineAsync($"{rows.Count} rule(s){(rejected > 0 ? $", {rejected} rejected by the runtime" : "")}").ConfigureAwait(false);
            return ExitCodes.Ok;
        });

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
}
