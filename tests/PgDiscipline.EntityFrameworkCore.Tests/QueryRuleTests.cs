using Microsoft.Extensions.Configuration;
using PgDiscipline.Sql;

namespace PgDiscipline.EntityFrameworkCore.Tests;

public sealed class QueryRuleTests
{
    private static QueryRuleSnapshot Compile(params QueryRule[] rules)
        => QueryRuleCompiler.Compile(rules.Select((r, i) => (r, $"PgDiscipline:Rules:{i}", "test")), QueryRuleSnapshot.Empty, 1);

    [Fact]
    public void Matches_by_fingerprint_tag_and_table()
    {
        var info = SqlCommandInfo.Analyze("-- ListConversations\nselect * from \"Messages\" m join conversations c on c.id = m.cid where m.id = @p");
        var snapshot = Compile(
            new QueryRule { Id = "fp", Fingerprint = info.Fingerprint.ToString(), Action = QueryRuleAction.Block },
            new QueryRule { Id = "tag", Tag = "ListConversations", Action = QueryRuleAction.Timeout, Timeout = TimeSpan.FromSeconds(1) },
            new QueryRule { Id = "table", Table = "Messages", Action = QueryRuleAction.Concurrency, MaxConcurrency = 2 },
            new QueryRule { Id = "other", Table = "users", Action = QueryRuleAction.Block });
        Assert.Empty(snapshot.Errors);
        Assert.Equal(["fp", "tag", "table"], snapshot.Match(info).Select(r => r.Id));
        Assert.Empty(snapshot.Match(SqlCommandInfo.Analyze("select 1")));
    }

    [Fact]
    public void Each_malformed_rule_is_rejected_with_its_key_and_the_rest_compile()
    {
        var snapshot = Compile(
            new QueryRule { Id = "", Fingerprint = "0123456789abcdef", Action = QueryRuleAction.Block },
            new QueryRule { Id = "two-matchers", Fingerprint = "0123456789abcdef", Table = "t", Action = QueryRuleAction.Block },
            new QueryRule { Id = "bad-rate", Fingerprint = "0123456789abcdef", Action = QueryRuleAction.RateLimit, PermitsPerSecond = -1 },
            new QueryRule { Id = "no-timeout", Tag = "x", Action = QueryRuleAction.Timeout },
            new QueryRule { Id = "no-cap", Tag = "x", Action = QueryRuleAction.Concurrency },
            new QueryRule { Id = "ok", Fingerprint = "0123456789abcdef", Action = QueryRuleAction.Block });
        Assert.Equal(["ok"], snapshot.Rules.Select(r => r.Id));
        Assert.Contains(snapshot.Errors, e => e.StartsWith("PgDiscipline:Rules:0:Id", StringComparison.Ordinal));
        Assert.Contains(snapshot.Errors, e => e.Contains("Rules:1 (rule 'two-matchers')", StringComparison.Ordinal) && e.Contains("exactly one", StringComparison.Ordinal));
        Assert.Contains(snapshot.Errors, e => e.Contains("'bad-rate'", StringComparison.Ordinal) && e.Contains("PermitsPerSecond", StringComparison.Ordinal));
        Assert.Contains(snapshot.Errors, e => e.Contains("'no-timeout'", StringComparison.Ordinal));
        Assert.Contains(snapshot.Errors, e => e.Contains("'no-cap'", StringComparison.Ordinal));
    }

    [Fact]
    public void Unchanged_rules_keep_their_limiter_across_a_reload()
    {
        var rule = new QueryRule { Id = "r", Fingerprint = "0123456789abcdef", Action = QueryRuleAction.RateLimit, PermitsPerSecond = 5 };
        var first = Compile(rule);
        var copy = new QueryRule { Id = "r", Fingerprint = "0123456789abcdef", Action = QueryRuleAction.RateLimit, PermitsPerSecond = 5 };
        var second = QueryRuleCompiler.Compile([(copy, "k", "test")], first, 2);
        Assert.Same(first.Rules[0].Limiter, second.Rules[0].Limiter);
        var changed = new QueryRule { Id = "r", Fingerprint = "0123456789abcdef", Action = QueryRuleAction.RateLimit, PermitsPerSecond = 6 };
        Assert.NotSame(first.Rules[0].Limiter, QueryRuleCompiler.Compile([(changed, "k", "test")], first, 3).Rules[0].Limiter);
    }

    [Fact]
    public void Configuration_reader_names_the_key_of_an_unparseable_value()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgDiscipline:Rules:0:Id"] = "a",
            ["PgDiscipline:Rules:0:Fingerprint"] = "0123456789abcdef",
            ["PgDiscipline:Rules:0:Action"] = "Explode",
            ["PgDiscipline:Rules:1:Id"] = "b",
            ["PgDiscipline:Rules:1:Tag"] = "t",
            ["PgDiscipline:Rules:1:Action"] = "ratelimit",
            ["PgDiscipline:Rules:1:PermitsPerSecond"] = "2.5",
            ["PgDiscipline:Rules:1:MaxQueueTime"] = "00:00:01",
            ["PgDiscipline:Rules:2:Id"] = "c",
            ["PgDiscipline:Rules:2:Tag"] = "t",
            ["PgDiscipline:Rules:2:Action"] = "Timeout",
            ["PgDiscipline:Rules:2:Timeout"] = "soon",
        }).Build().GetSection("PgDiscipline:Rules");
        var errors = new List<string>();
        var rules = ConfigurationRuleReader.Read(section, errors);
        var rule = Assert.Single(rules).Rule;
        Assert.Equal((QueryRuleAction.RateLimit, 2.5, TimeSpan.FromSeconds(1)), (rule.Action, rule.PermitsPerSecond, rule.MaxQueueTime));
        Assert.Equal(["PgDiscipline:Rules:0:Action has an invalid value.", "PgDiscipline:Rules:2:Timeout has an invalid value."], errors);
    }
}
