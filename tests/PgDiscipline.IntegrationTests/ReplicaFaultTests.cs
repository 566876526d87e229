// PGD103: the load loops read on purpose.
#pragma warning disable PGD103
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace PgDiscipline.IntegrationTests;

/// <summary>
/// Replicas that stop answering or stop altogether under a concurrent read load: every read is answered, within the
/// statement timeout plus Npgsql's cancellation grace, on every path (a replica read, its freshness probe, a
/// read-your-writes wait, a per-query and a rule's timeout). The servers are really frozen (SIGSTOP) or stopped.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReplicaFaultTests(ClusterFixture cluster) : IAsyncLifetime
{
    /// <summary>Npgsql's default <c>Cancellation Timeout</c>: how long a client may wait for a server to acknowledge a
    /// cancellation before it drops the connection. The bound a read may take is the statement timeout plus this.</summary>
    private static readonly TimeSpan CancellationGrace = TimeSpan.FromSeconds(2);

    public async Task InitializeAsync()
    {
        await ProbeContext.EnsureTableAsync(cluster.Primary);
        await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await ClusterFixture.ScalarAsync(cluster.Primary, "delete from probe_items where qty = 0");
    }

    private PgDisciplineRuntime Runtime(TimeSpan statementTimeout, Action<PgDisciplineOptions>? extra = null)
    {
        var options = new PgDisciplineOptions { MaxReplicaLag = TimeSpan.FromSeconds(1) };
        options.Timeouts.Statement = statementTimeout;
        options.AddReplica(cluster.Replicas[0]);
        options.AddReplica(cluster.Replicas[1]);
        extra?.Invoke(options);
        return PgDisciplineRuntime.Create(options);
    }

    private ProbeContext Context(PgDisciplineRuntime runtime)
        => new(new DbContextOptionsBuilder<ProbeContext>().UseNpgsql(cluster.Primary).UsePgDiscipline(runtime).Options);

    [Theory]
    [InlineData("configured")]
    [InlineData("per query")]
    [InlineData("rule")]
    [InlineData("synchronous")]
    public async Task A_frozen_replica_costs_no_read_more_than_the_statement_timeout_and_every_read_is_answered(string how)
    {
        // The timeout that applies: the configured one, a tag's, or a rule's (the configured one then being far longer).
        var statement = TimeSpan.FromSeconds(2);
        await using var runtime = Runtime(how is "per query" or "rule" ? TimeSpan.FromSeconds(30) : statement, o =>
        {
            if (how == "rule")
            {
                o.Rules.Add(new QueryRule { Id = "short", Table = "probe_items", Action = QueryRuleAction.Timeout, Timeout = statement });
            }
        });
        await runtime.CheckReplicasNowAsync();

        var (latencies, failures) = await LoadAsync(runtime, workers: 8, async (ctx, i) =>
        {
            var qty = i % 20 + 1;
            var query = ctx.Items.FromSql($"select * from probe_items where qty = {qty}").ReadFromReplica();
            if (how == "per query")
            {
                query = query.WithStatementTimeout(statement);
            }

            if (how == "synchronous")
            {
                _ = query.ToList();
            }
            else
            {
                await query.ToListAsync();
            }
        }, during: async () =>
        {
            await cluster.FreezeServerAsync("replica1");
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5)); // the load runs against the frozen replica meanwhile
            }
            finally
            {
                await cluster.ThawServerAsync("replica1");
            }
        });

        Assert.Empty(failures);
        Assert.True(latencies.Max() <= statement + CancellationGrace,
            $"slowest read {latencies.Max().TotalMilliseconds:0} ms; bound {(statement + CancellationGrace).TotalMilliseconds:0} ms; {latencies.Count} reads");
        Assert.Contains(latencies, l => l >= statement); // some reads did meet the frozen replica
    }

    [Fact]
    public async Task Read_your_writes_with_a_frozen_replica_bounds_the_probe_and_the_wait()
    {
        var statement = TimeSpan.FromSeconds(2);
        await using var runtime = Runtime(statement, o => o.ReadYourWritesWait = TimeSpan.FromSeconds(1));
        await runtime.CheckReplicasNowAsync();
        var (latencies, failures) = await LoadAsync(runtime, workers: 4, async (ctx, i) =>
        {
            ctx.Items.Add(new Item { Name = "ryw-" + i, Qty = 0 });
            await ctx.SaveChangesAsync();
            Assert.Single(await ctx.Items.Where(x => x.Name == "ryw-" + i).ToListAsync()); // never stale
        }, during: async () =>
        {
            await cluster.FreezeServerAsync("replica1");
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(4));
            }
            finally
            {
                await cluster.ThawServerAsync("replica1");
            }
        });

        Assert.Empty(failures);
        Assert.True(latencies.Max() <= statement + CancellationGrace + TimeSpan.FromSeconds(1),
            $"slowest write-then-read {latencies.Max().TotalMilliseconds:0} ms (statement timeout + grace + the 1 s read-your-writes wait)");
    }

    [Fact]
    public async Task A_replica_stopped_immediately_under_load_fails_no_read()
    {
        await using var runtime = Runtime(TimeSpan.FromSeconds(2));
        await runtime.CheckReplicasNowAsync();
        var (latencies, failures) = await LoadAsync(runtime, workers: 8, async (ctx, i) =>
            await ctx.Items.Where(x => x.Qty <= i % 20 + 1).ReadFromReplica().ToListAsync(), during: async () =>
        {
            await cluster.StopServerAsync("replica2");
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            finally
            {
                await cluster.StartServerAsync("replica2");
            }
        });

        Assert.Empty(failures);
        Assert.True(latencies.Count > 100, $"only {latencies.Count} reads ran");
        await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Runs <paramref name="work"/> on <paramref name="workers"/> concurrent contexts, one second before
    /// <paramref name="during"/> and until one second after it; returns each call's duration and the failures.</summary>
    private async Task<(List<TimeSpan> Latencies, List<string> Failures)> LoadAsync(PgDisciplineRuntime runtime, int workers, Func<ProbeContext, int, Task> work, Func<Task> during)
    {
        var latencies = new ConcurrentBag<TimeSpan>();
        var failures = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(async () =>
        {
            for (var i = w * 100_000; !stop.IsCancellationRequested; i++)
            {
                await using var ctx = Context(runtime);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await work(ctx, i);
                }
                catch (Exception ex)
                {
                    failures.Add(ex.ToString());
                }

                latencies.Add(Stopwatch.GetElapsedTime(started));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray();

        await WaitForAsync(() => latencies.Count >= workers * 10, "the load to run");
        await during();
        var after = latencies.Count;
        await WaitForAsync(() => latencies.Count >= after + (workers * 10), "the load to run on after the fault");
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        return ([.. latencies], [.. failures]);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60), "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }
}
