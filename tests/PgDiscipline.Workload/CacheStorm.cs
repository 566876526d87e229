using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.Workload;

/// <summary>
/// "The cache layer fails" (issue 23): clients read a profile-like list (20 rows of one group) through a cache in front of
/// PgDiscipline, with a skewed key popularity (half of the requests for one key, a quarter for three more, the rest
/// spread over 96). The cache works for the first phase and fails for the second: every request then reads the database.
/// Each variant runs both phases, without and with a Coalesce rule on the read's fingerprint. Server executions are
/// counted in pg_stat_statements on the replicas; active sessions on the replicas are sampled every 50 ms from
/// pg_stat_activity.
/// </summary>
internal static class CacheStorm
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const string Pattern = "%from wl_items%grp%";

    private sealed record PhaseResult(double Rps, double P50, double P99, long Failed, double ExecutionsPerSecond, int MaxActive, double MeanActive, long Coalesced, double ReplicaCpu);

    public static async Task<int> RunAsync(LocalCluster cluster, int workers, int rate, TimeSpan phase, int rounds, string output)
    {
        await Workload.CreateSchemaAsync(cluster.Primary);
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(30));
        var results = new Dictionary<(bool Coalesce, bool CacheUp), List<PhaseResult>>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var coalesce in round % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var options = new PgDisciplineOptions { HealthCheckInterval = TimeSpan.FromMilliseconds(500) };
                options.AddReplica(cluster.Replicas[0]);
                options.AddReplica(cluster.Replicas[1]);
                if (coalesce)
                {
                    // As an operator would during the incident: by table (or `pgdiscipline rules coalesce <fingerprint>`).
                    options.Rules.Add(new QueryRule { Id = "profile-storm", Table = "wl_items", Action = QueryRuleAction.Coalesce, Reason = "cache down" });
                }

                await using var runtime = PgDisciplineRuntime.Create(options);
                await runtime.CheckReplicasNowAsync();
                var contextOptions = new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cluster.Primary).UsePgDiscipline(runtime).Options;
                await RunPhaseAsync(cluster, contextOptions, runtime, workers, rate, TimeSpan.FromSeconds(2), cacheUp: true); // warm-up
                foreach (var cacheUp in new[] { true, false })
                {
                    var r = await RunPhaseAsync(cluster, contextOptions, runtime, workers, rate, phase, cacheUp);
                    (results.TryGetValue((coalesce, cacheUp), out var list) ? list : results[(coalesce, cacheUp)] = []).Add(r);
                    Console.Error.WriteLine($"[cachestorm] round {round + 1}/{rounds} coalesce={coalesce} cache={(cacheUp ? "up" : "down")}: {r.Rps:0} req/s, p99 {r.P99:0.0} ms, failed {r.Failed}, {r.ExecutionsPerSecond:0} executions/s, active max {r.MaxActive} mean {r.MeanActive:0.0}, replica CPU {r.ReplicaCpu:0.00} cores, coalesced {r.Coalesced}");
                }
            }
        }

        var md = new StringBuilder();
        md.AppendLine(Inv, $"{workers} clients offering {rate} req/s together (each paced; a client that falls behind sends its next request at once), {rounds} rounds, each variant {phase.TotalSeconds:0} s with the cache up then {phase.TotalSeconds:0} s with it down (medians of rounds). {Environment.ProcessorCount} vCPU, loopback, 2 replicas. Request: a 20-row list of one group (`where grp = @p order by id limit 20`), ReadFromReplica; key popularity: 50% one key, 25% three keys, 25% 96 keys; cache TTL 5 s.");
        md.AppendLine();
        md.AppendLine("| Cache | Coalesce rule | req/s served | p50 ms | p99 ms | failed | server executions/s (replicas) | replica CPU (cores, both) | active sessions on replicas, max / mean | reads answered by another's execution |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var cacheUp in new[] { true, false })
        {
            foreach (var coalesce in new[] { false, true })
            {
                var list = results[(coalesce, cacheUp)];
                PhaseResult M(Func<PhaseResult, double> f) => list.OrderBy(f).ElementAt(list.Count / 2);
                md.AppendLine(Inv, $"| {(cacheUp ? "up" : "**down**")} | {(coalesce ? "yes" : "no")} | {M(r => r.Rps).Rps:0} | {M(r => r.P50).P50:0.0} | {M(r => r.P99).P99:0.0} | {list.Sum(r => r.Failed)} | {M(r => r.ExecutionsPerSecond).ExecutionsPerSecond:0} | {M(r => r.ReplicaCpu).ReplicaCpu:0.00} | {M(r => r.MaxActive).MaxActive} / {M(r => r.MeanActive).MeanActive:0.0} | {list.Sum(r => r.Coalesced)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("Per round: " + string.Join("; ", results.OrderBy(p => !p.Key.CacheUp).ThenBy(p => p.Key.Coalesce).Select(p =>
            $"cache {(p.Key.CacheUp ? "up" : "down")}, coalesce {(p.Key.Coalesce ? "yes" : "no")}: {string.Join(" / ", p.Value.Select(r => $"{r.Rps:0} req/s, {r.ExecutionsPerSecond:0} exec/s, p99 {r.P99:0.0} ms"))}")) + ".");
        await File.WriteAllTextAsync(output, md.ToString());
        Console.WriteLine(md.ToString());
        return results.Values.SelectMany(r => r).Any(r => r.Failed > 0) ? 1 : 0; // a failed request fails the suite
    }

    private static async Task<PhaseResult> RunPhaseAsync(LocalCluster cluster, DbContextOptions<WorkloadDb> options, PgDisciplineRuntime runtime, int workers, int rate, TimeSpan duration, bool cacheUp)
    {
        var cache = new ConcurrentDictionary<int, (List<WlItem> Rows, long Expires)>();
        var ttl = (long)(5 * Stopwatch.Frequency);
        var latencies = new List<double>[workers];
        long failed = 0;
        var before = await ExecutionsAsync(cluster);
        var coalescedBefore = Coalesced(runtime);
        var cpuBefore = ReplicaCpuSeconds(cluster);
        var interval = Stopwatch.Frequency * workers / (double)rate;
        using var stop = new CancellationTokenSource(duration);
        var sampler = SampleActiveAsync(cluster, stop.Token);
        var clock = Stopwatch.StartNew();

        async Task Client(int index)
        {
            var rng = new Random(index * 7919 + 3);
            var mine = latencies[index] = new List<double>(1 << 16);
            var next = (double)Stopwatch.GetTimestamp() + (rng.NextDouble() * interval);
            while (!stop.IsCancellationRequested)
            {
                var wait = (next - Stopwatch.GetTimestamp()) / Stopwatch.Frequency;
                if (wait > 0)
                {
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(wait), stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                next = Math.Max(next + interval, Stopwatch.GetTimestamp() - interval);
                var roll = rng.Next(100);
                var key = roll < 50 ? 0 : roll < 75 ? 1 + rng.Next(3) : 4 + rng.Next(96);
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    if (!cacheUp || !cache.TryGetValue(key, out var hit) || hit.Expires < t0)
                    {
                        await using var db = new WorkloadDb(options);
                        var rows = await db.Items.AsNoTracking().Where(i => i.Grp == key).OrderBy(i => i.Id).Take(20).ReadFromReplica().ToListAsync(CancellationToken.None);
                        if (cacheUp)
                        {
                            cache[key] = (rows, Stopwatch.GetTimestamp() + ttl);
                        }
                    }

                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failed);
                    await Task.Delay(5, CancellationToken.None);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(i => Task.Run(() => Client(i), CancellationToken.None)));
        var seconds = clock.Elapsed.TotalSeconds;
        var (maxActive, meanActive) = await sampler;
        var after = await ExecutionsAsync(cluster);
        var cpu = (ReplicaCpuSeconds(cluster) - cpuBefore) / seconds;
        var all = latencies.SelectMany(l => l).Order().ToList();
        double Q(double q) => all.Count == 0 ? 0 : all[(int)Math.Min(all.Count - 1, q * all.Count)];
        return new PhaseResult(all.Count / seconds, Q(0.5), Q(0.99), failed, (after - before) / seconds, maxActive, meanActive, Coalesced(runtime) - coalescedBefore, cpu);
    }

    /// <summary>CPU seconds used so far by both replica servers (postmaster and its children, from /proc).</summary>
    private static double ReplicaCpuSeconds(LocalCluster cluster)
    {
        var postmasters = new HashSet<int>();
        foreach (var key in new[] { "PGD_REPLICA1_DATA", "PGD_REPLICA2_DATA" })
        {
            var pidFile = Path.Combine(cluster.Env[key], "postmaster.pid");
            postmasters.Add(int.Parse(File.ReadLines(pidFile).First(), Inv));
        }

        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(fields[1], Inv);
                if (postmasters.Contains(pid) || postmasters.Contains(ppid))
                {
                    ticks += long.Parse(fields[11], Inv) + long.Parse(fields[12], Inv); // utime + stime
                }
            }
            catch (IOException)
            {
                // the process ended while being read
            }
        }

        return ticks / 100.0; // USER_HZ
    }

    private static long Coalesced(PgDisciplineRuntime runtime)
        => runtime.Statistics!.ToSnapshot().Queries.Sum(q => q.CoalescedReads);

    private static async Task<long> ExecutionsAsync(LocalCluster cluster)
    {
        long calls = 0;
        foreach (var replica in cluster.Replicas)
        {
            calls += (long)(await LocalCluster.ScalarAsync(replica,
                $"select coalesce(sum(calls), 0)::bigint from pg_stat_statements where query ilike '{Pattern}' and query not like '%pg_stat_statements%'"))!;
        }

        return calls;
    }

    /// <summary>Backends running a statement on the replicas (both summed), every 50 ms until cancelled.</summary>
    private static async Task<(int Max, double Mean)> SampleActiveAsync(LocalCluster cluster, CancellationToken stop)
    {
        var connections = new List<NpgsqlConnection>();
        foreach (var replica in cluster.Replicas)
        {
            var c = new NpgsqlConnection(replica);
            await c.OpenAsync(CancellationToken.None);
            connections.Add(c);
        }

        var samples = new List<int>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var active = 0;
                foreach (var c in connections)
                {
                    await using var cmd = new NpgsqlCommand("select count(*)::int from pg_stat_activity where state = 'active' and query ilike '%wl_items%' and pid <> pg_backend_pid()", c);
                    active += (int)(await cmd.ExecuteScalarAsync(CancellationToken.None))!;
                }

                samples.Add(active);
                try
                {
                    await Task.Delay(50, stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        finally
        {
            foreach (var c in connections)
            {
                await c.DisposeAsync();
            }
        }

        return samples.Count == 0 ? (0, 0) : (samples.Max(), samples.Average());
    }
}
