using System.CommandLine;
using Npgsql;
using PgDiscipline.Operations.Rules;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline rules list|block|limit|coalesce|unblock --connection …</c>: writes <c>pgdiscipline.query_rules</c>,
/// which every running instance configured with <c>DatabaseRules</c> picks up within a second (LISTEN/NOTIFY). Every value
/// is checked as the runtime checks it before anything is written; DDL runs only when the table must be created, so an
/// operator role with the grants of docs/security.md needs no ownership.</summary>
internal sealed class RulesCommand : Command
{
    internal const string Prefix = "pgdiscipline rules";

    public RulesCommand()
        : base("rules", "Manage query rules in pgdiscipline.query_rules.")
    {
        var connection = CommonOptions.Connection(recursive: true);
        Add(connection);
        Subcommands.Add(new RulesListCommand(connection));
        Subcommands.Add(new RulesBlockCommand(connection));
        Subcommands.Add(new RulesLimitCommand(connection));
        Subcommands.Add(new RulesCoalesceCommand(connection));
        Subcommands.Add(new RulesUnblockCommand(connection));
    }

    /// <summary>Connects and runs <paramref name="body"/> with whether the table exists; with <paramref name="create"/>, a
    /// missing table is created first (the only DDL the command runs). Failures map to <see cref="ExitCodes"/>: never the
    /// connection string (it may hold a password), never a value; a missing privilege with its grant.</summary>
    internal static async Task<int> RunAsync(ParseResult parse, Option<string> connectionOption, bool create, bool writing, CancellationToken ct, Func<NpgsqlConnection, TextWriter, bool, Task<int>> body)
    {
        var error = parse.InvocationConfiguration.Error;
        if (!CliErrors.TryParseConnection(parse.GetValue(connectionOption), "--connection", out var builder, out var problem))
        {
            await error.WriteLineAsync($"{Prefix}: {problem}").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        NpgsqlConnection? conn = null;
        var creating = false;
        try
        {
            conn = new NpgsqlConnection(builder.ConnectionString);
            await conn.OpenAsync(ct).ConfigureAwait(false);
            var exists = await RuleTableWriter.ExistsAsync(conn, ct).ConfigureAwait(false);
            if (!exists && create)
            {
                creating = true;
                await RuleTableWriter.CreateAsync(conn, ct).ConfigureAwait(false);
                creating = false;
                exists = true;
            }

            return await body(conn, parse.InvocationConfiguration.Output, exists).ConfigureAwait(false);
        }
        catch (Exception ex) when (CliErrors.IsDatabase(ex))
        {
            var (code, message) = CliErrors.Database(ex, RuleTableGrants.Hint(ex, creating, conn, writing).TrimStart(';', ' ').Replace("fix: ", "", StringComparison.Ordinal));
            await error.WriteLineAsync($"{Prefix}: {message}").ConfigureAwait(false);
            return code;
        }
        finally
        {
            if (conn is not null)
            {
                await conn.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
