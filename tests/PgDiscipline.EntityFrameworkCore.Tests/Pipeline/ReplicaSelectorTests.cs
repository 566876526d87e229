using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>The routing decisions that need no server (<see cref="ReplicaSelector"/>): which pool a read may use, and
/// which replica takes it. Replicas are endpoints whose hosts are never reached; their state is set by hand.</summary>
public sealed class ReplicaSelectorTests
{
    private static readonly Func<string, bool> OnlyDefaultAndLow = p => p is "default" or "low";

    private static string? Pool(CommandPlan plan, PgDisciplineOptions options, bool inTransaction = false, CommandSource source = CommandSource.LinqQuery,
        ReadIntent ambient = ReadIntent.None, QueryPriority? priority = null)
        => ReplicaSelector.PoolForRead(plan, inTransaction, source, ambient, priority, options, OnlyDefaultAndLow);

    private static ReplicaEndpoint[] Endpoints(int count, int weight = 1)
        => [.. Enumerable.Range(1, count).Select(i => new ReplicaEndpoint(new ReplicaOptions { ConnectionString = $"Host=r{i}.invalid", Weight = weight }, i))];

    [Fact]
    public void Only_replica_safe_reads_outside_transactions_and_migrations_go_to_a_replica_pool()
    {
        var options = new PgDisciplineOptions();
        var planner = Parts.Planner(options);
        var read = planner.PlanFor("select * from users where id = @p0");
        Assert.Equal("default", Pool(read, options));
        Assert.Null(Pool(read, options, inTransaction: true));
        Assert.Null(Pool(read, options, source: CommandSource.Migrations));
        Assert.Null(Pool(planner.PlanFor("update users set name = @p0"), options, source: CommandSource.SaveChanges));
        Assert.Null(Pool(planner.PlanFor("select * from users for update"), options));
        Assert.Null(Pool(planner.PlanFor("select nextval('s')"), options, source: CommandSource.FromSqlQuery));
    }

    [Fact]
    public void The_query_intent_wins_over_the_ambient_one_and_DefaultRead_Primary_keeps_untagged_reads_home()
    {
        var options = new PgDisciplineOptions { DefaultRead = ReadRouting.Primary };
        var planner = Parts.Planner(options);
        var untagged = planner.PlanFor("select * from users");
        Assert.Null(Pool(untagged, options));
        Assert.Equal("default", Pool(untagged, options, ambient: ReadIntent.Replica));
        var primaryTagged = planner.PlanFor("-- pgdiscipline:read=primary fresh balance\n\nselect * from users");
        Assert.Null(Pool(primaryTagged, options, ambient: ReadIntent.Replica));
        var replicaTagged = planner.PlanFor("-- pgdiscipline:read=replica\n\nselect * from users");
        Assert.Equal("default", Pool(replicaTagged, options, ambient: ReadIntent.Primary));

        options.Consistency = ReadConsistency.Strong;
        Assert.Null(Pool(replicaTagged, options, ambient: ReadIntent.Replica));
    }

    [Fact]
    public void Low_priority_uses_the_low_pool_and_a_Route_rule_names_the_target()
    {
        var options = new PgDisciplineOptions();
        var planner = Parts.Planner(options);
        Assert.Equal("low", Pool(planner.PlanFor("-- pgdiscipline:priority=low\n\nselect * from users"), options));
        Assert.Equal("low", Pool(planner.PlanFor("select * from users"), options, ambient: ReadIntent.Replica, priority: QueryPriority.Low));
        Assert.Equal("default", ReplicaSelector.PoolForRead(planner.PlanFor("-- pgdiscipline:priority=low\n\nselect * from users"), false, CommandSource.LinqQuery,
            ReadIntent.None, null, options, _ => false)); // no low pool: the default one

        var ruled = Parts.Planner(
            new PgDisciplineOptions { DefaultRead = ReadRouting.Primary },
            null,
            new QueryRule { Id = "home", Table = "audit", Action = QueryRuleAction.Route, RouteTo = "PRIMARY" },
            new QueryRule { Id = "reports", Table = "orders", Action = QueryRuleAction.Route, RouteTo = "low" });
        Assert.Null(Pool(ruled.PlanFor("select * from audit"), options, ambient: ReadIntent.Replica));
        Assert.Equal("low", Pool(ruled.PlanFor("select * from orders"), options));
    }

