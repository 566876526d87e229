using PgDiscipline.Testing;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PgDiscipline.Workload;

/// <summary>Fault scenarios under a steady read/write load through PgDiscipline: the fault at <see cref="FaultAt"/>,
/// the repair at <see cref="RepairAt"/>, the load running for <see cref="Length"/>.</summary>
internal static partial class Faults
{
    public static readonly TimeSpan FaultAt = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan RepairAt = TimeSpan.FromSeconds(9);
    public static readonly TimeSpan Length = TimeSpan.FromSeconds(16);
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record Scenario(string Name, string What, Func<Context, Task> Fault, Func<Context, Task>? Repair, bool HandRolled = false, bool ViaPgBouncer = false, string Expect = "")
    {
        /// <summary>Runs on a fresh HA cluster of its own (<c>build/cluster.sh start --standby --cascade</c>): a failover uses it up.</summary>
        public bool Ha { get; init; }

        /// <summary>HA: the application's primary is the old primary alone instead of both hosts (the contrast).</summary>
        public bool SingleHost { get; init; }

        /// <summary>HA, hand-rolled: reads and writes both through a plain context on the application's primary string.</summary>
        public bool PlainOnPrimary { get; init; }

        /// <summary>HA: count the writes that landed on the old primary after it came back.</summary>
        public bool CountOldPrimaryWrites { get; init; }

        /// <summary>Any failed request is a violation (hostile input must cause no outage).</summary>
        public bool NoFailures { get; init; }

        /// <summary>Contrast (with <see cref="HandRolled"/>): reads through Npgsql's own multi-host load balancing
        /// (<see cref="ReadPlacement.MultiHostReads"/>), writes through a plain context on the primary.</summary>
        public bool MultiHost { get; init; }
    }

    internal sealed class Context(LocalCluster cluster, PgDisciplineRuntime? runtime, string cli)
    {
        /// <summary>HA: <c>sum(version)</c> on the old primary when it came back (each write adds one).</summary>
        public long? OldPrimaryVersionsAtRevival { get; set; }

        public LocalCluster Cluster { get; } = cluster;

        public PgDisciplineRuntime? Runtime { get; } = runtime;

        public string Cli { get; } = cli;

        public List<string> Notes { get; } = [];

        public Task? Background { get; set; }

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public TimeSpan? CliExitedAt { get; set; }

        public List<NpgsqlConnection> Held { get; } = [];

        public long OldPrimaryWrites { get; set; }

        /// <summary>What the scenario itself found wrong (hostile input: an attempt not refused, a stack trace, a value leaked).</summary>
        public int Violations { get; set; }
    }

