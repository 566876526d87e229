using System.CommandLine;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli;

/// <summary><c>pgdiscipline fingerprint "&lt;sql&gt;"</c> / <c>--stdin</c>: prints <c>&lt;hex&gt;  &lt;normalized&gt;</c>, so an operator can
/// paste a query from <c>pg_stat_statements</c> and get the fingerprint to block.</summary>
internal static class FingerprintCommand
{
    public static Command Build()
    {
        var sql = new Argument<string?>("sql") { Description = "The SQL text (quote it). Omit with --stdin.", Arity = ArgumentArity.ZeroOrOne };
        var stdin = new Option<bool>("--stdin") { Description = "Read the SQL text from standard input." };
        var command = new Command("fingerprint", "Print the PgDiscipline fingerprint and normalized form of a SQL text.") { sql, stdin };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string? text;
            if (parse.GetValue(stdin))
            {
                text = await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                text = parse.GetValue(sql);
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                await error.WriteLineAsync("pgdiscipline fingerprint: give the SQL text as an argument or use --stdin.").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            var fingerprint = SqlFingerprint.Compute(text);
            await output.WriteLineAsync($"{fingerprint}  {fingerprint.Normalized}").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
