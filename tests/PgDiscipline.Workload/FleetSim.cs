using System.Diagnostics;
using Npgsql;
using PgDiscipline.Sql;
using PgDiscipline.Testing;

namespace PgDiscipline.Workload;

/// <summary>What one fleet size measured.</summary>
internal sealed class FleetResult
{
    public int Instances { get; init; }

    public string LoadBefore { get; set; } = "";

    public string LoadAfter { get; set; } = "";

    public TimeSpan StartTook { get; set; }

    public FleetProbe.Snapshot? Start { get; set; }

    public FleetProbe.Snapshot? End { get; set; }

    public Dictionary<string, Dictionary<string, int>> Connections { get; set; } = [];

    public Dictionary<string, (int Clients, int Servers)> BouncerPools { get; set; } = [];

    public Dictionary<string, double> MemoryMiB { get; set; } = [];

    public double FleetProcessMiB { get; set; }

    public (long Reads, long Writes, long FailedReads, long FailedWrites, long Stale) Steady { get; set; }

    public (double P50, double P99) ReadMs { get; set; }

    public List<double> PropagationMs { get; } = [];

    public List<double> RoundMaxMs { get; } = [];

    public List<double> CliMs { get; } = [];

    public int PropagationMissing { get; set; }

    public TimeSpan RestartTook { get; set; }

    public int Waves { get; set; }

    public List<(TimeSpan At, Dictionary<string, (long Sessions, int Clients)> Counters)> RestartSamples { get; } = [];

    public (long FailedReads, long FailedWrites, long Reads, long Writes) DuringRestart { get; set; }

    public IReadOnlyDictionary<string, long> Failures { get; set; } = new Dictionary<string, long>();

    /// <summary>What went wrong in a phase (the run goes on to the next phase and size; the table shows what was measured).</summary>
    public List<string> Errors { get; } = [];
}