    public static async Task<int> RunAsync(LocalCluster cluster, int workers, string cli, string output, string? only)
    {
        await Workload.CreateSchemaAsync(cluster.Primary);
        await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(30));
        var scenarios = new List<Scenario>
        {
            new("replica killed and restarted", "`pg_ctl stop -m immediate` on replica1, started again 6 s later",
                c => c.Cluster.StopServerAsync("replica1"), c => c.Cluster.StartServerAsync("replica1"), Expect: "0 failed: reads retried on replica2, then the primary"),
            new("replica killed and restarted — Npgsql multi-host load balancing, for contrast", "the same kill; reads through a plain DbContext on `Host=replica1,replica2,primary;Load Balance Hosts=true;Target Session Attributes=prefer-standby`, writes through a second one on the primary",
                c => c.Cluster.StopServerAsync("replica1"), c => c.Cluster.StartServerAsync("replica1"), HandRolled: true, Expect: "Npgsql marks replica1 offline after the first failures and balances over the rest") { MultiHost = true },
            new("primary killed and restarted", "`pg_ctl stop -m immediate` on the primary, started again 6 s later",
                c => c.Cluster.StopServerAsync("primary"), c => c.Cluster.StartServerAsync("primary"), Expect: "writes fail while it is down; reads keep working on the replicas"),
            new("WAL replay paused, then resumed", "`pg_wal_replay_pause()` on both replicas, resumed 6 s later",
                PauseBoth, ResumeBoth, Expect: "0 failed, 0 stale: session reads go to the primary until replay resumes"),
            new("WAL replay paused — hand-rolled replica DbContext, for contrast", "the same pause; reads through a second plain DbContext on replica1",
                PauseBoth, ResumeBoth, HandRolled: true, Expect: "stale reads: the client does not see its own writes"),
            new("WAL replay paused — Npgsql multi-host load balancing, for contrast", "the same pause; reads through a plain DbContext on `Host=replica1,replica2,primary;Load Balance Hosts=true;Target Session Attributes=prefer-standby`, writes through a second one on the primary",
                PauseBoth, ResumeBoth, HandRolled: true, Expect: "stale reads: Npgsql knows which hosts are standbys, not how far behind they are") { MultiHost = true },
            new("PgBouncer restarted", "the app's primary connection goes through PgBouncer (Pooler = PgBouncerTransaction); PgBouncer SIGKILLed, started 6 s later",
                c => c.Cluster.KillPgBouncerAsync(), c => c.Cluster.StartPgBouncerAsync(), ViaPgBouncer: true, Expect: "writes fail while it is down; reads keep working on the replicas"),
            new("connection storm", "250 extra clients open unpooled connections to the primary (max_connections = 100) and hold them for 6 s",
                Storm, ReleaseHeld, Expect: "the app keeps its pooled connections; the storm is refused"),
            new("lock held during a migration (PgDiscipline migration guard)", "a long transaction holds ACCESS SHARE on the table; an EF Core migration adds a column with MigrateWithRetryAsync (lock_timeout 300 ms, retried); the transaction ends 6 s later",
                c => MigrateUnderLock(c, guarded: true), ReleaseHeldAndWait, Expect: "the migration waits its turn in ≤ 300 ms slices; the load barely notices"),
            new("lock held during a migration (plain ALTER TABLE, no lock_timeout), for contrast", "the same lock; `ALTER TABLE … ADD COLUMN` without lock_timeout",
                c => MigrateUnderLock(c, guarded: false), ReleaseHeldAndWait, Expect: "every write queues behind the waiting ALTER until the lock is released"),
            new("rule blocks the hottest query", "`pgdiscipline rules block <hottest fingerprint>` from the CLI in another process; unblocked 6 s later",
                Block, Unblock, Expect: "that query is refused within milliseconds (QueryBlockedException), everything else keeps working"),
            new("hostile input", "rows no instance can use written to `pgdiscipline.query_rules` (expiry in the year 10000 and `infinity`, NaN / 1e-300 / 1e12 rates, unknown actions, a tab and a newline in an id), a good rule after them, and 17 bad CLI calls (NaN rates, negative queue times, huge expiries, control characters in ids, connection strings with a secret in `Port`, `Password` or `Options`, a port out of range, a table name with SQL in it, missing files, report inputs with nulls, overflowing counts and a NUL in a path, `--out` on a file, an unreachable server), and forged, garbage and oversized session tokens with writes and reads; the rows deleted 6 s later",
                HostileInput.AttackAsync, HostileInput.CleanUpAsync, Expect: "every attempt refused (bad rows rejected by id, each CLI call with its documented exit code), 0 stack traces, 0 values leaked, 0 failed requests, the good rule applied") { NoFailures = true },

            // High availability, each on a fresh cluster with a synchronous hot standby and a cascading replica; the
            // application's primary is both hosts (Host=primary,standby;Target Session Attributes=read-write), its replicas
            // replica1, replica2 and the cascade (streaming from replica1).
            new("HA: primary killed, standby promoted", "`build/cluster.sh failover`: the primary stopped with `-m immediate`, the synchronous standby promoted, replica1/replica2 and PgBouncer re-pointed at it (what an HA controller does)",
                Failover, null, Expect: "writes fail for the moment of the switch, then go to the promoted standby without a restart; 0 acknowledged writes lost (synchronous standby); reads keep working") { Ha = true },
            new("HA: the same failover, single-host primary connection string, for contrast", "the same failover; the application's primary connection string names the old primary only",
                Failover, null, Expect: "every write fails from the fault to the end of the run: the application must be reconfigured") { Ha = true, SingleHost = true },
            new("HA: old primary returns unfenced", "the failover, then 6 s later the old primary started again as it was (writable, timeline 1, first in the host list) and every pool cleared (a new app instance, a recycled connection); Npgsql's `Host Recheck Seconds=1`",
                Failover, ReviveOldPrimary, Expect: "0 writes on the old primary: its connections are refused (older timeline) and the promoted standby takes them") { Ha = true, CountOldPrimaryWrites = true },
            new("HA: old primary returns unfenced — plain EF Core on the same hosts, for contrast", "the same; reads and writes through a plain DbContext on the same multi-host connection string",
                Failover, ReviveOldPrimary, HandRolled: true, Expect: "writes go to the old primary (split brain): acknowledged, and lost") { Ha = true, PlainOnPrimary = true, CountOldPrimaryWrites = true },
            new("HA: intermediate (cascading) replica killed and restarted", "`pg_ctl stop -m immediate` on replica1, which the cascade streams from; started again 6 s later",
                c => c.Cluster.StopServerAsync("replica1"), c => c.Cluster.StartServerAsync("replica1"), Expect: "0 failed, 0 stale: replica1 and then the cascade (its lag grows) leave rotation; both return") { Ha = true },
        };

