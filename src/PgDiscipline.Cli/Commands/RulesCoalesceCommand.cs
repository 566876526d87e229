using System.CommandLine;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline rules coalesce FINGERPRINT --reason …</c>: identical reads in flight share one execution.</summary>
internal sealed class RulesCoalesceCommand(Option<string> connection)
    : RuleWriteCommand("coalesce", "Coalesce identical reads with this fingerprint in flight: one execution answers every caller with the same parameters.", connection)
{
    protected override void Configure(QueryRule rule, ParseResult parse) => rule.Action = QueryRuleAction.Coalesce;
}
