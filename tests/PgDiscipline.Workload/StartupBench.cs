using System.Diagnostics;
using System.Globalization;
using System.Text;
using PgDiscipline.Testing;

namespace PgDiscipline.Workload;

/// <summary>Start-up time of the two test backends, same topology (primary + 2 streaming replicas + PgBouncer in
/// transaction mode), alternating: <c>build/cluster.sh start</c> (local processes, as the postgres OS user) and
/// PgDiscipline.Testing's container cluster (image present). Each is "ready" when its replicas stream.</summary>
internal static class StartupBench
{
    public static async Task<int> RunAsync(int rounds, string output)
    {
        var local = new List<double>();
        var containers = new List<double>();
        var cluster = Path.Combine(RepoPaths.RepoRoot, "build", "cluster.sh");
        for (var round = 0; round < rounds; round++)
        {
            await ProcessRunner.RunCheckedAsync("bash", cluster, "stop");
            var sw = Stopwatch.StartNew();
            await ProcessRunner.RunCheckedAsync("bash", cluster, "start");
            local.Add(sw.Elapsed.TotalSeconds);
            await ProcessRunner.RunCheckedAsync("bash", cluster, "stop");

            sw.Restart();
            await using (var started = new PgClusterBuilder().WithReplicas(2).WithPgBouncer().Build())
            {
                await started.StartAsync();
                containers.Add(sw.Elapsed.TotalSeconds);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: local {local[^1]:0.00} s, containers {containers[^1]:0.00} s"));
        }

        static double Median(List<double> xs) { var s = xs.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }
        var text = new StringBuilder();
        text.AppendLine("| backend | runs (s) | median | ratio |").AppendLine("|---|---|---:|---:|");
        text.AppendLine(CultureInfo.InvariantCulture, $"| local processes (`build/cluster.sh start`) | {string.Join(", ", local.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))} | {Median(local):0.00} s | 1.00 |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| containers (`PgClusterBuilder().WithReplicas(2).WithPgBouncer().Build()` + `StartAsync()`) | {string.Join(", ", containers.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))} | {Median(containers):0.00} s | {Median(containers) / Median(local):0.00} |");
        await File.WriteAllTextAsync(output, text.ToString());
        Console.Write(text);
        return 0;
    }
}
