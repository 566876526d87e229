using System.CommandLine;
using Npgsql;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline backfill pause|resume|cancel NAME</c>: one verb class for the three requests, which differ only
/// in what they ask (through <c>pgdiscipline.request_backfill</c>: an operator needs EXECUTE on it, not UPDATE on the table).</summary>
internal sealed class BackfillRequestCommand : CliCommand
{
    /// <summary>What an operator needs for pause, resume and cancel.</summary>
    private const string Grant = "GRANT USAGE ON SCHEMA pgdiscipline TO <role>; GRANT EXECUTE ON FUNCTION pgdiscipline.request_backfill(text, text) TO <role>";

    private readonly Option<string> _connection;
    private readonly BackfillRequest _request;
    private readonly Argument<string> _name = new("name") { Description = "The backfill's name." };

    public BackfillRequestCommand(Option<string> connection, string verb, BackfillRequest request, string description)
        : base(verb, description)
    {
        _connection = connection;
        _request = request;
        Add(_name);
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
            var name = parse.GetValue(_name)!;
            if (!await BackfillRunner.RequestAsync(primary, name, _request, cancellationToken).ConfigureAwait(false))
            {
                return await FailAsync(parse, BackfillCommand.Prefix, ExitCodes.Failed, $"no backfill '{name}'.").ConfigureAwait(false);
            }

            await Output(parse).WriteLineAsync(_request switch
            {
                BackfillRequest.Pause => $"backfill {name}: pause requested (its runner waits before its next batch)",
                BackfillRequest.Cancel => $"backfill {name}: cancel requested (its runner stops after the batch in flight)",
                _ => $"backfill {name}: resume requested (a waiting runner goes on; a stopped one continues with `backfill run {name}`)",
            }).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (CliErrors.IsDatabase(ex))
        {
            var (code, message) = CliErrors.Database(ex, Grant);
            return await FailAsync(parse, BackfillCommand.Prefix, code, message).ConfigureAwait(false);
        }
    }
}
