using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgDiscipline.Testing;
using PgDiscipline.Operations;

namespace PgDiscipline.Workload;

/// <summary>
/// What a whole-table data change does to the application, side by side in one run: the chat-like mix (8 clients through
/// PgDiscipline) while (a) nothing else runs, (b) one <c>UPDATE</c> of every row of a big table, (c) the same change by
/// the backfill runner. Reported: the mix's throughput and p50/p99 while the change runs, the replicas' replay lag
/// (time, as the runtime's monitor measures it, and bytes), and how long the change took.
/// </summary>
internal static class BackfillBench
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(LocalCluster cluster, int rows, int workers, double rowsPerSecond, string output)
    {
        await Workload.CreateSchemaAsync(cluster.Primary);
        await LocalCluster.ScalarAsync(cluster.Primary, $"""
            drop table if exists bench_big;
            create table bench_big (id bigint primary key, n int not null default 0, pad text not null);
            insert into bench_big (id, pad) select g, md5(g::text) from generate_series(1, {rows}) g;
            """);
        await LocalCluster.ScalarAsync(cluster.Primary, "vacuum analyze bench_big"); // VACUUM: a statement of its own
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(120));

        var options = new PgDisciplineOptions
        {
            Consistency = ReadConsistency.Session,
            MaxReplicaLag = TimeSpan.FromSeconds(1),
            HealthCheckInterval = TimeSpan.FromMilliseconds(200),
            Replicas = { new ReplicaOptions { ConnectionString = cluster.Replicas[0], Name = "replica1" }, new ReplicaOptions { ConnectionString = cluster.Replicas[1], Name = "replica2" } },
        };
        options.Timeouts.Statement = TimeSpan.FromSeconds(5);
        options.Timeouts.Lock = TimeSpan.FromSeconds(1);
        await using var runtime = PgDisciplineRuntime.Create(options);
        var routed = new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cluster.Primary).UsePgDiscipline(runtime).Options;
        var variant = new Variant("PgDiscipline", routed, routed, runtime);
        await runtime.CheckReplicasNowAsync();
        await Workload.RunAsync(variant, workers, TimeSpan.FromSeconds(2), cluster.Primary); // warm-up

        var md = new StringBuilder();
        md.AppendLine(Inv, $"Machine: {Environment.ProcessorCount} vCPU, .NET {Environment.Version}, local cluster (primary + 2 streaming replicas), {DateTime.UtcNow:yyyy-MM-dd}.");
        md.AppendLine(Inv, $"The change: `n = n + 1` on every row of `bench_big` ({rows:N0} rows, ~{rows * 80L / (1 << 20)} MiB). The mix: {workers} clients through PgDiscipline (Session consistency, replicas in rotation up to 1 s of lag), as in the fault suite.");
        md.AppendLine();
        md.AppendLine("| While … | change took | mix req/s | mix p50 ms | mix p99 ms | mix failed | max replica lag (s) | max replica lag (MiB) | mix reads on the primary |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");

        // (a) nothing
        md.AppendLine(await MeasureAsync(cluster, runtime, variant, workers, "nothing else (baseline, 15 s)", _ => Task.Delay(TimeSpan.FromSeconds(15))));
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(120));

        // (b) one UPDATE of the whole table
        md.AppendLine(await MeasureAsync(cluster, runtime, variant, workers, "one `UPDATE bench_big SET n = n + 1` (no WHERE)", async ct =>
        {
            await using var conn = new NpgsqlConnection(cluster.Primary);
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("update bench_big set n = n + 1", conn) { CommandTimeout = 0 };
            await cmd.ExecuteNonQueryAsync(ct);
        }));
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(300));
        await LocalCluster.ScalarAsync(cluster.Primary, "vacuum bench_big");
        await LocalCluster.ScalarAsync(cluster.Primary, Operations.BackfillTable.CreateSql + "; delete from pgdiscipline.backfills where name = 'bench'");
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(300));

        // (c) the backfill runner, with the runtime's monitor
        BackfillProgress? result = null;
        md.AppendLine(await MeasureAsync(cluster, runtime, variant, workers, $"the backfill runner (`RowsPerSecond` {rowsPerSecond:N0}, pause above 1 s of replica lag)", async ct =>
        {
            await LocalCluster.ScalarAsync(cluster.Primary, Operations.BackfillTable.CreateSql);
            await using var primary = NpgsqlDataSource.Create(cluster.Primary);
            var definition = BackfillDefinition.FromSql("bench", "bench_big", "id", "update bench_big set n = n + 1 where id between :lower and :upper");
            result = await new BackfillRunner(primary, definition, new BackfillOptions { RowsPerSecond = rowsPerSecond }.UseRuntime(runtime)).RunAsync(cancellationToken: ct);
        }));
        var wrong = Convert.ToInt64(await LocalCluster.ScalarAsync(cluster.Primary, "select count(*) from bench_big where n <> 2"), Inv);
        md.AppendLine();
        md.AppendLine(Inv, $"Backfill runner: {result?.Batches:N0} batches, last batch size {result?.BatchSize:N0}, {result?.RowsPerSecond:N0} rows/s while working, pauses {(result is { Pauses.Count: > 0 } r ? string.Join(", ", r.Pauses.Select(p => $"{p.Key} × {p.Value}")) : "none")}; rows not updated exactly once by the two changes: {wrong}.");
        await File.WriteAllTextAsync(output, md.ToString());
        Console.WriteLine(md.ToString());
        return wrong == 0 ? 0 : 1;
    }

    private static async Task<string> MeasureAsync(LocalCluster cluster, PgDisciplineRuntime runtime, Variant variant, int workers, string name, Func<CancellationToken, Task> change)
    {
        Console.Error.WriteLine($"[backfill-bench] {name}");
        using var stop = new CancellationTokenSource();
        double maxLag = 0, maxBytes = 0;
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var r in runtime.Replicas)
                {
                    maxLag = Math.Max(maxLag, r.Health.Lag?.TotalSeconds ?? 0);
                    maxBytes = Math.Max(maxBytes, (r.Health.LagBytes ?? 0) / (double)(1 << 20));
                }

                try
                {
                    await Task.Delay(50, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
        var primaryBefore = PrimaryReads(await RuntimeSnapshots.SnapshotAsync(runtime));
        var load = Workload.RunAsync(variant, workers, TimeSpan.FromHours(1), cluster.Primary, cancellationToken: stop.Token);
        await Task.Delay(1000);
        var sw = Stopwatch.StartNew();
        await change(CancellationToken.None);
        var took = sw.Elapsed;
        await stop.CancelAsync();
        var result = await load;
        await sampler;
        var primaryReads = PrimaryReads(await RuntimeSnapshots.SnapshotAsync(runtime)) - primaryBefore;
        return string.Create(Inv, $"| {name} | {took.TotalSeconds:0.0} s | {result.Throughput:0} | {Workload.Ms(result.Percentile(0.5))} | {Workload.Ms(result.Percentile(0.99))} | {result.Failed} | {maxLag:0.00} | {maxBytes:0.0} | {primaryReads} |");
    }

    /// <summary>Reads (selects) the runtime ran on the primary, summed over fingerprints.</summary>
    private static long PrimaryReads(System.Text.Json.JsonDocument snapshot)
    {
        using (snapshot)
        {
            return snapshot.RootElement.GetProperty("queries").EnumerateArray()
                .Where(q => q.GetProperty("kind").GetString() == "select")
                .Sum(q => q.GetProperty("routing").TryGetProperty("primary", out var n) ? n.GetInt64() : 0);
        }
    }
}
