using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.Workload;

/// <summary>What the health monitor costs with many replica endpoints (issue 15: ~50 replicas per app): N endpoints
/// spread over the cluster's two replicas (each its own name and connection pool, told apart by Application Name), the
/// monitor running for a while; counts the checks each replica server answered (pg_stat_statements) and the connections
/// the monitor holds (pg_stat_activity), and times one round of checks.</summary>
internal static class Fleet
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const string CheckPattern = "%pg_is_in_recovery%pg_last_wal_replay_lsn%";

    public static async Task<int> RunAsync(LocalCluster cluster, int endpoints, TimeSpan duration, TimeSpan interval, string output)
    {
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(30));
        var options = new PgDisciplineOptions { HealthCheckInterval = interval, Statistics = { Enabled = false } };
        for (var i = 0; i < endpoints; i++)
        {
            var builder = new NpgsqlConnectionStringBuilder(cluster.Replicas[i % 2]) { ApplicationName = $"pgd-fleet-{i}" };
            options.Replicas.Add(new ReplicaOptions { ConnectionString = builder.ConnectionString, Name = $"endpoint-{i}" });
        }

        await using var runtime = PgDisciplineRuntime.Create(options);
        var contextOptions = new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cluster.Primary).UsePgDiscipline(runtime).Options;
        await using (var db = new WorkloadDb(contextOptions))
        {
            // The first replica read starts the monitor and waits for its first round (warm start).
            await db.Database.SqlQueryRaw<int>("select 1 as \"Value\"").ReadFromReplica().ToListAsync();
        }

        var round = Stopwatch.StartNew();
        await runtime.CheckReplicasNowAsync();
        round.Stop();
        var before = await ChecksAsync(cluster);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        var after = await ChecksAsync(cluster);
        var seconds = clock.Elapsed.TotalSeconds;
        var connections = await ConnectionsAsync(cluster);
        var admitted = runtime.Replicas.Count(r => r.IsInRotation);

        var checks = after.Zip(before, (a, b) => a - b).ToArray();
        var md = new StringBuilder();
        md.AppendLine(Inv, $"Health monitor with {endpoints} replica endpoints over 2 replica servers, HealthCheckInterval {interval.TotalMilliseconds:0} ms, {seconds:0.0} s:");
        md.AppendLine();
        md.AppendLine("| measure | value |");
        md.AppendLine("|---|---:|");
        md.AppendLine(Inv, $"| endpoints in rotation at the end | {admitted} of {endpoints} |");
        md.AppendLine(Inv, $"| one round of checks (all endpoints, in parallel) | {round.Elapsed.TotalMilliseconds:0.0} ms |");
        md.AppendLine(Inv, $"| health-check queries per second, whole app | {checks.Sum() / seconds:0.0} |");
        md.AppendLine(Inv, $"| health-check queries per second per endpoint | {checks.Sum() / seconds / endpoints:0.00} |");
        md.AppendLine(Inv, $"| monitor connections held, replica 1 / replica 2 | {connections[0]} / {connections[1]} |");
        await File.WriteAllTextAsync(output, md.ToString());
        Console.Write(md);
        return admitted == endpoints ? 0 : 1;
    }

    private static Task<long[]> ChecksAsync(LocalCluster cluster)
        => OnEachReplicaAsync(cluster, $"select coalesce(sum(calls), 0)::bigint from pg_stat_statements where query like '{CheckPattern}'");

    private static Task<long[]> ConnectionsAsync(LocalCluster cluster)
        => OnEachReplicaAsync(cluster, "select count(*) from pg_stat_activity where application_name like 'pgd-fleet-%'");

    /// <summary>One number from each replica server.</summary>
    private static async Task<long[]> OnEachReplicaAsync(LocalCluster cluster, string sql)
    {
        var result = new long[cluster.Replicas.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Convert.ToInt64(await LocalCluster.ScalarAsync(cluster.Replicas[i], sql), Inv);
        }

        return result;
    }
}