/// <summary>
/// <c>fleet --instances N[,N…]</c>: N independent runtimes in one process (each with its own pools and Application Name,
/// as pods would be), each with a small steady load, against the local cluster; measures from the servers what the
/// fleet costs them, how fast a rule written by <c>pgdiscipline rules block</c> reaches every instance, and what a
/// rolling restart of all N costs the primary. One fleet size after the other, on the same cluster.
/// </summary>
internal static class FleetSim
{
    public static async Task<int> RunAsync(LocalCluster cluster, FleetSettings s, string output, string command)
    {
        if (s.ViaBouncers && cluster.ReplicaPgBouncers.Count != 2)
        {
            Console.Error.WriteLine("fleet: replicas through PgBouncer need the cluster started with build/cluster.sh start --replica-bouncers");
            return 2;
        }

        // A pod has a thread pool of its own; here N runtimes share one. Npgsql blocks a pool thread for each cancel request
        // (a read's client-side timeout), up to its Cancellation Timeout: at N = 500 on 2 cores a few of them starved the
        // shared pool, every runtime's checks then timed out at once and the monitors stopped (seen in a stack dump).
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, Math.Min(1000, s.Instances.Max())), io);
        await Workload.CreateSchemaAsync(cluster.Primary);
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(30));
        // The rule table exists before any instance starts (the CLI creates it), and the CLI's first start is paid once.
        await CliAsync(s, cluster, "rules", "block", Fingerprint("warm-up"), "--reason", "fleet warm-up", "--id", "fleet-warm-up");
        await CliAsync(s, cluster, "rules", "unblock", "fleet-warm-up");
        NpgsqlConnection.ClearAllPools(); // the set-up's pooled connections would count as the fleet's
        var probe = new FleetProbe(cluster);
        var results = new List<FleetResult>();
        foreach (var n in s.Instances)
        {
            results.Add(await RunOneAsync(cluster, s, probe, n));
            NpgsqlConnection.ClearAllPools();
            await DrainAsync(probe);
        }

        var md = FleetReport.Render(s, results, probe, command);
        await File.WriteAllTextAsync(output, md);
        Console.Write(md);
        return 0;
    }

    private static async Task<FleetResult> RunOneAsync(LocalCluster cluster, FleetSettings s, FleetProbe probe, int n)
    {
        var result = new FleetResult { Instances = n, LoadBefore = LoadAverage() };
        var load = new FleetLoad();
        var instances = new FleetInstance[n];
        Log($"N={n}: starting {n} instances, {s.StartPerSecond}/s");
        var clock = Stopwatch.StartNew();
        instances[0] = await FleetInstance.StartAsync(cluster, s, 0, load);
        var starts = new List<Task>();
        for (var i = 1; i < n; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)s.StartPerSecond);
            if (clock.Elapsed < due)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            var index = i;
            starts.Add(Task.Run(async () => instances[index] = await FleetInstance.StartAsync(cluster, s, index, load)));
        }

        await Task.WhenAll(starts);
        result.StartTook = clock.Elapsed;
        Log($"N={n}: all started in {result.StartTook.TotalSeconds:0.0} s; settling");
        await Task.Delay(TimeSpan.FromSeconds(5) + s.PrimaryReading);

        try
        {
            var before = (load.Reads, load.Writes, load.FailedReads, load.FailedWrites, load.Stale);
            result.Start = await probe.SnapshotAsync();
            load.ResetLatencies();
            await Task.Delay(s.Measure);
            result.End = await probe.SnapshotAsync();
            result.Steady = (load.Reads - before.Reads, load.Writes - before.Writes, load.FailedReads - before.FailedReads, load.FailedWrites - before.FailedWrites, load.Stale - before.Stale);
            result.Connections = await probe.ConnectionsAsync();
            result.BouncerPools = await probe.BouncerPoolsAsync();
            result.MemoryMiB = probe.MemoryMiB();
            result.FleetProcessMiB = Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024);
            result.ReadMs = (load.ReadPercentile(0.5), load.ReadPercentile(0.99));
            Log($"N={n}: steady state measured ({result.Steady.Reads} reads, {result.Steady.FailedReads} failed reads, {result.Steady.FailedWrites} failed writes{Failures(load)}); fleet process {result.FleetProcessMiB:0} MiB; rule propagation");
            if (s.RuleRounds > 0)
            {
                await Phase(result, "rule propagation", () => PropagationAsync(cluster, s, probe, instances, result));
            }

            if (s.Restart)
            {
                Log($"N={n}: rolling restart");
                await Phase(result, "rolling restart", () => RollingRestartAsync(cluster, s, probe, instances, load, result));
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            result.Errors.Add("steady-state measurement failed: " + Workload.ErrorKey(ex));
            Log($"N={n}: {result.Errors[^1]}");
        }
        finally
        {
            result.Failures = new Dictionary<string, long>(load.Failures);
            Log($"N={n}: stopping{Failures(load)}");
            await Task.WhenAll(instances.Where(i => i is not null).Select(i => i.DisposeAsync().AsTask()));
            result.LoadAfter = LoadAverage();
        }

        return result;
    }

    /// <summary>Each round blocks a fingerprint no instance runs with the CLI in another process, then unblocks it, and
    /// times when each instance's rule set changes, from the moment the change is visible on the primary (polled every
    /// few milliseconds while the CLI runs: its commit).</summary>
    private static async Task PropagationAsync(LocalCluster cluster, FleetSettings s, FleetProbe probe, FleetInstance[] instances, FleetResult result)
    {
        for (var round = 0; round < s.RuleRounds; round++)
        {
            var id = $"fleet-rule-{round}";
            foreach (var (args, present) in new[] { (new[] { "rules", "block", Fingerprint(id), "--reason", "fleet propagation", "--id", id }, true), (["rules", "unblock", id], false) })
            {
                // Only instances not yet in the new state are timed; one already there missed the previous change and
                // counts as not seen (it would otherwise show a time before the commit).
                var watched = instances.Select(i => i.Runtime.ActiveRuleIds.Contains(id) != present).ToArray();
                var sw = Stopwatch.StartNew();
                var committed = CommittedAsync(probe.Servers[0].ConnectionString, id, present, sw);
                var seen = new TimeSpan?[instances.Length];
                var watch = Task.Run(async () =>
                {
                    var remaining = watched.Count(w => w);
                    while (remaining > 0 && sw.Elapsed < TimeSpan.FromSeconds(60))
                    {
                        for (var i = 0; i < instances.Length; i++)
                        {
                            if (watched[i] && seen[i] is null && instances[i].Runtime.ActiveRuleIds.Contains(id) == present)
                            {
                                seen[i] = sw.Elapsed;
                                remaining--;
                            }
                        }

                        await Task.Delay(10);
                    }
                });
                await CliAsync(s, cluster, args);
                result.CliMs.Add(sw.Elapsed.TotalMilliseconds);
                var at = await committed;
                await watch;
                var ms = seen.OfType<TimeSpan>().Select(t => (t - at).TotalMilliseconds).ToList();
                result.PropagationMs.AddRange(ms);
                result.PropagationMissing += instances.Length - ms.Count;
                result.RoundMaxMs.Add(ms.DefaultIfEmpty(double.NaN).Max());
            }
        }
    }

    /// <summary>When the rule row's presence on the primary first matches <paramref name="present"/>.</summary>
    private static async Task<TimeSpan> CommittedAsync(string primary, string id, bool present, Stopwatch sw)
    {
        await using var conn = new NpgsqlConnection(primary);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select exists (select 1 from pgdiscipline.query_rules where id = @id)", conn);
        cmd.Parameters.AddWithValue("id", id);
        while ((bool)(await cmd.ExecuteScalarAsync())! != present)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"rule {id} did not change on the primary within 60 s");
            }

            await Task.Delay(2);
        }

        return sw.Elapsed;
    }

    /// <summary>Restarts every instance in waves of <see cref="FleetSettings.WaveSize"/>: each stopped as a pod stops and
    /// started again (ready when its first health round and rule load are done), a pause between waves; the servers'
    /// session counters and connections sampled every 250 ms throughout.</summary>
    private static async Task RollingRestartAsync(LocalCluster cluster, FleetSettings s, FleetProbe probe, FleetInstance[] instances, FleetLoad load, FleetResult result)
    {
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                result.RestartSamples.Add((clock.Elapsed, await probe.CountersAsync()));
                try
                {
                    await Task.Delay(250, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
        await Task.Delay(1000); // a second of the steady state before the first wave
        var before = (load.FailedReads, load.FailedWrites, load.Reads, load.Writes);
        var started = clock.Elapsed;
        var size = s.WaveSize > 0 ? s.WaveSize : Math.Max(1, instances.Length / 10);
        for (var first = 0; first < instances.Length; first += size)
        {
            var wave = Enumerable.Range(first, Math.Min(size, instances.Length - first));
            await Task.WhenAll(wave.Select(async i =>
            {
                await instances[i].DisposeAsync();
                instances[i] = await FleetInstance.StartAsync(cluster, s, i, load);
            }));
            result.Waves++;
            await Task.Delay(s.WavePause);
        }

        result.RestartTook = clock.Elapsed - started;
        result.DuringRestart = (load.FailedReads - before.FailedReads, load.FailedWrites - before.FailedWrites, load.Reads - before.Reads, load.Writes - before.Writes);
        // Primary connections are opened lazily (a replica read needs none): keep counting until every restarted instance
        // has made its first request (a write).
        await Task.Delay(s.RequestEvery + TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        await sampler;
    }

    /// <summary>Waits until the fleet's connections have left the primary (the next size starts from none; a replica
    /// PgBouncer keeps its idle server connections).</summary>
    private static async Task DrainAsync(FleetProbe probe)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60) && (await probe.CountersAsync())["primary"].Clients > 0)
        {
            await Task.Delay(500);
        }
    }

    private static async Task Phase(FleetResult result, string name, Func<Task> phase)
    {
        try
        {
            await phase();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            result.Errors.Add($"{name} failed: {Workload.ErrorKey(ex)}{(ex is InvalidOperationException ? " (" + ex.Message.Split('\n')[0].Split("--connection")[0].Trim() + ")" : "")}");
            Log($"N={result.Instances}: {result.Errors[^1]}");
        }
    }

    private static string Failures(FleetLoad load) => load.Failures.Count == 0 ? "" : "; failures: " + string.Join(", ", load.Failures.Select(p => $"{p.Key} × {p.Value}"));

    private static string Fingerprint(string name) => SqlFingerprint.Compute($"select * from fleet_never_run where name = '{name}'").ToString();

    private static Task CliAsync(FleetSettings s, LocalCluster cluster, params string[] args)
        => ProcessRunner.RunCheckedAsync("dotnet", [s.Cli, .. args, "--connection", cluster.Primary]);

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static void Log(string text) => Console.Error.WriteLine($"[fleet] {DateTime.UtcNow:HH:mm:ss} {text}");
}
