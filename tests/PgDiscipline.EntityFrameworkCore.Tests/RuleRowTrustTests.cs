using PgDiscipline.Operations.Rules;

namespace PgDiscipline.EntityFrameworkCore.Tests;

/// <summary>Issue 32, items 3 and 8: a row of <c>pgdiscipline.query_rules</c> is input from another role — read and
/// validated on its own, rejected naming its id, never able to stop the other rows or crash the rule loop.</summary>
public sealed class RuleRowTrustTests
{
    // Columns as DatabaseRuleRows.SelectSql returns them (all text).
    private static string?[] Row(string id, string action = "Block", string? pps = null, string? expiresEpoch = null, string? queueMs = null, string? timeoutMs = null)
        => [id, "fingerprint", "0123456789abcdef", action, "why", pps, null, null, queueMs, timeoutMs, null, expiresEpoch];

    [Theory]
    [InlineData("253402300800.000000")] // 10000-01-01: out of DateTime's range (an InvalidCastException ended every reload)
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("-62135596801.000000")] // just before year 1
    public void An_expiry_dotnet_cannot_hold_rejects_that_row_naming_its_id(string epoch)
    {
        var row = DatabaseRuleRows.Parse(Row("far-future", expiresEpoch: epoch));
        Assert.Null(row.Rule);
        var error = Assert.Single(row.Errors);
        Assert.StartsWith("pgdiscipline.query_rules[id=far-future]: expires_at", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_readable_expiry_is_kept_to_the_millisecond()
    {
        var row = DatabaseRuleRows.Parse(Row("soon", expiresEpoch: "1798761600.123456"));
        Assert.Empty(row.Errors);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1798761600123), row.Rule!.ExpiresAt);
    }

    [Fact]
    public void An_id_with_a_tab_or_newline_is_escaped_in_every_message()
    {
        var row = DatabaseRuleRows.Parse(Row("evil\tid\nforged-row", action: "Explode"));
        var error = Assert.Single(row.Errors);
        Assert.Contains(@"[id=evil\tid\nforged-row]", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.DoesNotContain('\t', error);
    }

    [Fact]
    public void Numeric_action_names_and_unknown_match_kinds_are_rejected()
    {
        Assert.NotEmpty(DatabaseRuleRows.Parse(Row("n", action: "1")).Errors);
        var kind = Row("k");
        kind[1] = "regex";
        Assert.Contains("match_kind", Assert.Single(DatabaseRuleRows.Parse(kind).Errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1e-300")] // TimeSpan.FromSeconds(1e300): the limiter could not be built, and the reload threw
    [InlineData("1e12")] // the token bucket counts in ints
    public void A_rate_the_limiter_cannot_take_is_rejected_and_the_other_rules_compile(string pps)
    {
        var bad = DatabaseRuleRows.Parse(Row("bad", action: "RateLimit", pps: pps));
        var good = DatabaseRuleRows.Parse(Row("good"));
        var snapshot = QueryRuleCompiler.Compile(
            new[] { bad, good }.Where(r => r.Rule is not null).Select(r => (r.Rule!, r.Key, "database")),
            QueryRuleSnapshot.Empty, 1, bad.Errors);
        Assert.Equal(["good"], snapshot.Rules.Select(r => r.Id));
        Assert.Contains(snapshot.Errors, e => e.Contains("id=bad", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0.001")]
    [InlineData("1000000")]
    public void The_rates_at_the_bounds_build_a_limiter(string pps)
    {
        var row = DatabaseRuleRows.Parse(Row("edge", action: "RateLimit", pps: pps));
        var snapshot = QueryRuleCompiler.Compile([(row.Rule!, row.Key, "database")], QueryRuleSnapshot.Empty, 1);
        Assert.Empty(snapshot.Errors);
        Assert.NotNull(Assert.Single(snapshot.Rules).Limiter);
    }

    [Fact]
    public void Negative_queue_times_and_zero_timeouts_are_rejected()
    {
        var queue = DatabaseRuleRows.Parse(Row("q", action: "RateLimit", pps: "5", queueMs: "-5"));
        var timeout = DatabaseRuleRows.Parse(["t", "tag", "x", "Timeout", "", null, null, null, null, "0", null, null]);
        var snapshot = QueryRuleCompiler.Compile([(queue.Rule!, queue.Key, "database"), (timeout.Rule!, timeout.Key, "database")], QueryRuleSnapshot.Empty, 1);
        Assert.Empty(snapshot.Rules);
        Assert.Contains(snapshot.Errors, e => e.Contains("id=q", StringComparison.Ordinal) && e.Contains("MaxQueueTime", StringComparison.Ordinal));
        Assert.Contains(snapshot.Errors, e => e.Contains("id=t", StringComparison.Ordinal) && e.Contains("Timeout", StringComparison.Ordinal));
    }
}