        var md = new StringBuilder();
        md.AppendLine(Inv, $"Machine: {Environment.ProcessorCount} vCPU, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}. Date: {DateTime.UtcNow:yyyy-MM-dd}.");
        md.AppendLine(Inv, $"Each scenario: {workers} clients for {Length.TotalSeconds:0} s (55% point reads, 40% lists, 5% updates; Session consistency; one DbContext per request, the session token carried from request to request), fault at {FaultAt.TotalSeconds:0} s, repair at {RepairAt.TotalSeconds:0} s. Timeouts: statement 2 s, lock 1 s.");
        md.AppendLine();
        md.AppendLine("| Scenario | attempted | succeeded | failed (by error) | failed reads | stale reads | reads off the primary | lost writes / acknowledged | failures seen | last failure after repair | all replicas in rotation after repair |");
        md.AppendLine("|---|---:|---:|---|---:|---:|---:|---:|---|---|---|");
        var details = new StringBuilder();
        var violations = 0;
        foreach (var s in scenarios.Where(s => only is null || Selected(s.Name, only)))
        {
            Console.Error.WriteLine($"[faults] {s.Name}");
            string row, detail;
            int bad;
            if (s.Ha)
            {
                var dir = Path.Combine(Path.GetTempPath(), "pgdiscipline-faults-ha-" + Environment.ProcessId);
                var env = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, "cluster-ha.env");
                var ha = await LocalCluster.StartFreshAsync(dir, env, "--standby", "--cascade");
                try
                {
                    await Workload.CreateSchemaAsync(ha.Primary);
                    await Workload.WaitForReplicasAsync(ha.Primary, HaReplicas(ha).Select(r => r.ConnectionString), TimeSpan.FromSeconds(30));
                    NpgsqlConnection.ClearAllPools();
                    (row, detail, bad) = await RunScenarioAsync(ha, s, workers, cli);
                }
                finally
                {
                    NpgsqlConnection.ClearAllPools();
                    await LocalCluster.StopAsync(dir, env);
                }
            }
            else
            {
                await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(60));
                await Workload.WaitForReplicasAsync(cluster.Primary, cluster.Replicas, TimeSpan.FromSeconds(30));
                NpgsqlConnection.ClearAllPools();
                (row, detail, bad) = await RunScenarioAsync(cluster, s, workers, cli);
            }

            md.AppendLine(row);
            details.AppendLine(detail);
            violations += bad;
        }

        md.AppendLine();
        md.Append(details);
        await File.WriteAllTextAsync(output, md.ToString());
        Console.WriteLine(md.ToString());
        if (violations > 0)
        {
            Console.Error.WriteLine($"[faults] {violations} PgDiscipline scenario(s) had stale reads or lost writes");
        }

        return violations == 0 ? 0 : 1;
    }

    /// <summary><c>--only</c>: comma-separated parts, each contained in the name, or its start when it begins with <c>^</c>.</summary>
    private static bool Selected(string name, string only)
        => only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(p => p.StartsWith('^') ? name.StartsWith(p[1..], StringComparison.OrdinalIgnoreCase) : name.Contains(p, StringComparison.OrdinalIgnoreCase));

    private static async Task<(string Row, string Detail, int Violations)> RunScenarioAsync(LocalCluster cluster, Scenario s, int workers, string cli)
    {
        var options = new PgDisciplineOptions
        {
            Consistency = ReadConsistency.Session,
            MaxReplicaLag = TimeSpan.FromSeconds(1),
            HealthCheckInterval = TimeSpan.FromMilliseconds(250),
            Pooler = s.ViaPgBouncer ? PoolerMode.PgBouncerTransaction : PoolerMode.Direct,
        };
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        options.Timeouts.Lock = TimeSpan.FromSeconds(1);
        options.DatabaseRules.ConnectionString = s.Ha && !s.SingleHost ? cluster.Env["PGD_HA_PRIMARY"] : cluster.Primary;
        options.DatabaseRules.PollInterval = TimeSpan.FromSeconds(1);
        options.Migrations.LockTimeout = TimeSpan.FromMilliseconds(300);
        options.Migrations.MaxAttempts = 40;
        options.Migrations.RetryBackoff = TimeSpan.FromMilliseconds(100);
        foreach (var (name, replica) in s.Ha ? HaReplicas(cluster) : [("replica1", cluster.Replicas[0]), ("replica2", cluster.Replicas[1])])
        {
            options.Replicas.Add(new ReplicaOptions { ConnectionString = replica, Name = name });
        }

        var events = new EventLog();
        await using var runtime = PgDisciplineRuntime.Create(options, events);
        var primary = s.ViaPgBouncer ? cluster.PgBouncer
            : s.Ha && !s.SingleHost ? cluster.Env["PGD_HA_PRIMARY"] + ";Host Recheck Seconds=1" // Npgsql's default is 10 s: a returned host is tried later, not less
            : cluster.Primary;
        var routed = new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(primary).UsePgDiscipline(runtime).Options;
        var plain = new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(primary).Options;
        var variant = s.PlainOnPrimary ? new Variant("plain", plain, plain)
            : s.MultiHost ? new Variant("npgsql multi-host", new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(ReadPlacement.MultiHostReads(cluster)).Options, new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cluster.Primary).Options)
            : s.HandRolled ? new Variant("hand-rolled", new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cluster.Replicas[0]).Options, new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(cluster.Primary).Options)
            : new Variant("PgDiscipline", routed, routed, runtime);
        await runtime.CheckReplicasNowAsync();
        await Workload.RunAsync(variant, workers, TimeSpan.FromSeconds(1), cluster.Primary); // warm-up (pools, statistics)

        var ejections = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "PgDiscipline" && instrument.Name == "pgdiscipline.replicas.ejections")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref ejections, value));
        listener.Start();
        var ctx = new Context(cluster, runtime, cli);
        var clock = ctx.Clock;
        clock.Restart();
        events.Clock = clock;
        // Lost writes are counted on whichever server is the primary at the end (after a failover: the promoted standby).
        var onPrimaryBefore = s.Ha ? null : await ReadPlacement.CountAsync(cluster.Primary);
        var load = Workload.RunAsync(variant, workers, Length, () => cluster.Primary);
        await Task.Delay(FaultAt);
        var faultAt = clock.Elapsed;
        await s.Fault(ctx);
        await Task.Delay(RepairAt - clock.Elapsed);
        var repairAt = clock.Elapsed;
        TimeSpan? backInRotation = null;
        Task? rotationWatch = null;
        if (s.Repair is { } repair)
        {
            await repair(ctx);
            rotationWatch = Task.Run(async () =>
            {
                var sw = Stopwatch.StartNew();
                while (sw.Elapsed < TimeSpan.FromSeconds(30))
                {
                    if (runtime.Replicas.All(r => r.IsInRotation))
                    {
                        backInRotation = clock.Elapsed - repairAt;
                        return;
                    }

                    await Task.Delay(20);
                }
            });
        }

        var result = await load;
        if (rotationWatch is not null)
        {
            await rotationWatch;
        }

        string? rotationWithoutRepair = null;
        if (s.Repair is null && !s.HandRolled)
        {
            // Nothing repaired: are all replicas in rotation when the run ends (or how much later)?
            var end = clock.Elapsed;
            while (!runtime.Replicas.All(r => r.IsInRotation) && clock.Elapsed - end < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20);
            }

            var after = clock.Elapsed - end;
            rotationWithoutRepair = !runtime.Replicas.All(r => r.IsInRotation) ? "not within 30 s of the end"
                : after < TimeSpan.FromMilliseconds(50) ? "no repair; all in rotation at the end" : $"no repair; {after.TotalSeconds:0.0} s after the end";
        }

        var fallbacks = await RuntimeSnapshots.FallbackReasonsAsync(runtime);
        // Reads off the primary: the client's successful reads less those the primary ran (the replicas' own counts do
        // not survive a kill).
        var onPrimary = onPrimaryBefore is { } b0 && await ReadPlacement.CountAsync(cluster.Primary) is { } b1 && b1 >= b0 ? b1 - b0 : (long?)null; // a restarted primary lost its counts
        var readsOk = result.Reads - result.FailedReads;
        var offPrimary = onPrimary is { } n && readsOk > 0 ? string.Create(Inv, $"{100.0 * Math.Max(0, readsOk - n) / readsOk:0.0}%") : "—";
        var recovered = result.LastFailureAt is { } last
            ? s.Repair is null ? (last > result.Duration - TimeSpan.FromSeconds(1) ? "no repair: still failing at the end" : "no repair needed")
            : last <= repairAt ? "before the repair" : $"{(last - repairAt).TotalSeconds:0.0} s"
            : "no failures";
        var window = result.FirstFailureAt is { } first && result.LastFailureAt is { } l2
            ? $"{(first - faultAt).TotalSeconds:+0.0;-0.0;0.0} s … {(l2 - faultAt).TotalSeconds:+0.0;-0.0;0.0} s after the fault"
            : "—";
        var rotation = s.HandRolled ? "—" : (rotationWithoutRepair ?? (backInRotation is { } b ? $"{Math.Max(0, b.TotalSeconds):0.0} s" : "not within 30 s")) + $" ({Interlocked.Read(ref ejections)} ejections)";
        if (s.CountOldPrimaryWrites && ctx.OldPrimaryVersionsAtRevival is { } atRevival)
        {
            var now = Convert.ToInt64(await LocalCluster.ScalarAsync(cluster.Env["PGD_OLD_PRIMARY"], "select sum(version) from wl_items"), Inv);
            ctx.OldPrimaryWrites = now - atRevival;
            ctx.Notes.Add($"writes that went to the old primary after it returned: {now - atRevival}");
        }

        if (!s.HandRolled && events.Lines.Count > 0)
        {
            ctx.Notes.Add("runtime events: " + string.Join("; ", events.Lines.Take(12).Select(e => $"{(e.At - faultAt).TotalSeconds:+0.0;-0.0} s {e.Text}")) + (events.Lines.Count > 12 ? $"; … {events.Lines.Count - 12} more" : ""));
        }

        if (runtime.RefusedPrimaries.Count > 0 && !s.HandRolled)
        {
            ctx.Notes.Add("stale primary refused: " + string.Join(", ", runtime.RefusedPrimaries.Select(p => $"{p.Key} × {p.Value}")));
        }

        if (ctx.CliExitedAt is { } exited && result.FirstFailureAt is { } firstRefusal)
        {
            ctx.Notes.Add($"first refusal {(firstRefusal - exited).TotalMilliseconds:0} ms after the CLI exited");
        }
        var row = $"| {s.Name} | {result.Attempted} | {result.Succeeded} | {result.FailureText} | {result.FailedReads} | {result.Stale} | {offPrimary} | {result.LostWrites} / {result.AcknowledgedWrites} | {window} | {recovered} | {rotation} |";
        var detail = new StringBuilder();
        detail.AppendLine(Inv, $"**{s.Name}.** {s.What}. Expected: {s.Expect}.");
        var observed = string.Create(Inv, $"Observed: p50 {Workload.Ms(result.Percentile(0.5))} ms, p99 {Workload.Ms(result.Percentile(0.99))} ms, {result.Throughput:0} req/s");
        if (!s.HandRolled)
        {
            observed += "; replica reads that ran on the primary: " + (fallbacks.Count == 0 ? "none" : string.Join(", ", fallbacks.Select(p => string.Create(Inv, $"{p.Key} {p.Value}"))));
        }

        detail.AppendLine(observed + (ctx.Notes.Count > 0 ? "; " + string.Join("; ", ctx.Notes) : "") + ".");
        Console.Error.WriteLine("[faults]   " + row);
        Console.Error.WriteLine("[faults]   " + detail.ToString().Replace("\n", "\n[faults]   ", StringComparison.Ordinal));
        var violations = !s.HandRolled && (result.Stale > 0 || result.LostWrites > 0 || ctx.OldPrimaryWrites > 0 || ctx.Violations > 0 || (s.NoFailures && result.Failed > 0)) ? 1 : 0;
        return (row, detail.ToString(), violations);
    }
}
