using System.CommandLine;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline rules block FINGERPRINT --reason …</c>: every query with the fingerprint is refused.</summary>
internal sealed class RulesBlockCommand(Option<string> connection)
    : RuleWriteCommand("block", "Block every query with this fingerprint.", connection)
{
    protected override void Configure(QueryRule rule, ParseResult parse) => rule.Action = QueryRuleAction.Block;
}
