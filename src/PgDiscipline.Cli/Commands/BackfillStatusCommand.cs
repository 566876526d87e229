using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using PgDiscipline.Cli.Backfill;
using PgDiscipline.Operations;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline backfill status [NAME] [--format text|json]</c>: state, progress, rate, pauses by reason, lag
/// seen. Reads no statement text and no key (either may hold literal values).</summary>
internal sealed class BackfillStatusCommand : CliCommand
{
    /// <summary>What <c>status</c> reads.</summary>
    private const string Grant = "GRANT USAGE ON SCHEMA pgdiscipline TO <role>; GRANT SELECT (name, table_name, key_column, state, requested, pause_reason, rows_done, rows_affected, rows_estimate, batches, batch_size, pauses, paused_seconds, max_lag_seconds, owner, error, created_at, started_at, updated_at, finished_at, run_seconds) ON pgdiscipline.backfills TO <role>";

    private readonly Option<string> _connection;
    private readonly Argument<string?> _name = new("name") { Description = "Only this backfill.", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string> _format = CommonOptions.Format("text | json (pgdiscipline.backfills/v1, an input of `pgdiscipline report`)", "text", "json");

    public BackfillStatusCommand(Option<string> connection)
        : base("status", "List backfills: state, progress, rate, pauses by reason, lag seen.")
    {
        _connection = connection;
        Add(_name);
        Add(_format);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        if (!CliErrors.TryParseConnection(parse.GetValue(_connection), "--connection", out var builder, out var problem))
        {
            return await FailAsync(parse, BackfillCommand.Prefix, ExitCodes.BadInput, problem).ConfigureAwait(false);
        }

        try
        {
            await using var primary = NpgsqlDataSource.Create(builder.ConnectionString);
            var all = await BackfillRunner.ListAsync(primary, cancellationToken).ConfigureAwait(false);
            var only = parse.GetValue(_name);
            var list = all.Where(b => only is null || b.Name == only).ToList();
            if (only is not null && list.Count == 0)
            {
                return await FailAsync(parse, BackfillCommand.Prefix, ExitCodes.Failed, $"no backfill '{only}'.").ConfigureAwait(false);
            }

            var stdout = Output(parse);
            if (parse.GetValue(_format) == "json")
            {
                var doc = new BackfillStatusDocument { CreatedAt = DateTimeOffset.UtcNow };
                doc.Backfills.AddRange(list.Select(b => b.ToSnapshot()));
                await stdout.WriteLineAsync(JsonSerializer.Serialize(doc, CliJson.Default.BackfillStatusDocument)).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            await stdout.WriteLineAsync("name\tstate\tprogress\trows/s\tpauses\tmax lag\ttable").ConfigureAwait(false);
            foreach (var b in list)
            {
                await stdout.WriteLineAsync(StatusLine(b)).ConfigureAwait(false);
            }

            await stdout.WriteLineAsync($"{list.Count} backfill(s)").ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (CliErrors.IsDatabase(ex))
        {
            var (code, message) = CliErrors.Database(ex, Grant);
            return await FailAsync(parse, BackfillCommand.Prefix, code, message).ConfigureAwait(false);
        }
    }

    internal static string StatusLine(BackfillProgress b)
    {
        var state = BackfillRowsText.State(b);
        var progress = b.Fraction is { } f && b.RowsEstimate is { } total
            ? string.Create(CultureInfo.InvariantCulture, $"{b.RowsDone:N0}/{total:N0} ({f:P1})")
            : string.Create(CultureInfo.InvariantCulture, $"{b.RowsDone:N0}");
        var pauses = b.Pauses.Count == 0 ? "—" : string.Join(", ", b.Pauses.OrderByDescending(p => p.Value).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} × {p.Value}")));
        var lag = b.MaxReplicaLagSeen is { } l ? string.Create(CultureInfo.InvariantCulture, $"{l.TotalSeconds:0.###} s") : "—";
        return string.Create(CultureInfo.InvariantCulture, $"{b.Name}\t{state}\t{progress}\t{b.RowsPerSecond:0}\t{pauses}\t{lag}\t{b.Table}");
    }
}
