// PGD103: the tests start many identical reads at once on purpose (a cache-miss storm).
#pragma warning disable PGD103
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>Coalesced reads (issue 23) on the real cluster: how many times the servers ran a query is counted in
/// pg_stat_statements on the primary and both replicas, not taken from PgDiscipline's own statistics.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CoalescingTests(ClusterFixture cluster) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await ProbeContext.EnsureTableAsync(cluster.Primary);
        await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(30));
    }

    public Task DisposeAsync() => ClusterFixture.ScalarAsync(cluster.Primary, "delete from probe_items where qty = 0");

    private PgDisciplineRuntime Runtime(Action<PgDisciplineOptions>? extra = null)
    {
        var options = new PgDisciplineOptions { HealthCheckInterval = TimeSpan.FromMilliseconds(250) };
        options.AddReplica(cluster.Replicas[0]);
        options.AddReplica(cluster.Replicas[1]);
        extra?.Invoke(options);
        return PgDisciplineRuntime.Create(options);
    }

    private ProbeContext Context(PgDisciplineRuntime runtime)
        => new(new DbContextOptionsBuilder<ProbeContext>().UseNpgsql(cluster.Primary).UsePgDiscipline(runtime).Options);

    // A slow read (the leader holds the flight open for the sleep), told apart in pg_stat_statements by its alias. The
    // alias and the sleep are this file's constants (they must be in the text: they are what tells the tests apart).
#pragma warning disable PGD104
    private static IQueryable<Item> Slow(ProbeContext ctx, string alias, int minQty, double sleepSeconds = 0.5)
        => ctx.Items.FromSqlRaw($"select {alias}.id, {alias}.name, {alias}.qty from probe_items {alias}, pg_sleep({sleepSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}) where {alias}.qty > {{0}} order by {alias}.id", minQty)
            .AsNoTracking();
