using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using PgDiscipline.Testing;

namespace PgDiscipline.Workload;

/// <summary>What read-your-writes costs per write (issue 15): one client, one write at a time (an UPDATE … RETURNING
/// through EF Core, then the session token, as a web request that hands the token to the next one would), with the
/// position read in the write's own round trip (<see cref="PgDisciplineOptions.PipelineWritePosition"/>) or in one more
/// round trip, direct and through PgBouncer, against plain EF Core (no token). Interleaved rounds; pg_stat_statements
/// counts the captures the primary ran.</summary>
internal static class WriteCost
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const string CapturesSql = "select coalesce(sum(calls), 0)::bigint from pg_stat_statements where query like '%pgdiscipline_session_position%' and query not like '%pg_stat_statements%'";

    public static async Task<int> RunAsync(LocalCluster cluster, int writes, int rounds, string output)
    {
        await Workload.CreateSchemaAsync(cluster.Primary);
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(30));
        var variants = new List<(string Name, DbContextOptions<WorkloadDb> Options, PgDisciplineRuntime? Runtime)>();
        foreach (var (route, cs, pooler) in new[] { ("direct", cluster.Primary, PoolerMode.Direct), ("PgBouncer", cluster.PgBouncer, PoolerMode.PgBouncerTransaction) })
        {
            variants.Add(($"plain EF Core, {route}", new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cs).Options, null));
            foreach (var pipelined in new[] { false, true })
            {
                var o = new PgDisciplineOptions { Pooler = pooler, PipelineWritePosition = pipelined, Statistics = { Enabled = false } };
                o.Timeouts.Statement = TimeSpan.FromSeconds(5);
                o.Replicas.Add(new ReplicaOptions { ConnectionString = cluster.Replicas[0], Name = "replica1" });
                var runtime = PgDisciplineRuntime.Create(o);
                await runtime.CheckReplicasNowAsync();
                variants.Add(($"PgDiscipline Session, {route}, position {(pipelined ? "in the write's round trip" : "in one more round trip")}", new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cs).UsePgDiscipline(runtime).Options, runtime));
            }
        }

        var micros = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var captures = variants.ToDictionary(v => v.Name, _ => 0L);
        for (var round = -1; round < rounds; round++)
        {
            foreach (var (name, options, runtime) in variants)
            {
                await LocalCluster.ScalarAsync(cluster.Primary, "select pg_stat_statements_reset()");
                var n = round < 0 ? 200 : writes; // round -1 warms up
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < n; i++)
                {
                    await using var db = new WorkloadDb(options);
                    var id = i % Workload.Groups;
                    _ = (await db.Database.SqlQuery<long>($"update wl_items set version = version + 1 where id = {id} returning version as \"Value\"").ToListAsync()).Single();
                    if (runtime is not null)
                    {
                        _ = await db.GetPgDisciplineSession().GetTokenAsync() ?? throw new InvalidOperationException("no token after a write");
                    }
                }

                if (round >= 0)
                {
                    micros[name].Add(clock.Elapsed.TotalMicroseconds / n);
                    captures[name] += (long)(await LocalCluster.ScalarAsync(cluster.Primary, CapturesSql))!;
                }
            }
        }

        foreach (var v in variants)
        {
            if (v.Runtime is { } r)
            {
                await r.DisposeAsync();
            }
        }

        var md = new StringBuilder();
        md.AppendLine(Inv, $"One client, {writes} writes per round, {rounds} interleaved rounds (median), {Environment.ProcessorCount} vCPU, loopback. Each write: a new DbContext, an UPDATE … RETURNING, then (PgDiscipline) the session token.");
        md.AppendLine();
        md.AppendLine("| Path | µs per write (median of rounds) | vs plain EF Core | position captures per write | extra round trips per write |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (name, _, runtime) in variants)
        {
            var median = micros[name].Order().ElementAt(micros[name].Count / 2);
            var plain = micros[variants.First(v => v.Runtime is null && name.Contains(v.Name.Split(", ")[1], StringComparison.Ordinal)).Name].Order().ElementAt(rounds / 2);
            var perWrite = (double)captures[name] / (writes * rounds);
            var extra = runtime is null || name.Contains("write's round trip", StringComparison.Ordinal) ? 0 : perWrite;
            md.AppendLine(Inv, $"| {name} | {median:0} | {median / plain:0.00} | {perWrite:0.00} | {extra:0.00} |");
        }

        md.AppendLine();
        md.AppendLine("Per round (µs per write): " + string.Join("; ", variants.Select(v => $"{v.Name}: {string.Join(" / ", micros[v.Name].Select(m => m.ToString("0", Inv)))}")) + ".");
        await File.WriteAllTextAsync(output, md.ToString());
        Console.WriteLine(md.ToString());
        return 0;
    }
}
