using System.Globalization;
using System.Text;

namespace PgDiscipline.Workload;

/// <summary>The fleet simulator's tables: one column per fleet size.</summary>
internal static class FleetReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(FleetSettings s, IReadOnlyList<FleetResult> results, FleetProbe probe, string command)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv, $"Machine: {Environment.ProcessorCount} vCPU (shared), {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}. Date: {DateTime.UtcNow:yyyy-MM-dd}. Command: `{command}`.");
        md.AppendLine(Inv, $"Mode: **{s.Describe}**. Each instance: its own runtime and pools, HealthCheckInterval {s.Interval.TotalMilliseconds:0} ms, Session consistency, statement timeout 2 s, one request every {s.RequestEvery.TotalSeconds:0.#} s (the first and every {s.WriteEvery}th a write, the others replica reads); started {s.StartPerSecond}/s; measured over {s.Measure.TotalSeconds:0} s of steady state; {s.RuleRounds} block + {s.RuleRounds} unblock rounds; rolling restart in waves of {(s.WaveSize > 0 ? s.WaveSize.ToString(Inv) : "N/10")} with {s.WavePause.TotalSeconds:0.#} s between waves.");
        md.AppendLine(Inv, $"Load average (1/5/15 min) before → after each size: {string.Join("; ", results.Select(r => $"N={r.Instances}: {r.LoadBefore} → {r.LoadAfter}"))}.");
        md.AppendLine();
        md.Append("| measure |");
        md.AppendJoin("", results.Select(r => $" N = {r.Instances} |"));
        md.AppendLine();
        md.Append("|---|");
        md.AppendJoin("", results.Select(_ => "---:|"));
        md.AppendLine();

        void Row(string label, Func<FleetResult, string> value)
        {
            md.Append(Inv, $"| {label} |");
            md.AppendJoin("", results.Select(r => " " + value(r) + " |"));
            md.AppendLine();
        }

        void Section(string title) => md.AppendLine(Inv, $"| **{title}** |{string.Concat(results.Select(_ => " |"))}");

        Section("connections held (steady state)");
        Row("primary: the instances' pools (app + runtime)", r => PerInstance(Conn(r, "primary").GetValueOrDefault("instance pools"), r.Instances));
        Row("primary: rules LISTEN", r => PerInstance(Conn(r, "primary").GetValueOrDefault("rules LISTEN"), r.Instances));
        Row("primary: all the fleet's", r => PerInstance(Fleet(Conn(r, "primary")), r.Instances));
        // One request at a time per instance: its app pool needs one primary connection.
        Row("primary: beyond the app's own need (1 per instance)", r => PerInstance(Math.Max(0, Fleet(Conn(r, "primary")) - r.Instances), r.Instances));
        foreach (var server in new[] { "replica1", "replica2" })
        {
            Row($"{server}: all the fleet's{(s.ViaBouncers ? " (= its PgBouncer's server connections)" : "")}", r => PerInstance(Fleet(Conn(r, server)), r.Instances));
        }

        foreach (var b in probe.Bouncers)
        {
            Row($"{b.Name}: clients / server connections", r => r.BouncerPools.TryGetValue(b.Name, out var p) ? $"{p.Clients} / {p.Servers}" : "—");
        }

        Section("queries per second (steady state)");
        foreach (var server in probe.Servers.Select(x => x.Name))
        {
            var kinds = results.SelectMany(r => Kinds(r, server)).Where(k => FleetProbe.IsMonitoring(k) || k.StartsWith("guard:", StringComparison.Ordinal)).Distinct().Order();
            foreach (var kind in kinds)
            {
                Row($"{server}: {kind}", r => Rate(r, server, kind).ToString("0.0", Inv));
            }

            Row($"{server}: all monitoring", r => Monitoring(r, server).Calls.ToString("0.0", Inv));
            Row($"{server}: the app's own queries", r => Rate(r, server, "app").ToString("0.0", Inv));
        }

        Row("monitoring queries per instance per second, all servers", r => (probe.Servers.Sum(x => Monitoring(r, x.Name).Calls) / r.Instances).ToString("0.00", Inv));
        foreach (var b in probe.Bouncers)
        {
            Row($"{b.Name}: queries through it", r => (Delta(r, x => x.BouncerStats.GetValueOrDefault(b.Name)?.GetValueOrDefault("total_query_count") ?? 0) / Seconds(r)).ToString("0.0", Inv));
        }

        Section("CPU, % of one core (steady state)");
        foreach (var server in probe.Servers.Select(x => x.Name))
        {
            Row($"{server}: all its processes (/proc)", r => Pct(Delta(r, x => x.CpuSeconds[server]) / Seconds(r)));
            Row($"{server}: executing monitoring queries (pg_stat_statements) / share of all execution", r =>
            {
                var m = Monitoring(r, server).ExecMs;
                var all = AllExecMs(r, server);
                return $"{Pct(m / 1000)} / {(all > 0 ? 100 * m / all : 0):0}%";
            });
        }

        foreach (var b in probe.Bouncers)
        {
            Row($"{b.Name} process", r => Pct(Delta(r, x => x.CpuSeconds[b.Name]) / Seconds(r)));
        }

        Row("the fleet process (all N runtimes and their load)", r => Pct(Delta(r, x => x.CpuSeconds["fleet process"]) / Seconds(r)));
        Section("memory (steady state)");
        foreach (var server in probe.Servers.Select(x => x.Name))
        {
            Row($"{server}: PSS of its processes, MiB", r => r.MemoryMiB.GetValueOrDefault(server).ToString("0", Inv));
        }

        Row("the fleet process working set, MiB", r => r.FleetProcessMiB.ToString("0", Inv));
        Section("the fleet's load (steady state)");
        Row("reads / writes per second", r => $"{r.Steady.Reads / Seconds(r):0.0} / {r.Steady.Writes / Seconds(r):0.0}");
        Row("failed reads / failed writes / stale reads", r => $"{r.Steady.FailedReads} / {r.Steady.FailedWrites} / {r.Steady.Stale}");
        Row("read latency p50 / p99, ms", r => $"{r.ReadMs.P50:0.0} / {r.ReadMs.P99:0.0}");
        Section("rule propagation (`pgdiscipline rules block` / `unblock` in another process; from the commit to each instance)");
        Row("p50 / p99 / max, ms", r => $"{Percentile(r.PropagationMs, 0.5):0} / {Percentile(r.PropagationMs, 0.99):0} / {r.PropagationMs.DefaultIfEmpty(double.NaN).Max():0}");
        Row("instance-changes measured / not seen within 60 s", r => $"{r.PropagationMs.Count} / {r.PropagationMissing}");
        Row("the CLI run (process start to exit), median ms", r => Percentile(r.CliMs, 0.5).ToString("0", Inv));
        Section("rolling restart of all N");
        Row("waves / took, s", r => $"{r.Waves} / {r.RestartTook.TotalSeconds:0.0}");
        foreach (var server in probe.Servers.Select(x => x.Name))
        {
            Row($"{server}: sessions opened (per instance) / peak per second", r =>
            {
                var (opened, peak) = Sessions(r, server);
                return $"{opened} ({opened / (double)r.Instances:0.00}) / {peak:0}";
            });
        }

        Row("primary: connections before → peak → after", r => r.RestartSamples.Count == 0 ? "—"
            : $"{r.RestartSamples[0].Counters["primary"].Clients} → {r.RestartSamples.Max(x => x.Counters["primary"].Clients)} → {r.RestartSamples[^1].Counters["primary"].Clients}");
        Row("failed reads / writes during it (of reads / writes)", r => $"{r.DuringRestart.FailedReads} / {r.DuringRestart.FailedWrites} (of {r.DuringRestart.Reads} / {r.DuringRestart.Writes})");
        Row("instances started, s (stagger)", r => r.StartTook.TotalSeconds.ToString("0.0", Inv));
        md.AppendLine();
        var failures = results.SelectMany(r => r.Failures).GroupBy(p => p.Key).Select(g => $"{g.Key} × {g.Sum(p => p.Value)}").ToList();
        md.AppendLine(Inv, $"Failed requests by error, whole run: {(failures.Count == 0 ? "none" : string.Join(", ", failures))}.");
        foreach (var r in results.Where(r => r.Errors.Count > 0))
        {
            md.AppendLine(Inv, $"N = {r.Instances}: {string.Join("; ", r.Errors)}.");
        }

        return md.ToString();
    }

    private static IEnumerable<string> Kinds(FleetResult r, string server) => r.End?.Statements.GetValueOrDefault(server)?.Keys ?? Enumerable.Empty<string>();

    private static double Seconds(FleetResult r) => r.End is null || r.Start is null ? double.NaN : (r.End.At - r.Start.At).TotalSeconds;

    private static double Delta(FleetResult r, Func<FleetProbe.Snapshot, double> of) => r.End is null || r.Start is null ? double.NaN : of(r.End) - of(r.Start);

    private static (long Calls, double Ms) Stat(FleetProbe.Snapshot s, string server, string kind) => s.Statements.GetValueOrDefault(server)?.GetValueOrDefault(kind) ?? default;

    private static double Rate(FleetResult r, string server, string kind) => Delta(r, x => Stat(x, server, kind).Calls) / Seconds(r);

    private static (double Calls, double ExecMs) Monitoring(FleetResult r, string server)
    {
        var kinds = Kinds(r, server).Where(FleetProbe.IsMonitoring).ToList();
        return (kinds.Sum(k => Rate(r, server, k)), kinds.Sum(k => Delta(r, x => Stat(x, server, k).Ms)) / Seconds(r));
    }

    private static double AllExecMs(FleetResult r, string server)
        => Kinds(r, server).Where(k => k != "probe").Sum(k => Delta(r, x => Stat(x, server, k).Ms)) / Seconds(r);

    private static Dictionary<string, int> Conn(FleetResult r, string server) => r.Connections.GetValueOrDefault(server) ?? [];

    private static int Fleet(Dictionary<string, int> byKind) => byKind.Where(p => p.Key != "other").Sum(p => p.Value);

    private static string PerInstance(int count, int instances) => string.Create(Inv, $"{count} ({count / (double)instances:0.00})");

    private static string Pct(double coreFraction) => double.IsNaN(coreFraction) ? "—" : (100 * coreFraction).ToString("0.00", Inv) + "%";

    /// <summary>Sessions opened on a server over the restart, and the most opened in any one second of it.</summary>
    private static (long Opened, double PeakPerSecond) Sessions(FleetResult r, string server)
    {
        var samples = r.RestartSamples;
        if (samples.Count < 2)
        {
            return (0, 0);
        }

        var opened = samples[^1].Counters[server].Sessions - samples[0].Counters[server].Sessions;
        var peak = 0.0;
        for (var j = 1; j < samples.Count; j++)
        {
            var k = j - 1;
            while (k > 0 && samples[j].At - samples[k].At < TimeSpan.FromSeconds(1))
            {
                k--;
            }

            var span = (samples[j].At - samples[k].At).TotalSeconds;
            peak = Math.Max(peak, (samples[j].Counters[server].Sessions - samples[k].Counters[server].Sessions) / Math.Max(span, 1));
        }

        return (opened, peak);
    }

    private static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }
}