#pragma warning restore PGD104

    private async Task ResetStatementsAsync()
    {
        foreach (var server in cluster.Replicas.Prepend(cluster.Primary))
        {
            await ClusterFixture.ScalarAsync(server, "select pg_stat_statements_reset()");
        }
    }

    private async Task<long> ExecutionsAsync(string alias)
    {
        long calls = 0;
        foreach (var server in cluster.Replicas.Prepend(cluster.Primary))
        {
            calls += (long)(await ClusterFixture.ScalarAsync(server,
                $"select coalesce(sum(calls), 0)::bigint from pg_stat_statements where query like '%probe_items {alias},%' and query not like '%pg_stat_statements%'"))!;
        }

        return calls;
    }

    private static List<int> Expected(int minQty) => Enumerable.Range(1, 20).Where(q => q > minQty).ToList();

    /// <summary>How long a leader's read sleeps on the server where identical reads started with it must join it: 1 s, so
    /// that on a loaded machine they reach the coalescing stage while it is still in flight.</summary>
    private const double JoinWindow = 1.0;

    /// <summary>Waits until the read with <paramref name="alias"/> runs on a server (its snapshot is taken).</summary>
    private Task RunningAsync(string alias)
        => Eventually.UntilAsync(async () =>
        {
            foreach (var server in cluster.Replicas.Prepend(cluster.Primary))
            {
                if ((bool)(await ClusterFixture.ScalarAsync(server,
                    $"select count(*) > 0 from pg_stat_activity where state = 'active' and query like '%probe_items {alias},%' and pid <> pg_backend_pid()"))!)
                {
                    return true;
                }
            }

            return false;
        }, $"the leader's read ({alias}) to run on a server", poll: TimeSpan.FromMilliseconds(10));

    /// <summary>Waits until <paramref name="count"/> callers wait on the flights in progress.</summary>
    private static Task FollowersAsync(PgDisciplineRuntime runtime, int count)
        => Eventually.UntilAsync(() => Followers(runtime) >= count, $"{count} followers to join the leader", state: () => $"{Followers(runtime)} following", poll: TimeSpan.FromMilliseconds(5));

    /// <summary>Callers waiting on a flight. ReadCoalescer counts flights (InFlight) but not their followers, so this reads
    /// its table of flights (test-only reflection; a <c>Followers</c> property on ReadCoalescer would replace it).</summary>
    private static int Followers(PgDisciplineRuntime runtime)
    {
        var coalescer = runtime.Part<PgDiscipline.Coalescing.ReadCoalescer>();
        var flights = (System.Collections.Concurrent.ConcurrentDictionary<string, PgDiscipline.Coalescing.ReadCoalescer.Flight>)typeof(PgDiscipline.Coalescing.ReadCoalescer)
            .GetField("_flights", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!.GetValue(coalescer)!;
        return flights.Values.Sum(f => f.Followers);
    }

    [Fact]
    public async Task Fifty_identical_concurrent_reads_are_one_server_execution_and_every_caller_gets_the_rows()
    {
        await using var runtime = Runtime();
        await runtime.CheckReplicasNowAsync();
        await ResetStatementsAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readers = Enumerable.Range(0, 50).Select(async _ =>
        {
            await using var ctx = Context(runtime);
            await start.Task;
            return await Slow(ctx, "storm", 5, JoinWindow).Coalesce().ToListAsync();
        }).ToList();
        start.SetResult();
        var results = await Task.WhenAll(readers);

        Assert.All(results, rows => Assert.Equal(Expected(5), rows.Select(r => r.Qty)));
        Assert.Equal(1, await ExecutionsAsync("storm"));
        var stats = runtime.Statistics!.ToSnapshot().Queries.Single(q => q.Normalized.Contains("probe_items storm", StringComparison.Ordinal));
        Assert.Equal(49, stats.CoalescedReads);
        Assert.Equal(1, stats.CoalescedFlights);
        Assert.Equal(50, stats.Calls);

        // Without the tag the same storm is 50 executions: the test can tell the difference.
        await ResetStatementsAsync();
        await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            await using var ctx = Context(runtime);
            return await Slow(ctx, "storm", 5, 0.05).ToListAsync();
        }));
        Assert.Equal(10, await ExecutionsAsync("storm"));
    }

    [Fact]
    public async Task Different_parameter_values_never_share_rows()
    {
        await using var runtime = Runtime();
        await runtime.CheckReplicasNowAsync();
        await ResetStatementsAsync();
        var reads = Enumerable.Range(0, 20).Select(async i =>
        {
            var minQty = i % 2 == 0 ? 5 : 15;
            await using var ctx = Context(runtime);
            return (minQty, rows: await Slow(ctx, "params", minQty, JoinWindow).Coalesce().ToListAsync());
        }).ToList();
        var results = await Task.WhenAll(reads);
        Assert.All(results, r => Assert.Equal(Expected(r.minQty), r.rows.Select(x => x.Qty)));
        Assert.Equal(2, await ExecutionsAsync("params"));
    }

    [Fact]
    public async Task A_read_after_the_sessions_own_write_never_joins_a_leader_that_started_before_it()
    {
        await using var runtime = Runtime();
        await runtime.CheckReplicasNowAsync();
        await ResetStatementsAsync();

        // A leader starts (its snapshot predates the write below: it is seen running on a server first) and sleeps.
        await using var early = Context(runtime);
        var leader = Slow(early, "ryw", -1, 1.0).Coalesce().ToListAsync();
        await RunningAsync("ryw");

        // Another request writes, then reads the same query: it must see its row.
        await using var writer = Context(runtime);
        writer.Items.Add(new Item { Name = "coalesce-" + Guid.NewGuid().ToString("N"), Qty = 0 });
        await writer.SaveChangesAsync();
        var mine = await Slow(writer, "ryw", -1, 1.0).Coalesce().ToListAsync(); // the leader's very text: it could join

        Assert.Contains(mine, r => r.Qty == 0);
        Assert.DoesNotContain(await leader, r => r.Qty == 0);

        // Nobody was answered with another's rows. The writer ran its own read: at least once, more when a replica's
        // freshness probe (sent in the same batch as the read) found it behind the write and the read was tried again
        // elsewhere (a CI run counted 4; exactly 2 was an assumption about replay timing).
        var stats = runtime.Statistics!.ToSnapshot().Queries.Single(q => q.Normalized.Contains("probe_items ryw", StringComparison.Ordinal));
        Assert.Equal(0, stats.CoalescedReads);
        Assert.True(await ExecutionsAsync("ryw") >= 2);
    }

    [Fact]
    public async Task Past_the_row_bound_followers_run_their_own_reads_and_the_leader_streams()
    {
        await using var runtime = Runtime(o => o.Coalescing.MaxRows = 5);
        await runtime.CheckReplicasNowAsync();
        await ResetStatementsAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var ctx = Context(runtime);
            await start.Task;
            return await Slow(ctx, "bound", 5, JoinWindow).Coalesce().ToListAsync();
        }).ToList();
        start.SetResult();
        var results = await Task.WhenAll(reads);

        Assert.All(results, rows => Assert.Equal(Expected(5), rows.Select(r => r.Qty))); // 15 rows each, past a bound of 5
        Assert.Equal(8, await ExecutionsAsync("bound"));
        var stats = runtime.Statistics!.ToSnapshot().Queries.Single(q => q.Normalized.Contains("probe_items bound", StringComparison.Ordinal));
        Assert.Equal(0, stats.CoalescedReads);
        Assert.Equal(7, stats.CoalescedRanOwn);
    }

    [Fact]
    public async Task A_cancelled_leader_cancels_only_itself_and_its_followers_are_answered()
    {
        await using var runtime = Runtime();
        await runtime.CheckReplicasNowAsync();
        await ResetStatementsAsync();
        // The leader runs (2 s on the server), the five followers join it, then it is cancelled: each step waited for.
        using var cancel = new CancellationTokenSource();
        await using var leaderContext = Context(runtime);
        var leader = Slow(leaderContext, "cancel", 5, 2.0).Coalesce().ToListAsync(cancel.Token);
        await RunningAsync("cancel");
        var followers = Enumerable.Range(0, 5).Select(async _ =>
        {
            await using var ctx = Context(runtime);
            return await Slow(ctx, "cancel", 5, 2.0).Coalesce().ToListAsync();
        }).ToList();
        await FollowersAsync(runtime, 5);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);
        var results = await Task.WhenAll(followers);
        Assert.All(results, rows => Assert.Equal(Expected(5), rows.Select(r => r.Qty)));
        var stats = runtime.Statistics!.ToSnapshot().Queries.Single(q => q.Normalized.Contains("probe_items cancel", StringComparison.Ordinal));
        Assert.Equal(5, stats.CoalescedRanOwn + stats.CoalescedReads); // each waited, then ran its own or shared a new leader's rows
        Assert.InRange(await ExecutionsAsync("cancel"), 2, 6); // the cancelled one, then one to five: never more than one each
    }

    [Fact]
    public async Task Tracking_queries_get_their_own_entity_instances_and_a_follower_times_out_on_its_own_timeout()
    {
        await using var runtime = Runtime();
        await runtime.CheckReplicasNowAsync();

        // Tracked: each context materialises and tracks its own instances from the shared rows. The second read starts once
        // the first leads a flight, and joins it while it sleeps on the server.
        await using var first = Context(runtime);
        await using var second = Context(runtime);
        var leading = first.Items.FromSqlRaw("select t.id, t.name, t.qty from probe_items t, pg_sleep(1) where t.qty > {0} order by t.id", 17).Coalesce().ToListAsync();
        await Eventually.UntilAsync(() => runtime.Part<PgDiscipline.Coalescing.ReadCoalescer>().InFlight > 0, "the first read to lead a flight", poll: TimeSpan.FromMilliseconds(5));
        var tracked = await Task.WhenAll(leading,
            second.Items.FromSqlRaw("select t.id, t.name, t.qty from probe_items t, pg_sleep(1) where t.qty > {0} order by t.id", 17).Coalesce().ToListAsync());
        Assert.Equal([18, 19, 20], tracked[0].Select(i => i.Qty));
        Assert.Equal([18, 19, 20], tracked[1].Select(i => i.Qty));
        Assert.NotSame(tracked[0][0], tracked[1][0]);
        Assert.Equal(3, first.ChangeTracker.Entries<Item>().Count());
        Assert.Equal(3, second.ChangeTracker.Entries<Item>().Count());
        tracked[0][0].Name = "changed in the first context only";
        Assert.True(first.ChangeTracker.HasChanges());
        Assert.False(second.ChangeTracker.HasChanges());
        var stats = runtime.Statistics!.ToSnapshot().Queries.Single(q => q.Normalized.Contains("probe_items t,", StringComparison.Ordinal));
        Assert.Equal(1, stats.CoalescedReads);

        // The wait for a leader counts against the follower's own command timeout.
        await using var slow = Context(runtime);
        var leader = Slow(slow, "timeout", 5, 3.0).Coalesce().ToListAsync();
        await Eventually.UntilAsync(() => runtime.Part<PgDiscipline.Coalescing.ReadCoalescer>().InFlight > 0, "the slow read to lead a flight", poll: TimeSpan.FromMilliseconds(5));
        await using var impatient = Context(runtime);
        impatient.Database.SetCommandTimeout(1);
        // As for a server-side command timeout: an NpgsqlException with a TimeoutException inside, which EF Core's default
        // execution strategy reports as a transient failure.
        var wrapped = await Assert.ThrowsAsync<InvalidOperationException>(() => Slow(impatient, "timeout", 5, 3.0).Coalesce().ToListAsync());
        var timedOut = Assert.IsType<NpgsqlException>(wrapped.InnerException);
        Assert.True(timedOut.IsTransient);
        Assert.IsType<TimeoutException>(timedOut.InnerException);
        Assert.Contains("Coalesce", timedOut.Message, StringComparison.Ordinal);
        Assert.False(leader.IsCompleted); // it gave up on its own timeout, not when the leader answered
        Assert.Equal(Expected(5), (await leader).Select(r => r.Qty)); // the leader is not affected
    }
}
