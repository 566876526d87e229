using System.CommandLine;
using PgDiscipline.Operations.Rules;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline rules unblock ID|FINGERPRINT</c>: removes the rule with that id, and every rule on that
/// fingerprint. Exit 1 when nothing matched.</summary>
internal sealed class RulesUnblockCommand : CliCommand
{
    private readonly Option<string> _connection;
    private readonly Argument<string> _target = new("id-or-fingerprint") { Description = "A rule id, or a fingerprint (removes every rule on it)." };

    public RulesUnblockCommand(Option<string> connection)
        : base("unblock", "Remove rules by id or fingerprint.")
    {
        _connection = connection;
        Add(_target);
    }

    protected override Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
        => RulesCommand.RunAsync(parse, _connection, create: false, writing: true, cancellationToken, async (conn, output, exists) =>
        {
            var removed = exists ? await RuleTableWriter.DeleteAsync(conn, parse.GetValue(_target)!, cancellationToken).ConfigureAwait(false) : 0;
            await output.WriteLineAsync($"removed {removed} rule(s)").ConfigureAwait(false);
            return removed > 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
}
