// PGD103: the load loops read on purpose.
#pragma warning disable PGD103
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using PgDiscipline.Testing;

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
        await cluster.WaitForStreamingAsync(Eventually.DefaultTimeout);
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
        await InRotationAsync(runtime);

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
        }, during: async load =>
        {
            await cluster.FreezeServerAsync("replica1");
            try
            {
                // The load meets the frozen replica until the runtime takes it out, then runs on without it. It thaws once
                // every read that could have met it is answered: none is still waiting on it then (a read resumed by the
                // thaw after its statement timeout passed would get the server's 57014, a different fault).
                await LeavesRotationAsync(runtime, 0);
                await load.RunningNowEndAsync("the reads that met the frozen replica to be answered");
                await load.MoreCallsAsync(8 * 10, "reads after the frozen replica left rotation");
            }
            finally
            {
                await cluster.ThawServerAsync("replica1");
            }
        });

        Assert.True(failures.Count == 0, $"{failures.Count} failed: " + string.Join("\n---\n", failures));
        // The acceptance bound of issue 31 itself (a real-time claim, kept): no read waits longer than the timeout that
        // applies plus Npgsql's cancellation grace, which is already twice the expected 2 s.
        Assert.True(latencies.Max() <= statement + CancellationGrace,
            $"slowest read {latencies.Max().TotalMilliseconds:0} ms; bound {(statement + CancellationGrace).TotalMilliseconds:0} ms; {latencies.Count} reads");
        Assert.Contains(latencies, l => l >= statement); // some reads did meet the frozen replica
    }

    [Fact]
    public async Task Read_your_writes_with_a_frozen_replica_bounds_the_probe_and_the_wait()
    {
        var statement = TimeSpan.FromSeconds(2);
        await using var runtime = Runtime(statement, o => o.ReadYourWritesWait = TimeSpan.FromSeconds(1));
        await InRotationAsync(runtime);
        var (latencies, failures) = await LoadAsync(runtime, workers: 4, async (ctx, i) =>
        {
            ctx.Items.Add(new Item { Name = "ryw-" + i, Qty = 0 });
            await ctx.SaveChangesAsync();
            Assert.Single(await ctx.Items.Where(x => x.Name == "ryw-" + i).ToListAsync()); // never stale
        }, during: async load =>
        {
            await cluster.FreezeServerAsync("replica1");
            try
            {
                await LeavesRotationAsync(runtime, 0);
                await load.RunningNowEndAsync("the reads that met the frozen replica to be answered");
                await load.MoreCallsAsync(4 * 10, "writes and reads after the frozen replica left rotation");
            }
            finally
            {
                await cluster.ThawServerAsync("replica1");
            }
        });

        Assert.True(failures.Count == 0, $"{failures.Count} failed: " + string.Join("\n---\n", failures));
        Assert.True(latencies.Max() <= statement + CancellationGrace + TimeSpan.FromSeconds(1),
            $"slowest write-then-read {latencies.Max().TotalMilliseconds:0} ms (statement timeout + grace + the 1 s read-your-writes wait)");
    }

    [Fact]
    public async Task A_replica_stopped_immediately_under_load_fails_no_read()
    {
        await using var runtime = Runtime(TimeSpan.FromSeconds(2));
        await InRotationAsync(runtime);
        var (latencies, failures) = await LoadAsync(runtime, workers: 8, async (ctx, i) =>
            await ctx.Items.Where(x => x.Qty <= i % 20 + 1).ReadFromReplica().ToListAsync(), during: async load =>
        {
            await cluster.StopServerAsync("replica2");
            try
            {
                await LeavesRotationAsync(runtime, 1);
                await load.RunningNowEndAsync("the reads running when replica 2 left rotation to be answered");
                await load.MoreCallsAsync(8 * 10, "reads after the stopped replica left rotation");
            }
            finally
            {
                await cluster.StartServerAsync("replica2");
            }
        });

        Assert.True(failures.Count == 0, $"{failures.Count} failed: " + string.Join("\n---\n", failures));
        Assert.True(latencies.Count > 100, $"only {latencies.Count} reads ran");
        await cluster.WaitForStreamingAsync(Eventually.DefaultTimeout);
    }

    /// <summary>Both replicas in rotation before the fault (a replica the previous test froze may still be catching up).
    /// The runtime is shown the primary first, as an application's first command does: without the primary's position, a
    /// replica restarted on a quiet primary reports a receive position below its replay position and looks behind by the
    /// age of its last commit (a product edge, reported with issue 31).</summary>
    private async Task InRotationAsync(PgDisciplineRuntime runtime)
    {
        await using (var ctx = Context(runtime))
        {
            await ctx.Database.ExecuteSqlRawAsync("select 1");
        }

        await Eventually.UntilAsync(async () =>
        {
            await runtime.CheckReplicasNowAsync();
            return runtime.Replicas.All(r => r.IsInRotation);
        }, "both replicas in rotation", state: () => string.Join("; ", runtime.Replicas.Select(r => $"{r.Name}: {r.Health.Status}")), poll: TimeSpan.FromMilliseconds(50));
    }

    private static Task LeavesRotationAsync(PgDisciplineRuntime runtime, int replica)
        => Eventually.UntilAsync(() => !runtime.Replicas[replica].IsInRotation, $"replica {replica + 1} to leave rotation",
            state: () => runtime.Replicas[replica].Health.Status);

    /// <summary>Runs <paramref name="work"/> on <paramref name="workers"/> concurrent contexts: ten calls per worker before
    /// <paramref name="during"/>, throughout it (it can wait for calls through the <see cref="Load"/> it is given) and ten
    /// per worker after it; returns each call's duration and the failures.</summary>
    private async Task<(List<TimeSpan> Latencies, List<string> Failures)> LoadAsync(PgDisciplineRuntime runtime, int workers, Func<ProbeContext, int, Task> work, Func<Load, Task> during)
    {
        var load = new Load();
        var failures = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var loops = Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(async () =>
        {
            for (var i = w * 100_000; !stop.IsCancellationRequested; i++)
            {
                await using var ctx = Context(runtime);
                var call = load.Begin();
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await work(ctx, i);
                }
                catch (Exception ex)
                {
                    failures.Add(ex.ToString());
                }

                load.End(call, Stopwatch.GetElapsedTime(started));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray();

        await load.MoreCallsAsync(workers * 10, "the load to run");
        await during(load);
        await load.MoreCallsAsync(workers * 10, "the load to run on after the fault");
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        return ([.. load.Latencies], [.. failures]);
    }

    /// <summary>The calls of a load: their durations, and which are still running.</summary>
    private sealed class Load
    {
        private readonly ConcurrentDictionary<long, bool> _running = new();
        private long _next;

        public ConcurrentBag<TimeSpan> Latencies { get; } = [];

        public long Begin()
        {
            var call = Interlocked.Increment(ref _next);
            _running[call] = true;
            return call;
        }

        public void End(long call, TimeSpan latency)
        {
            Latencies.Add(latency);
            _running.TryRemove(call, out _);
        }

        /// <summary>Waits until <paramref name="calls"/> more calls have ended.</summary>
        public Task MoreCallsAsync(int calls, string what)
        {
            var from = Latencies.Count;
            return Eventually.UntilAsync(() => Latencies.Count >= from + calls, what);
        }

        /// <summary>Waits until every call running now has ended (answered or failed).</summary>
        public Task RunningNowEndAsync(string what)
        {
            var last = Interlocked.Read(ref _next);
            return Eventually.UntilAsync(() => !_running.Keys.Any(call => call <= last), what);
        }
    }
}
