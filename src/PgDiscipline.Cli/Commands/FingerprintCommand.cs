using System.CommandLine;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline fingerprint "&lt;sql&gt;"</c> / <c>--stdin</c>: prints <c>&lt;hex&gt;  &lt;normalized&gt;</c>, so an operator can
/// paste a query from <c>pg_stat_statements</c> and get the fingerprint to block.</summary>
internal sealed class FingerprintCommand : CliCommand
{
    private readonly Argument<string?> _sql = new("sql") { Description = "The SQL text (quote it). Omit with --stdin.", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _stdin = new("--stdin") { Description = "Read the SQL text from standard input." };

    public FingerprintCommand()
        : base("fingerprint", "Print the PgDiscipline fingerprint and normalized form of a SQL text.")
    {
        Add(_sql);
        Add(_stdin);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var text = parse.GetValue(_stdin) ? await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false) : parse.GetValue(_sql);
        if (string.IsNullOrWhiteSpace(text))
        {
            return await FailAsync(parse, "pgdiscipline fingerprint", ExitCodes.BadInput, "give the SQL text as an argument or use --stdin.").ConfigureAwait(false);
        }

        var fingerprint = SqlFingerprint.Compute(text);
        await Output(parse).WriteLineAsync($"{fingerprint}  {fingerprint.Normalized}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
