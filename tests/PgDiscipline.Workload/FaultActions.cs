using PgDiscipline.Testing;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PgDiscipline.Workload;

/// <summary>The faults and repairs the scenarios of <see cref="Faults"/> apply.</summary>
internal static partial class Faults
{
    /// <summary>The replicas of the HA topology: replica1, replica2 and the cascade (streaming from replica1).</summary>
    private static (string Name, string ConnectionString)[] HaReplicas(LocalCluster ha)
        => [("replica1", ha.Replicas[0]), ("replica2", ha.Replicas[1]), ("cascade", ha.Env["PGD_CASCADE"])];

    private static async Task Failover(Context c)
    {
        var sw = Stopwatch.StartNew();
        await c.Cluster.ClusterCommandAsync("failover");
        c.Notes.Add($"failover script (stop, promote, re-point) took {sw.Elapsed.TotalMilliseconds:0} ms");
    }

    private static async Task ReviveOldPrimary(Context c)
    {
        await c.Cluster.ClusterCommandAsync("revive-old-primary");
        c.OldPrimaryVersionsAtRevival = Convert.ToInt64(await LocalCluster.ScalarAsync(c.Cluster.Env["PGD_OLD_PRIMARY"], "select sum(version) from wl_items"), Inv);
        await Task.Delay(TimeSpan.FromSeconds(1)); // Npgsql's Host Recheck Seconds is 1 s here (see What)
        NpgsqlConnection.ClearAllPools();
    }

    private static async Task PauseBoth(Context c)
    {
        foreach (var r in c.Cluster.Replicas)
        {
            await LocalCluster.PauseReplayAsync(r);
        }
    }

    private static async Task ResumeBoth(Context c)
    {
        foreach (var r in c.Cluster.Replicas)
        {
            await LocalCluster.ResumeReplayAsync(r);
        }
    }

    private static async Task Storm(Context c)
    {
        var cs = new NpgsqlConnectionStringBuilder(c.Cluster.Primary) { Pooling = false, Timeout = 5 }.ConnectionString;
        var refused = 0;
        var opened = await Task.WhenAll(Enumerable.Range(0, 250).Select(async _ =>
        {
            var conn = new NpgsqlConnection(cs);
            try
            {
                await conn.OpenAsync();
                return conn;
            }
            catch (NpgsqlException)
            {
                Interlocked.Increment(ref refused);
                await conn.DisposeAsync();
                return null;
            }
        }));
        c.Held.AddRange(opened.OfType<NpgsqlConnection>());
        c.Notes.Add($"storm: {c.Held.Count} connections opened, {refused} refused (53300 too many clients)");
    }

    private static async Task ReleaseHeld(Context c)
    {
        foreach (var conn in c.Held)
        {
            await conn.DisposeAsync();
        }

        c.Held.Clear();
    }

    private static async Task ReleaseHeldAndWait(Context c)
    {
        await ReleaseHeld(c);
        if (c.Background is { } migration)
        {
            await migration;
        }
    }

    private static async Task MigrateUnderLock(Context c, bool guarded)
    {
        // Start from a table without the column.
        await LocalCluster.ScalarAsync(c.Cluster.Primary, "alter table wl_items drop column if exists note; drop table if exists wl_migrations_history");
        var holder = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(c.Cluster.Primary) { Pooling = false }.ConnectionString);
        await holder.OpenAsync();
        await using (var begin = new NpgsqlCommand("begin; select count(*) from wl_items where id < 10", holder))
        {
            await begin.ExecuteNonQueryAsync(); // ACCESS SHARE on wl_items until the transaction ends (a long report)
        }

        c.Held.Add(holder);
        var started = Stopwatch.StartNew();
        c.Background = Task.Run(async () =>
        {
            if (guarded)
            {
                var options = new DbContextOptionsBuilder<MigrationsDb>()
                    .UseNpgsql(c.Cluster.Primary, o => o.MigrationsHistoryTable("wl_migrations_history"))
                    .UsePgDiscipline(c.Runtime!).Options;
                await using var db = new MigrationsDb(options);
                await db.MigrateWithRetryAsync();
            }
            else
            {
                await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(c.Cluster.Primary) { Pooling = false }.ConnectionString);
                await conn.OpenAsync();
                await using var alter = new NpgsqlCommand("alter table wl_items add column note text", conn) { CommandTimeout = 60 };
                await alter.ExecuteNonQueryAsync();
            }

            c.Notes.Add($"migration applied {started.Elapsed.TotalSeconds:0.0} s after it started (the lock was held for {(RepairAt - FaultAt).TotalSeconds:0} s)");
        });
        await Task.Delay(200); // the migration is now waiting for its lock
    }

    private static async Task Block(Context c)
    {
        var hottest = await HottestSelectAsync(c.Runtime!);
        var sw = Stopwatch.StartNew();
        await RunCliAsync(c.Cli, "rules", "block", hottest, "--reason", "faults: shed the hottest read", "--id", "faults-block", "--connection", c.Cluster.Primary);
        c.CliExitedAt = c.Clock.Elapsed;
        c.Notes.Add($"blocked {hottest} (the hottest SELECT); the CLI took {sw.Elapsed.TotalMilliseconds:0} ms");
    }

    private static Task Unblock(Context c) => RunCliAsync(c.Cli, "rules", "unblock", "faults-block", "--connection", c.Cluster.Primary);

    private static Task RunCliAsync(string cli, params string[] args) => ProcessRunner.RunCheckedAsync("dotnet", [cli, .. args]);

    private static async Task<string> HottestSelectAsync(PgDisciplineRuntime runtime)
    {
        using var doc = await RuntimeSnapshots.SnapshotAsync(runtime);
        return doc.RootElement.GetProperty("queries").EnumerateArray()
            .Where(q => q.GetProperty("kind").GetString() == "select" && q.GetProperty("fingerprint").GetString() != "overflow")
            .OrderByDescending(q => q.GetProperty("calls").GetInt64()).First().GetProperty("fingerprint").GetString()!;
    }
}
