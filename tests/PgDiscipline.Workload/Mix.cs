using PgDiscipline.Testing;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PgDiscipline.Workload;

/// <summary>The same read-heavy mix through each way of reaching the cluster, interleaved in rounds, reported as ratios
/// against plain EF Core on the primary measured in the same run.</summary>
internal static class Mix
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(LocalCluster cluster, int workers, TimeSpan duration, int rounds, string output, string? only = null)
    {
        await Workload.CreateSchemaAsync(cluster.Primary);
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(30));

        static DbContextOptions<WorkloadDb> Plain(string cs) => new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cs).Options;
        // The runtime as shipped, and variants that isolate where its cost goes (issue 15): no read-your-writes
        // bookkeeping, no statistics, health checks once an hour (freshness then comes from the probes alone), the write
        // position read in a round trip of its own (as before PipelineWritePosition).
        PgDisciplineRuntime Runtime(Action<PgDisciplineOptions> change)
        {
            var o = new PgDisciplineOptions
            {
                Consistency = ReadConsistency.Session,
                MaxReplicaLag = TimeSpan.FromSeconds(1),
                HealthCheckInterval = TimeSpan.FromMilliseconds(500),
                Replicas = { new ReplicaOptions { ConnectionString = cluster.Replicas[0], Name = "replica1" }, new ReplicaOptions { ConnectionString = cluster.Replicas[1], Name = "replica2" } },
            };
            change(o);
            return PgDisciplineRuntime.Create(o);
        }

        await using var runtime = Runtime(_ => { });
        await using var eventual = Runtime(o => o.Consistency = ReadConsistency.Eventual);
        await using var noStats = Runtime(o => o.Statistics.Enabled = false);
        await using var hourly = Runtime(o => { o.HealthCheckInterval = TimeSpan.FromHours(1); o.MaxReplicaLag = TimeSpan.FromHours(2); });
        await using var lazyCapture = Runtime(o => o.PipelineWritePosition = false);
        await using var oneReplica = Runtime(o => o.Replicas.RemoveAt(1));
        await using var pooledRuntime = Runtime(_ => { });
        DbContextOptions<WorkloadDb> With(PgDisciplineRuntime r) => new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cluster.Primary).UsePgDiscipline(r).Options;
        var routed = With(runtime);
        var pooledRouted = With(pooledRuntime);
        var variants = new List<Variant>
        {
            new("plain EF Core → primary (baseline)", Plain(cluster.Primary), Plain(cluster.Primary)),
            new("plain EF Core, second DbContext → replica1 for reads (hand-rolled)", Plain(cluster.Replicas[0]), Plain(cluster.Primary)),
            new("PgDiscipline (Session consistency, 2 replicas)", routed, routed, runtime),
            // The same two paths with pooled contexts (AddDbContextPool): the per-context service-provider cost separated
            // from PgDiscipline's own (issue 31).
            new("plain EF Core, hand-rolled replica1 reads, pooled contexts (AddDbContextPool)", Plain(cluster.Replicas[0]), Plain(cluster.Primary), pooled: true),
            new("PgDiscipline (Session consistency, 2 replicas), pooled contexts (AddDbContextPool)", pooledRouted, pooledRouted, pooledRuntime, pooled: true),
            // The peer a .NET user gets for free (issue 36): Npgsql balances reads over the standbys itself, knowing
            // nothing of lag or of the client's own writes; writes through a second context on the primary.
            new("Npgsql multi-host load balancing for reads (Load Balance Hosts, prefer-standby), second DbContext → primary for writes", Plain(ReadPlacement.MultiHostReads(cluster)), Plain(cluster.Primary)),
            new("plain EF Core → PgBouncer (transaction pooling) → primary", Plain(cluster.PgBouncer), Plain(cluster.PgBouncer)),
            new("PgDiscipline-isolation: Eventual consistency", With(eventual), With(eventual), eventual),
            new("PgDiscipline-isolation: Session, statistics off", With(noStats), With(noStats), noStats),
            new("PgDiscipline-isolation: Session, health checks hourly", With(hourly), With(hourly), hourly),
            new("PgDiscipline-isolation: Session, write position in one more round trip", With(lazyCapture), With(lazyCapture), lazyCapture),
            new("PgDiscipline-isolation: Session, replica1 only (as the hand-rolled path)", With(oneReplica), With(oneReplica), oneReplica),
        };
        if (cluster.PgPool is { } pgpool)
        {
            variants.Add(new("plain EF Core → pgpool-II (load balancing, 2 replicas)", Plain(pgpool), Plain(pgpool)));
        }

        // --only "a,b": the baseline and the variants whose names contain one of the parts (a quicker, narrower run).
        if (only is not null)
        {
            var parts = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            variants = variants.Where((v, i) => i == 0 || parts.Any(p => v.Name.Contains(p, StringComparison.OrdinalIgnoreCase))).ToList();
        }

        // Warm every path (JIT, pools, the runtime's first health check) before measuring.
        foreach (var r in new[] { runtime, eventual, noStats, hourly, lazyCapture, oneReplica, pooledRuntime })
        {
            await r.CheckReplicasNowAsync();
        }

        foreach (var v in variants)
        {
            await Workload.RunAsync(v, workers, TimeSpan.FromSeconds(1), cluster.Primary);
        }

        var results = variants.ToDictionary(v => v.Name, _ => new List<RunResult>());
        // Where each path's reads ran, counted by the servers around each of its runs (primary, replica1, replica2).
        var servers = new[] { cluster.Primary, cluster.Replicas[0], cluster.Replicas[1] };
        var placement = variants.ToDictionary(v => v.Name, _ => new long[servers.Length]);
        for (var round = 0; round < rounds; round++)
        {
            // Rotate the order so no variant always runs first (or right after the noisiest one).
            for (var i = 0; i < variants.Count; i++)
            {
                var v = variants[(i + round) % variants.Count];
                NpgsqlConnection.ClearAllPools();
                var before = await Task.WhenAll(servers.Select(ReadPlacement.CountAsync));
                var r = await Workload.RunAsync(v, workers, duration, cluster.Primary);
                var after = await Task.WhenAll(servers.Select(ReadPlacement.CountAsync));
                for (var k = 0; k < servers.Length; k++)
                {
                    placement[v.Name][k] += (after[k] ?? 0) - (before[k] ?? 0);
                }

                results[v.Name].Add(r);
                Console.Error.WriteLine($"[mix] round {round + 1}/{rounds} {v.Name}: {r.Throughput:0} req/s, p50 {Workload.Ms(r.Percentile(0.5))} ms, p99 {Workload.Ms(r.Percentile(0.99))} ms, failed {r.Failed}, stale {r.Stale}, lost {r.LostWrites}");
            }
        }

        var md = new StringBuilder();
        md.AppendLine(Inv, $"Machine: {Environment.ProcessorCount} vCPU, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}. Date: {DateTime.UtcNow:yyyy-MM-dd}.");
        md.AppendLine(Inv, $"Workload: {workers} clients, {rounds} rounds × {duration.TotalSeconds:0} s per variant, interleaved; 55% point reads, 40% 20-row lists, 5% updates returning the new version; one DbContext per request.");
        md.AppendLine();
        md.AppendLine("| Path | req/s (median of rounds) | ratio | p50 ms | ratio | p99 ms | ratio | failed (reads) | stale reads | lost writes | reads off the primary |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var baseline = Summary(results[variants[0].Name]);
        foreach (var v in variants)
        {
            var s = Summary(results[v.Name]);
            var p = placement[v.Name];
            var off = p.Sum() == 0 ? "—" : (100.0 * (p[1] + p[2]) / p.Sum()).ToString("0.0", Inv) + "%";
            md.AppendLine(Inv, $"| {v.Name} | {s.Rps:0} | {s.Rps / baseline.Rps:0.00} | {Workload.Ms(s.P50)} | {s.P50 / baseline.P50:0.00} | {Workload.Ms(s.P99)} | {s.P99 / baseline.P99:0.00} | {s.Failed} ({s.FailedReads}) | {s.Stale} | {s.Lost} | {off} |");
        }

        md.AppendLine();
        md.AppendLine("Per round (req/s): " + string.Join("; ", variants.Select(v => $"{(v.Name.StartsWith("PgDiscipline-isolation: ", StringComparison.Ordinal) ? v.Name["PgDiscipline-isolation: ".Length..] : v.Name.Split(' ')[0])}{(v.Name.Contains("pooled", StringComparison.Ordinal) ? (v.Name.Contains("hand", StringComparison.Ordinal) ? " hand-rolled pooled" : " pooled") : v.Name.Contains("hand", StringComparison.Ordinal) ? " hand-rolled" : v.Name.Contains("PgBouncer", StringComparison.Ordinal) ? " → PgBouncer" : v.Name.Contains("pgpool", StringComparison.Ordinal) ? " → pgpool-II" : "")}: {string.Join(" / ", results[v.Name].Select(r => r.Throughput.ToString("0", Inv)))}")) + ".");
        // Where PgDiscipline's replica-safe reads ran, over every round, from its own statistics.
        var snapshot = runtime.Statistics!.ToSnapshot();
        var reads = snapshot.Queries.Where(q => q.Kind == "select").ToList();
        var onPrimary = reads.Sum(q => q.Routing.GetValueOrDefault("primary"));
        var total = reads.Sum(q => q.Routing.Values.Sum());
        var reasons = reads.SelectMany(q => q.FallbackReasons).GroupBy(p => p.Key).Select(g => $"{g.Key} {g.Sum(p => p.Value)}");
        md.AppendLine();
        md.AppendLine(Inv, $"PgDiscipline, all rounds: {total - onPrimary} of {total} reads on replicas ({(total == 0 ? 0 : 100.0 * (total - onPrimary) / total):0.00}%); fallbacks by reason: {string.Join(", ", reasons.DefaultIfEmpty("none"))}; read-your-writes waits: {reads.Sum(q => q.SessionWaits)} ({reads.Sum(q => q.SessionWaitsServed)} then served by the replica, {reads.Sum(q => q.SessionWaitMs):0} ms in total).");
        await File.WriteAllTextAsync(output, md.ToString());
        Console.WriteLine(md.ToString());
        return 0;
    }

    private static (double Rps, double P50, double P99, long Failed, long FailedReads, long Stale, long Lost) Summary(List<RunResult> runs)
    {
        var rps = runs.Select(r => r.Throughput).Order().ToList();
        var all = new RunResult();
        foreach (var r in runs)
        {
            all.LatenciesMs.AddRange(r.LatenciesMs);
        }

        return (rps[rps.Count / 2], all.Percentile(0.5), all.Percentile(0.99), runs.Sum(r => r.Failed), runs.Sum(r => r.FailedReads), runs.Sum(r => r.Stale), runs.Sum(r => r.LostWrites));
    }
}