    [Fact]
    public void Only_admitted_replicas_that_have_replayed_or_were_not_found_behind_recently_are_chosen()
    {
        var (first, second) = (Endpoints(2)[0], Endpoints(2)[1]);
        ReplicaEndpoint[] pool = [first, second];
        var required = new NpgsqlLogSequenceNumber(100);
        Assert.Null(ReplicaSelector.Choose(pool, default, 0, Random.Shared)); // nothing admitted yet

        first.Admitted = second.Admitted = true;
        second.ProbedBehindAt = 1_000; // found behind by a probe at t = 1000
        for (var i = 0; i < 100; i++)
        {
            Assert.Same(first, ReplicaSelector.Choose(pool, required, probeableSince: 999, Random.Shared));
            Assert.Same(second, ReplicaSelector.Choose(pool, default, probeableSince: 999, Random.Shared, exclude1: first)); // no session position
        }

        Assert.Null(ReplicaSelector.Choose(pool, required, probeableSince: 999, Random.Shared, exclude1: first));
        Assert.Same(second, ReplicaSelector.Choose(pool, required, probeableSince: 1_000, Random.Shared, exclude1: first)); // the pause is over: probe it
        first.SawReplay(required);
        Assert.Same(first, ReplicaSelector.Choose(pool, required, probeableSince: 0, Random.Shared, exclude1: second));
    }

    [Fact]
    public void Among_50_replicas_the_choice_follows_the_weights_and_prefers_the_less_loaded_of_two()
    {
        var replicas = Endpoints(50);
        foreach (var r in replicas)
        {
            r.Admitted = true;
        }

        // Heavy in-flight load on the first ten: power of two choices sends them far less than their share.
        for (var i = 0; i < 10; i++)
        {
            for (var n = 0; n < 100; n++)
            {
                replicas[i].Enter();
            }
        }

        var random = new Random(42);
        var chosen = new int[51];
        for (var n = 0; n < 50_000; n++)
        {
            chosen[ReplicaSelector.Choose(replicas, default, 0, random)!.Index]++;
        }

        var loaded = chosen[1..11].Sum();
        var idle = chosen[11..].Sum();
        Assert.True(loaded < 50_000 / 50 * 10 / 3, $"the 10 loaded replicas took {loaded} of 50,000 reads");
        Assert.All(chosen[11..], c => Assert.InRange(c, 50_000 / 50 / 2, 50_000 / 50 * 2));
        Assert.Equal(50_000, loaded + idle);
    }

    [Fact]
    public void A_replica_of_weight_3_takes_about_three_times_the_reads_of_one_of_weight_1()
    {
        var light = new ReplicaEndpoint(new ReplicaOptions { ConnectionString = "Host=light.invalid", Weight = 1 }, 1) { Admitted = true };
        var heavy = new ReplicaEndpoint(new ReplicaOptions { ConnectionString = "Host=heavy.invalid", Weight = 3 }, 2) { Admitted = true };
        var random = new Random(7);
        var heavyCount = 0;
        for (var n = 0; n < 40_000; n++)
        {
            heavyCount += ReplicaSelector.Choose([light, heavy], default, 0, random) == heavy ? 1 : 0;
        }

        Assert.InRange(heavyCount / (double)(40_000 - heavyCount), 2.5, 3.5);
    }

    [Fact]
    public async Task Choosing_while_replicas_are_ejected_and_probed_from_another_thread_never_fails()
    {
        var replicas = Endpoints(3);
        var required = new NpgsqlLogSequenceNumber(100);
        using var stop = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        long flips = 0;
        var flipper = Task.Factory.StartNew(() =>
        {
            var i = 0;
            started.Set();
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref flips);
                var r = replicas[i++ % replicas.Length];
                r.Admitted = !r.Admitted;
                r.ProbedBehindAt = (i & 4) == 0 ? 10 : long.MinValue;
            }
        }, TaskCreationOptions.LongRunning);
        started.Wait();

        var chosen = new int[4];
        var none = 0;
        try
        {
            for (var n = 0; n < 2_000_000 && (n < 100_000 || none == 0 || chosen.Skip(1).Any(c => c == 0)); n++)
            {
                if (ReplicaSelector.Choose(replicas, n % 2 == 0 ? default : required, probeableSince: 5, Random.Shared) is { } r)
                {
                    chosen[r.Index]++;
                }
                else
                {
                    none++;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await flipper;
        }

        Assert.True(Interlocked.Read(ref flips) > 1000, $"the flipper ran {flips} times");
        Assert.All(chosen.Skip(1), c => Assert.True(c > 0));
        Assert.True(none > 0);
    }
}
