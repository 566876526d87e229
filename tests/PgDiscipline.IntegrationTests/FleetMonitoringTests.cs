using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PgDiscipline.IntegrationTests;

/// <summary>Monitoring that does not grow the primary's load with the fleet (issue 36): the primary's position read every
/// <c>PrimaryReadingInterval</c>, the replicas' received positions in between — and lag still seen.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FleetMonitoringTests(ClusterFixture cluster) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await ProbeContext.EnsureTableAsync(cluster.Primary);
        await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await ClusterFixture.ResumeReplayAsync(cluster.Replicas[0]);
        await ClusterFixture.ScalarAsync(cluster.Primary, "delete from probe_items where qty = 0");
    }

    [Fact]
    public async Task Between_primary_readings_the_replicas_positions_measure_lag_and_a_paused_replica_still_leaves_rotation()
    {
        await using var ctx = ProbeContext.Create(cluster.Primary, pg =>
        {
            pg.AddReplica(cluster.Replicas[0]);
            pg.AddReplica(cluster.Replicas[1]);
            pg.HealthCheckInterval = TimeSpan.FromMilliseconds(200);
            pg.MaxReplicaLag = TimeSpan.FromSeconds(1);
            pg.PrimaryReadingInterval = TimeSpan.FromHours(1);
        });
        var runtime = ctx.FindPgDisciplineRuntime()!;
        await ctx.Items.ReadFromReplica().CountAsync(); // starts the monitor (its first round reads the primary once)
        var monitor = runtime.Part<PgDiscipline.Routing.ReplicaHealthMonitor>();
        var before = monitor.PrimaryReadingsTaken;
        Assert.Equal(1, before);
        for (var i = 0; i < 5; i++)
        {
            await runtime.CheckReplicasNowAsync();
        }

        Assert.Equal(before, monitor.PrimaryReadingsTaken); // five rounds, no reading of the primary
        Assert.All(runtime.Replicas, r => Assert.True(r.IsInRotation, r.Health.Status));

        // Replay paused on replica 1 while writes continue: replica 2 receives them, and replica 1 falls behind that.
        await ClusterFixture.PauseReplayAsync(cluster.Replicas[0]);
        ctx.Items.Add(new Item { Name = "fleet-lag", Qty = 0 });
        await ctx.SaveChangesAsync();
        var paused = Stopwatch.StartNew();
        while (runtime.Replicas[0].IsInRotation && paused.Elapsed < TimeSpan.FromSeconds(30))
        {
            await runtime.CheckReplicasNowAsync();
            await Task.Delay(100); // the lag grows with real time: the replica's last replayed commit ages
        }

        Assert.False(runtime.Replicas[0].IsInRotation, runtime.Replicas[0].Health.Status);
        Assert.Contains("exceeds", runtime.Replicas[0].Health.Status, StringComparison.Ordinal);
        Assert.True(runtime.Replicas[1].IsInRotation, runtime.Replicas[1].Health.Status);
        Assert.Equal(before, monitor.PrimaryReadingsTaken);

        await ClusterFixture.ResumeReplayAsync(cluster.Replicas[0]);
        var resumed = Stopwatch.StartNew();
        while (!runtime.Replicas[0].IsInRotation && resumed.Elapsed < TimeSpan.FromSeconds(30))
        {
            await runtime.CheckReplicasNowAsync();
            await Task.Delay(100);
        }

        Assert.True(runtime.Replicas[0].IsInRotation, runtime.Replicas[0].Health.Status);
    }

    [Fact]
    public async Task The_primary_readings_hold_no_primary_connection_beyond_the_apps_own_pool()
    {
        // Its own Application Name: its own pool, and its connections told apart from every other test's.
        var app = "pgd-own-pool-" + Guid.NewGuid().ToString("N")[..8];
        var primary = new NpgsqlConnectionStringBuilder(cluster.Primary) { ApplicationName = app }.ConnectionString;
        await using var ctx = ProbeContext.Create(primary, pg =>
        {
            pg.AddReplica(cluster.Replicas[0]);
            pg.HealthCheckInterval = TimeSpan.FromHours(1); // one round, at the first replica read
        });
        var runtime = ctx.FindPgDisciplineRuntime()!;
        ctx.Items.Add(new Item { Name = "fleet-own-pool", Qty = 0 });
        await ctx.SaveChangesAsync(); // the app's primary connection, back in its pool afterwards
        await ctx.Items.ReadFromReplica().CountAsync(); // starts the monitor: its first round reads the primary
        Assert.Equal(1, runtime.Part<PgDiscipline.Routing.ReplicaHealthMonitor>().PrimaryReadingsTaken);

        // The reading borrowed the app's idle connection: one connection on the primary, not one more of the runtime's.
        var held = await ClusterFixture.ScalarAsync(cluster.Primary, $"select count(*) from pg_stat_activity where application_name = '{app}'");
        Assert.Equal(1L, Convert.ToInt64(held, System.Globalization.CultureInfo.InvariantCulture));
    }
}
