using System.CommandLine;

namespace PgDiscipline.Cli.Commands;

/// <summary><c>pgdiscipline rules limit FINGERPRINT --per-second N --reason …</c>: a token bucket on the fingerprint.</summary>
internal sealed class RulesLimitCommand : RuleWriteCommand
{
    private readonly Option<double> _perSecond = new("--per-second") { Description = "Permits per second (0.001 to 1000000).", Required = true };
    private readonly Option<int?> _queue = new("--max-queue-ms") { Description = "How long a query may wait for a permit (default: fail at once)." };

    public RulesLimitCommand(Option<string> connection)
        : base("limit", "Rate-limit queries with this fingerprint.", connection)
    {
        Add(_perSecond);
        Add(_queue);
    }

    protected override void Configure(QueryRule rule, ParseResult parse)
    {
        rule.Action = QueryRuleAction.RateLimit;
        rule.PermitsPerSecond = parse.GetValue(_perSecond);
        rule.MaxQueueTime = parse.GetValue(_queue) is { } q ? TimeSpan.FromMilliseconds(q) : TimeSpan.Zero;
    }
}
