using Microsoft.EntityFrameworkCore.Diagnostics;
using PgDiscipline.Sql;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

public sealed class CommandPlannerTests
{
    private static (CommandPlanner Planner, Action<QueryRule[]> SetRules) Planner(PgDisciplineOptions options, QueryStatistics? statistics = null)
    {
        var (planner, book) = Parts.Planner(new CurrentOptions(options), statistics);
        return (planner, rules => Assert.Empty(book.Set("test", rules.Select((r, i) => (r, $"test:{i}")))));
    }

    [Fact]
    public void Tags_set_intent_priority_and_a_statement_timeout_and_read_primary_wins_over_read_replica()
    {
        var (planner, _) = Planner(new PgDisciplineOptions());
        var tagged = planner.PlanFor("-- pgdiscipline:read=replica\n-- pgdiscipline:priority=low\n-- pgdiscipline:statement_timeout=250ms\n\nselect * from users where id = @p0");
        Assert.Equal(ReadIntent.Replica, tagged.Intent);
        Assert.Equal(QueryPriority.Low, tagged.Priority);
        Assert.Equal(TimeSpan.FromMilliseconds(250), tagged.StatementTimeoutOverride);
        Assert.True(tagged.IsReplicaSafe);

        var both = planner.PlanFor("-- pgdiscipline:read=primary reporting needs it fresh\n-- pgdiscipline:read=replica\n\nselect 1");
        Assert.Equal(ReadIntent.Primary, both.Intent);

        var malformed = planner.PlanFor("-- pgdiscipline:statement_timeout=soon\n-- pgdiscipline:priority=urgent\n\nselect 2");
        Assert.Null(malformed.StatementTimeoutOverride);
        Assert.Null(malformed.Priority);
        Assert.Equal(ReadIntent.None, malformed.Intent);
    }

    [Fact]
    public void PgBouncer_mode_prefixes_every_timeout_outside_a_transaction_and_only_the_override_inside()
    {
        var options = new PgDisciplineOptions { Pooler = PoolerMode.PgBouncerTransaction };
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        options.Timeouts.Lock = TimeSpan.FromSeconds(1);
        var (planner, _) = Planner(options);

        var plain = planner.PlanFor("select * from users");
        Assert.Equal("/* pgdiscipline:timeouts */ SELECT set_config('statement_timeout', '2000ms', true), set_config('lock_timeout', '1000ms', true);", plain.OutsidePrefix);
        Assert.Equal(plain.OutsidePrefix + "select * from users", plain.TextFor(new CommandShape { Prefix = plain.OutsidePrefix }));
        Assert.Same(plain.TextFor(new CommandShape { Prefix = plain.OutsidePrefix }), plain.TextFor(new CommandShape { Prefix = plain.OutsidePrefix })); // composed once
        Assert.Equal(plain.OutsidePrefix + ShapeSql.ProbeStatement + "select * from users", plain.TextFor(new CommandShape { Prefix = plain.OutsidePrefix, Probe = true }));
        Assert.Null(plain.InsidePrefix); // the transaction interceptor set them at BEGIN
        Assert.Equal(3, TimeoutSql.ClientCommandTimeoutSeconds(options.Timeouts.Statement.Value));

        var overridden = planner.PlanFor("-- pgdiscipline:statement_timeout=100ms\n\nselect * from users");
        Assert.Equal("/* pgdiscipline:timeouts */ SELECT set_config('statement_timeout', '100ms', true);", overridden.InsidePrefix);
    }

    [Fact]
    public void Direct_mode_needs_no_prefix_unless_a_query_overrides_the_statement_timeout()
    {
        var options = new PgDisciplineOptions();
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        var (planner, _) = Planner(options);
        var plan = planner.PlanFor("select * from users");
        Assert.Null(plan.OutsidePrefix);
        Assert.Same(plan.CommandText, plan.TextFor(default));
        Assert.NotNull(planner.PlanFor("-- pgdiscipline:statement_timeout=100ms\n\nselect * from users").OutsidePrefix);
    }

    [Fact]
    public void A_new_rule_version_rebuilds_the_plan_and_Timeout_and_Route_rules_shape_it()
    {
        var (planner, setRules) = Planner(new PgDisciplineOptions());
        const string text = "select * from messages where conversation_id = @p0";
        var before = planner.PlanFor(text);
        Assert.Same(before, planner.PlanFor(text)); // cached per text and version
        Assert.Empty(before.Rules);

        setRules([
            new QueryRule { Id = "slow", Table = "messages", Action = QueryRuleAction.Timeout, Timeout = TimeSpan.FromMilliseconds(300) },
            new QueryRule { Id = "offload", Table = "messages", Action = QueryRuleAction.Route, RouteTo = "reporting" }]);
        var after = planner.PlanFor(text);
        Assert.NotSame(before, after);
        Assert.True(after.Version > before.Version);
        Assert.Equal(["slow", "offload"], after.Rules.Select(r => r.Id));
        Assert.Equal(TimeSpan.FromMilliseconds(300), after.StatementTimeoutOverride);
        Assert.Equal("reporting", after.RouteTo);
    }

