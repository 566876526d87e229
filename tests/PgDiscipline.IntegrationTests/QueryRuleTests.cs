// PGD103: these tests run the same query repeatedly on purpose (load for rate limits, sequences for queues).
#pragma warning disable PGD103
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using PgDiscipline.Sql;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>Query rules end to end on the real primary.</summary>
[Collection(ClusterCollection.Name)]
public sealed class QueryRuleTests(ClusterFixture cluster) : IAsyncLifetime
{
    public Task InitializeAsync() => ProbeContext.EnsureTableAsync(cluster.Primary);

    public Task DisposeAsync() => Task.CompletedTask;

    private static Task<List<Item>> HotQuery(ProbeContext ctx, int minQty, int take)
        => ctx.Items.Where(i => i.Qty > minQty).OrderBy(i => i.Id).Take(take).ToListAsync();

    [Fact]
    public async Task Fingerprint_copied_from_pg_stat_statements_blocks_the_ef_core_query_that_produced_it()
    {
        await using (var reset = new NpgsqlConnection(cluster.Primary))
        {
            await reset.OpenAsync();
            await using var cmd = new NpgsqlCommand("select pg_stat_statements_reset()", reset);
            await cmd.ExecuteNonQueryAsync();
        }

        await using (var plain = ProbeContext.Create(cluster.Primary))
        {
            Assert.NotEmpty(await HotQuery(plain, 3, 5));
        }

        string pgssText;
        await using (var conn = new NpgsqlConnection(cluster.Primary))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                "select query from pg_stat_statements where query like '%probe_items%' and query like '%LIMIT%' and query not like '%pg_stat_statements%'", conn);
            pgssText = (string)(await cmd.ExecuteScalarAsync())!;
        }

        var fingerprint = SqlFingerprint.Compute(pgssText).ToString();
        await using var guarded = ProbeContext.Create(cluster.Primary, pg => pg.Rules.Block(fingerprint, reason: "incident 42: melting the primary", id: "incident-42"));
        var ex = await Assert.ThrowsAsync<QueryBlockedException>(() => HotQuery(guarded, 7, 2)); // other values, same pattern
        Assert.Equal(fingerprint, ex.Fingerprint);
        Assert.Equal("incident-42", ex.RuleId);
        Assert.Contains("melting the primary", ex.Message, StringComparison.Ordinal);

        // Other queries still run.
        Assert.True(await guarded.Items.CountAsync() >= 20);
    }

    [Fact]
    public async Task Blocked_and_rate_limited_commands_are_counted_per_rule_and_fingerprint()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<(string Instrument, string Rule, string Fingerprint)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PgDisciplineTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            string rule = "", fingerprint = "";
            foreach (var tag in tags)
            {
                rule = tag.Key == "pgdiscipline.rule" ? (string)tag.Value! : rule;
                fingerprint = tag.Key == "pgdiscipline.fingerprint" ? (string)tag.Value! : fingerprint;
            }

            seen.Add((instrument.Name, rule, fingerprint));
        });
        listener.Start();

        var blocked = SqlFingerprint.Compute("select 11 as \"Value\"").ToString();
        var limited = SqlFingerprint.Compute("select 12 as \"Value\" from probe_items where id = 12").ToString();
        await using var ctx = ProbeContext.Create(cluster.Primary, pg =>
        {
            pg.Rules.Block(blocked, "metrics test", id: "metrics-block");
            pg.Rules.RateLimit(limited, 1, id: "metrics-limit");
        });
        await Assert.ThrowsAsync<QueryBlockedException>(() => ctx.Database.SqlQueryRaw<int>("select 11 as \"Value\"").ToListAsync());
        await ctx.Database.SqlQueryRaw<int>("select 12 as \"Value\" from probe_items where id = 12").ToListAsync();
        await Assert.ThrowsAsync<QueryRateLimitedException>(() => ctx.Database.SqlQueryRaw<int>("select 12 as \"Value\" from probe_items where id = 12").ToListAsync());

        Assert.Contains(("pgdiscipline.queries.blocked", "metrics-block", blocked), seen);
        Assert.Contains(("pgdiscipline.queries.rate_limited", "metrics-limit", limited), seen);
    }

    [Fact]
    public async Task Literal_whitespace_comment_and_case_variations_cannot_evade_a_block()
    {
        var fingerprint = SqlFingerprint.Compute("select * from probe_items where qty > 5 and name <> 'x' order by id limit 3").ToString();
        await using var ctx = ProbeContext.Create(cluster.Primary, pg => pg.Rules.Block(fingerprint, reason: "blocked pattern", id: "pattern"));
        string[] variants =
        [
            "SELECT * FROM probe_items WHERE qty > 17 AND name <> 'other' ORDER BY id LIMIT 10",
            "select  *\n from   probe_items /* hi */ where qty>-1 and name != $$y$$ order by id limit 1 -- tail",
            "-- tagged\nSeLeCt * FrOm \"probe_items\" WhErE qty > 0x10 AND name <> E'z' ORDER BY id LIMIT 2;",
        ];
        foreach (var sql in variants)
        {
            var ex = await Assert.ThrowsAsync<QueryBlockedException>(() => ctx.Items.FromSqlRaw(sql).ToListAsync());
            Assert.Equal(fingerprint, ex.Fingerprint);
        }

        Assert.NotEmpty(await ctx.Items.FromSqlRaw("select * from probe_items where qty > 5 order by id limit 3").ToListAsync());
    }

    [Fact]
    public async Task Rate_limit_holds_its_rate_under_parallel_load()
    {
        var fingerprint = SqlFingerprint.Compute("select 1 as \"Value\" from probe_items where id = 1").ToString();
        await using var ctx0 = ProbeContext.Create(cluster.Primary); // warm the pool
        const double Rate = 20;
        Action<PgDisciplineOptions> configure = pg => pg.Rules.RateLimit(fingerprint, Rate, reason: "hot", id: "limit-hot");
        var ok = 0;
        var limited = 0;
        // At least 2 s, and until the burst (one second's worth) has been served: on a loaded machine the load may need
        // longer to send that many (the upper bound below grows with the time taken; 60 s ends a limiter that refuses all).
        var duration = TimeSpan.FromSeconds(2);
        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 8), async (_, ct) =>
        {
            await using var ctx = ProbeContext.Create(cluster.Primary, configure);
            while ((sw.Elapsed < duration || Volatile.Read(ref ok) < Rate) && sw.Elapsed < Eventually.DefaultTimeout)
            {
                try
                {
                    await ctx.Database.SqlQueryRaw<int>("select 1 as \"Value\" from probe_items where id = 1").ToListAsync(ct);
                    Interlocked.Increment(ref ok);
                }
                catch (QueryRateLimitedException ex) when (ex.RuleId == "limit-hot")
                {
                    Interlocked.Increment(ref limited);
                    await Task.Delay(5, ct);
                }
            }
        });
        var elapsed = sw.Elapsed.TotalSeconds;
        // Burst (one second's worth) + rate x elapsed, plus one replenishment tick of slack.
        Assert.InRange(ok, (int)(Rate * 1.0), (int)(Rate + (Rate * elapsed) + (Rate / 10) + 1));
        Assert.True(limited > ok, $"the limiter should have refused most of the load: ok={ok} limited={limited}");
    }

    [Fact]
    public async Task Rate_limited_commands_wait_in_a_bounded_queue_instead_of_failing()
    {
        var fingerprint = SqlFingerprint.Compute("select 2 as \"Value\" from probe_items where id = 2").ToString();
        await using var ctx = ProbeContext.Create(cluster.Primary, pg => pg.Rules.RateLimit(fingerprint, 10, id: "queued", maxQueueTime: TimeSpan.FromSeconds(10)));
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            await ctx.Database.SqlQueryRaw<int>("select 2 as \"Value\" from probe_items where id = 2").ToListAsync();
        }

        // 10 from the bucket at once, then 10 more at 10/s. A lower bound: a loaded machine only makes it later.
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.7), $"20 commands at 10/s finished in {sw.Elapsed}");
    }

    [Fact]
    public async Task Concurrency_rule_caps_commands_in_flight()
    {
        var fingerprint = SqlFingerprint.Compute("select 1 as \"Value\" from pg_sleep(0.5)").ToString();
        Action<PgDisciplineOptions> configure = pg => pg.Rules.Add(new QueryRule
        {
            Id = "one-at-a-time", Fingerprint = fingerprint, Action = QueryRuleAction.Concurrency, MaxConcurrency = 1, Reason = "heavy",
        });
        await using var a = ProbeContext.Create(cluster.Primary, configure);
        await using var b = ProbeContext.Create(cluster.Primary, configure);
        // The first holds the one lease while it runs on the server (the same fingerprint, a longer sleep): the second is
        // tried once that is seen in pg_stat_activity, not after a fixed pause.
        const string Holder = "select 1 as \"Value\" from pg_sleep(2)";
        Assert.Equal(fingerprint, SqlFingerprint.Compute(Holder).ToString());
        var first = a.Database.SqlQueryRaw<int>(Holder).ToListAsync();
        await Eventually.UntilAsync(async () => (bool)(await ClusterFixture.ScalarAsync(cluster.Primary,
                "select count(*) > 0 from pg_stat_activity where state = 'active' and query like '%pg_sleep(2)%' and pid <> pg_backend_pid()"))!,
            "the first command to run on the server", poll: TimeSpan.FromMilliseconds(10));
        await Assert.ThrowsAsync<QueryRateLimitedException>(() => b.Database.SqlQueryRaw<int>("select 1 as \"Value\" from pg_sleep(0.5)").ToListAsync());
        await first;
        // The lease was released when the first reader closed.
        Assert.Single(await b.Database.SqlQueryRaw<int>("select 1 as \"Value\" from pg_sleep(0.5)").ToListAsync());
    }

    [Fact]
    public async Task Timeout_rule_overrides_the_statement_timeout_for_its_query_only()
    {
        await using var ctx = ProbeContext.Create(cluster.Primary, pg =>
        {
            pg.Timeouts.Statement = TimeSpan.FromSeconds(30);
            pg.Rules.Add(new QueryRule { Id = "slow-report", Tag = "report", Action = QueryRuleAction.Timeout, Timeout = TimeSpan.FromMilliseconds(300) });
        });
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => ctx.Database.SqlQueryRaw<int>("select 1 as \"Value\" from pg_sleep(5)").TagWith("report").ToListAsync());
        var pg = ex as PostgresException ?? ex.InnerException as PostgresException;
        Assert.Equal(PostgresErrorCodes.QueryCanceled, pg?.SqlState);
        Assert.Equal("300ms", (await ctx.Database.SqlQueryRaw<string>("select current_setting('statement_timeout') as \"Value\"").TagWith("report").ToListAsync()).Single());
        Assert.Equal("30s", (await ctx.Database.SqlQueryRaw<string>("select current_setting('statement_timeout') as \"Value\"").ToListAsync()).Single());
    }

    [Fact]
    public async Task Expired_rules_stop_applying()
    {
        var fingerprint = SqlFingerprint.Compute("select 13 as \"Value\"").ToString();
        await using var ctx = ProbeContext.Create(cluster.Primary, pg =>
        {
            pg.Rules.Add(new QueryRule { Id = "expired", Fingerprint = fingerprint, Action = QueryRuleAction.Block, ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
            pg.Rules.Add(new QueryRule { Id = "short", Fingerprint = SqlFingerprint.Compute("select 14 as \"Value\" where true").ToString(), Action = QueryRuleAction.Block, ExpiresAt = DateTimeOffset.UtcNow.AddMilliseconds(800) });
        });
        Assert.Single(await ctx.Database.SqlQueryRaw<int>("select 13 as \"Value\"").ToListAsync());
        await Assert.ThrowsAsync<QueryBlockedException>(() => ctx.Database.SqlQueryRaw<int>("select 14 as \"Value\" where true").ToListAsync());
        // The exact expiry is tested on a fake clock; here the rule ends on the real one, waited for.
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                return (await ctx.Database.SqlQueryRaw<int>("select 14 as \"Value\" where true").ToListAsync()).Count == 1;
            }
            catch (QueryBlockedException)
            {
                return false;
            }
        }, "the rule 'short' to expire (800 ms after it was made)", poll: TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Rules_from_configuration_reload_live_and_a_malformed_rule_does_not_stop_the_others()
    {
        var fingerprint = SqlFingerprint.Compute("select 3 as \"Value\" from probe_items where id = 3").ToString();
        var root = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgDiscipline:Pooler"] = "Direct",
        }).Build();
        var services = new ServiceCollection();
        services.AddPgDiscipline(root.GetSection("PgDiscipline"));
        services.AddDbContext<ProbeContext>((sp, o) => o.UseNpgsql(cluster.Primary).UsePgDiscipline(sp));
        await using var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<PgDisciplineRuntime>();

        async Task<bool> Blocked()
        {
            await using var scope = provider.CreateAsyncScope();
            var ctx = scope.ServiceProvider.GetRequiredService<ProbeContext>();
            try
            {
                await ctx.Database.SqlQueryRaw<int>("select 3 as \"Value\" from probe_items where id = 3").ToListAsync();
                return false;
            }
            catch (QueryBlockedException)
            {
                return true;
            }
        }

        Assert.False(await Blocked());

        root["PgDiscipline:Rules:0:Id"] = "broken";
        root["PgDiscipline:Rules:0:Fingerprint"] = "not-hex";
        root["PgDiscipline:Rules:0:Action"] = "Block";
        root["PgDiscipline:Rules:1:Id"] = "from-config";
        root["PgDiscipline:Rules:1:Fingerprint"] = fingerprint;
        root["PgDiscipline:Rules:1:Action"] = "Block";
        root["PgDiscipline:Rules:1:Reason"] = "set by on-call";
        root["PgDiscipline:Rules:2:Id"] = "bad-action";
        root["PgDiscipline:Rules:2:Table"] = "x";
        root["PgDiscipline:Rules:2:Action"] = "Explode";
        root.Reload();

        Assert.True(await Blocked());
        Assert.Equal(["from-config"], runtime.ActiveRuleIds);
        Assert.Contains(runtime.RuleErrors, e => e.Contains("PgDiscipline:Rules:0", StringComparison.Ordinal) && e.Contains("Fingerprint", StringComparison.Ordinal));

        root["PgDiscipline:Rules:1:Fingerprint"] = "0000000000000000";
        root.Reload();
        Assert.False(await Blocked());
    }

    [Fact]
    public void Malformed_rule_at_startup_fails_naming_its_key()
    {
        var root = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgDiscipline:Rules:0:Id"] = "r",
            ["PgDiscipline:Rules:0:Fingerprint"] = "0123456789abcdef",
            ["PgDiscipline:Rules:0:Action"] = "RateLimit",
        }).Build();
        var services = new ServiceCollection();
        services.AddPgDiscipline(root.GetSection("PgDiscipline"));
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PgDisciplineRuntime>());
        Assert.Contains("PgDiscipline:Rules:0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PermitsPerSecond", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Code_rules_are_validated_when_configured()
    {
        var ex = Assert.Throws<OptionsValidationException>(() =>
            ProbeContext.Create(cluster.Primary, pg => pg.Rules.Block("ZZZ", "bad")));
        Assert.Contains("PgDiscipline:Rules:0", ex.Message, StringComparison.Ordinal);
    }
}
