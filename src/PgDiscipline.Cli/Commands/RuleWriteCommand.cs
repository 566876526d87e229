using System.CommandLine;
using PgDiscipline.Operations.Rules;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Commands;

/// <summary>What <c>rules block|limit|coalesce FINGERPRINT</c> share: the fingerprint, <c>--reason</c>, <c>--id</c> and
/// <c>--expires</c>, the runtime's own validation before anything is written (a rule every instance would reject is never
/// written), and the upsert.</summary>
internal abstract class RuleWriteCommand : CliCommand
{
    private readonly Option<string> _connection;
    private readonly string _idPrefix;
    private readonly Argument<string> _fingerprint = new("fingerprint") { Description = "16 hex digits, as printed by `pgdiscipline fingerprint`." };
    private readonly Option<string> _reason = new("--reason") { Description = "Why (shown in the exception and logs).", Required = true };
    private readonly Option<string?> _id = new("--id") { Description = "Rule id (default: block-, limit- or coalesce-<fingerprint>)." };
    private readonly Option<TimeSpan?> _expires = new("--expires") { Description = "Expire after this long, e.g. 01:00:00." };

    protected RuleWriteCommand(string verb, string description, Option<string> connection)
        : base(verb, description)
    {
        _connection = connection;
        _idPrefix = verb;
        Add(_fingerprint);
        Add(_reason);
        Add(_id);
        Add(_expires);
    }

    /// <summary>The rule's action and its own settings from <paramref name="parse"/>.</summary>
    protected abstract void Configure(QueryRule rule, ParseResult parse);

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var fingerprint = parse.GetValue(_fingerprint)!.Trim().ToLowerInvariant();
        var problems = new List<string>();
        if (!SqlFingerprint.TryParseHash(fingerprint, out _))
        {
            problems.Add($"'{DatabaseRuleRows.Escape(fingerprint)}' is not a fingerprint (16 hex digits).");
        }

        var id = parse.GetValue(_id) ?? $"{_idPrefix}-{fingerprint}";
        var reason = parse.GetValue(_reason)!;
        if (id.Any(char.IsControl) || id.Length is 0 or > 200)
        {
            problems.Add("--id must be 1 to 200 characters, none of them a control character (tab, newline).");
        }

        if (reason.Any(char.IsControl) || reason.Length > 1000)
        {
            problems.Add("--reason must be at most 1000 characters, none of them a control character.");
        }

        var rule = new QueryRule { Id = id, Fingerprint = fingerprint, Reason = reason, ExpiresAt = Expiry(parse.GetValue(_expires), DateTimeOffset.UtcNow, problems) };
        Configure(rule, parse);
        if (problems.Count == 0)
        {
            // The runtime's own validation, its option names spelled as this command's.
            problems.AddRange(QueryRuleValidator.Validate(rule, "rule").Select(p => p
                .Replace("PermitsPerSecond", "--per-second", StringComparison.Ordinal).Replace("MaxQueueTime", "--max-queue-ms", StringComparison.Ordinal)));
        }

        if (problems.Count > 0)
        {
            foreach (var p in problems)
            {
                await Error(parse).WriteLineAsync($"{RulesCommand.Prefix}: {p}").ConfigureAwait(false);
            }

            return ExitCodes.BadInput;
        }

        return await RulesCommand.RunAsync(parse, _connection, create: true, writing: true, cancellationToken, async (conn, output, _) =>
        {
            await RuleTableWriter.UpsertAsync(conn, rule, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"{RuleTableWriter.ActionName(rule.Action)} {fingerprint} as rule '{DatabaseRuleRows.Escape(id)}'").ConfigureAwait(false);
            return ExitCodes.Ok;
        }).ConfigureAwait(false);
    }

    /// <summary>Positive, and an instant every instance can hold (the table takes later ones; .NET stops at year 9999).</summary>
    private static DateTimeOffset? Expiry(TimeSpan? expires, DateTimeOffset now, List<string> problems)
    {
        if (expires is not { } e)
        {
            return null;
        }

        if (e <= TimeSpan.Zero)
        {
            problems.Add("--expires must be positive (a rule that has expired already would never apply).");
            return null;
        }

        if (e > DateTimeOffset.MaxValue.AddYears(-1) - now)
        {
            problems.Add("--expires is too far away: the expiry must be before the year 9999 (omit --expires for a rule that does not expire).");
            return null;
        }

        return now + e;
    }
}