    [Fact]
    public void Statistics_entries_carry_the_command_source_and_the_call_site()
    {
        var statistics = new QueryStatistics(new StatisticsOptions { SourceRoot = "/src/app" }, ["primary"]);
        var (planner, _) = Planner(new PgDisciplineOptions(), statistics);
        var plan = planner.PlanFor("-- File: /src/app/Users/UserStore.cs:42\n\nselect * from users", CommandSource.LinqQuery);
        Assert.NotNull(plan.Stats);
        Assert.Equal("LinqQuery", plan.Stats!.Source);
        Assert.NotNull(plan.CallSite);
        Assert.Equal(1, statistics.Count);
        Assert.Equal(SqlFingerprint.Compute("select * from users").ToString(), plan.Fingerprint);
    }

    [Theory]
    [InlineData("INSERT INTO items (name) VALUES (@p0) RETURNING id;", true)]
    [InlineData("-- tag\nUPDATE items SET qty = 0 WHERE id = @p0", true)]
    [InlineData("DELETE FROM items WHERE id = @p0", true)]
    [InlineData("MERGE INTO items t USING src s ON t.id = s.id WHEN MATCHED THEN DELETE", true)]
    [InlineData("UPDATE items SET qty = 0; UPDATE items SET qty = 1", false)] // Npgsql batch commands hold one statement
    [InlineData("select * from items", false)]
    [InlineData("select nextval('items_id_seq')", false)] // not replica-safe, but not a data change to capture
    [InlineData("create index concurrently ix on items (name)", false)]
    [InlineData("begin", false)]
    public void Only_one_data_changing_statement_carries_its_position_capture(string sql, bool carries)
    {
        var (planner, _) = Planner(new PgDisciplineOptions());
        Assert.Equal(carries, planner.PlanFor(sql).CarriesPositionCapture);
    }

    [Fact]
    public void A_write_batch_is_the_prefix_then_the_write_with_an_error_barrier_then_the_capture()
    {
        var options = new PgDisciplineOptions { Pooler = PoolerMode.PgBouncerTransaction };
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        var (planner, _) = Planner(options);
        const string Sql = "UPDATE items SET qty = @p0 WHERE id = @p1";
        var plan = planner.PlanFor(Sql);
        using var connection = new Npgsql.NpgsqlConnection("Host=127.0.0.1;Database=x;Username=x");
        using var command = new Npgsql.NpgsqlCommand(Sql, connection) { CommandTimeout = 3 };
        command.Parameters.AddWithValue("p0", 5);
        command.Parameters.AddWithValue("p1", 7);

        using var batch = ShapeExecutor.CreateBatch(command, plan, plan.OutsidePrefix);
        Assert.Equal(3, batch.Timeout);
        Assert.Collection(
            (IEnumerable<Npgsql.NpgsqlBatchCommand>)batch.BatchCommands,
            prefix =>
            {
                Assert.Equal(plan.OutsidePrefix, prefix.CommandText);
                Assert.False(prefix.AppendErrorBarrier ?? false); // the prefix's set_config stays in the write's transaction
            },
            write =>
            {
                Assert.Equal(Sql, write.CommandText);
                Assert.True(write.AppendErrorBarrier); // the write commits before the capture runs
                Assert.Equal([5, 7], write.Parameters.Select(p => (int)p.Value!));
                Assert.NotSame(command.Parameters[0], write.Parameters[0]); // clones: EF Core's command keeps its own
            },
            capture => Assert.Equal(ShapeSql.CaptureStatement, capture.CommandText));

        // Direct mode without an override: no prefix.
        var direct = Parts.Planner(new PgDisciplineOptions()).PlanFor(Sql);
        using var plain = new Npgsql.NpgsqlCommand(Sql, connection);
        using var directBatch = ShapeExecutor.CreateBatch(plain, direct, direct.OutsidePrefix);
        Assert.Equal([Sql, ShapeSql.CaptureStatement], ((IEnumerable<Npgsql.NpgsqlBatchCommand>)directBatch.BatchCommands).Select(c => c.CommandText));
    }

    [Theory]
    [InlineData("pgdiscipline_session_position 0/40FE728", true)]
    [InlineData("pgdiscipline_session_position 16/B374D848", true)]
    [InlineData("pgdiscipline_session_position nonsense", false)]
    [InlineData("some other notice 0/40FE728", false)]
    [InlineData(null, false)]
    public void The_capture_message_is_recognised_and_nothing_else_is(string? text, bool recognised)
        => Assert.Equal(recognised, WritePositionCapture.TryParse(text, out _));

    [Fact]
    public void A_coalesce_tag_or_rule_marks_replica_safe_reads_only()
    {
        var options = new PgDisciplineOptions();
        var (planner, setRules) = Planner(options);
        Assert.True(planner.PlanFor("-- pgdiscipline:coalesce\n\nSELECT * FROM users WHERE id = @p0").Coalesce);
        Assert.False(planner.PlanFor("-- pgdiscipline:coalesce\n\nUPDATE users SET n = 1 RETURNING *").Coalesce);
        Assert.False(planner.PlanFor("SELECT * FROM users WHERE id = @p0").Coalesce);

        setRules([new QueryRule { Id = "storm", Table = "users", Action = QueryRuleAction.Coalesce }]);
        Assert.True(planner.PlanFor("SELECT * FROM users WHERE id = @p0").Coalesce);
        Assert.False(planner.PlanFor("SELECT * FROM orders WHERE id = @p0").Coalesce);
        Assert.False(planner.PlanFor("DELETE FROM users WHERE id = @p0").Coalesce);
    }
}
