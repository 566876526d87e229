using PgDiscipline.Testing;
// Load, fault and fuzz runs against the local cluster (not unit tests; not part of build/test.sh's test run).
//   mix    --env FILE [--workers 8] [--seconds 10] [--rounds 3] [--only A,B] --out FILE.md    side-by-side end-to-end comparison
//   faults --env FILE --cli PGDISCIPLINE.DLL [--workers 8] [--only TEXT] --out FILE.md
//   fuzz   [--seconds 60] [--seed N] --out FILE.md                              lexer/fingerprint/lint and configuration
//   cachestorm --env FILE [--workers 32] [--rate 3000] [--seconds 8] [--rounds 3] --out FILE.md   the cache layer fails, with and without Coalesce
//   writecost --env FILE [--writes 2000] [--rounds 3] --out FILE.md                read-your-writes cost per write
//   backfill --env FILE [--rows 2000000] [--workers 8] [--rate 100000] --out FILE.md   the mix during one whole-table UPDATE vs the backfill runner
//   startup [--rounds 3] --out FILE.md                                               start-up time: local processes vs containers
//   fleet  --env FILE [--endpoints 50] [--seconds 10] [--interval-ms 1000] --out FILE.md   health-monitor cost per app
//   fleet  --env FILE --instances 10,100,500 --cli PGDISCIPLINE.DLL [--mode replicas|listen] [--replicas-via direct|pgbouncer]
//          [--seconds 30] [--interval-ms 1000] [--start-rate 25] [--rule-rounds 5] [--wave 0 (= N/10)] [--wave-pause-ms 1000]
//          [--primary-reading-ms 5000] [--request-every-ms 1000] [--write-every 10] [--no-restart] --out FILE.md      N independent runtimes against one cluster (issue 36)
using System.Globalization;
using PgDiscipline.Workload;

var command = args.FirstOrDefault();
string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
int Int(string name, int fallback) => Arg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var output = Arg("--out") ?? throw new ArgumentException("--out FILE is required");
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
switch (command)
{
    case "mix":
        return await Mix.RunAsync(LocalCluster.Load(Arg("--env")!), Int("--workers", 8), TimeSpan.FromSeconds(Int("--seconds", 10)), Int("--rounds", 3), output, Arg("--only"));
    case "faults":
        return await Faults.RunAsync(LocalCluster.Load(Arg("--env")!), Int("--workers", 8), Arg("--cli") ?? throw new ArgumentException("--cli PATH is required"), output, Arg("--only"));
    case "backfill":
        return await BackfillBench.RunAsync(LocalCluster.Load(Arg("--env")!), Int("--rows", 2_000_000), Int("--workers", 8), Int("--rate", 100_000), output);
    case "fleet" when Arg("--instances") is { } sizes:
        var mode = Arg("--mode") ?? "replicas";
        if (mode is not ("listen" or "replicas"))
        {
            Console.Error.WriteLine("fleet: --mode is listen (today's runtime) or replicas (issue 36)");
            return 2;
        }

        var settings = new FleetSettings(
            sizes.Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray(), mode,
            (Arg("--replicas-via") ?? (mode == "listen" ? "direct" : "pgbouncer")) == "pgbouncer",
            TimeSpan.FromMilliseconds(Int("--interval-ms", 1000)), TimeSpan.FromSeconds(Int("--seconds", 30)), Int("--start-rate", 25),
            Int("--rule-rounds", 5), Int("--wave", 0), TimeSpan.FromMilliseconds(Int("--wave-pause-ms", 1000)),
            TimeSpan.FromMilliseconds(Int("--primary-reading-ms", mode == "listen" ? 0 : 5_000)), Int("--write-every", 10), TimeSpan.FromMilliseconds(Int("--request-every-ms", 1000)),
            Arg("--cli") ?? throw new ArgumentException("--cli PATH is required"), Restart: !args.Contains("--no-restart"));
        var shown = args.Where((a, i) => !(a is "--env" or "--cli" or "--out") && !(i > 0 && args[i - 1] is "--env" or "--cli" or "--out"));
        return await FleetSim.RunAsync(LocalCluster.Load(Arg("--env")!), settings, output, "PgDiscipline.Workload " + string.Join(' ', shown));
    case "fleet":
        return await Fleet.RunAsync(LocalCluster.Load(Arg("--env")!), Int("--endpoints", 50), TimeSpan.FromSeconds(Int("--seconds", 10)), TimeSpan.FromMilliseconds(Int("--interval-ms", 1000)), output);
    case "cachestorm":
        return await CacheStorm.RunAsync(LocalCluster.Load(Arg("--env")!), Int("--workers", 32), Int("--rate", 3000), TimeSpan.FromSeconds(Int("--seconds", 8)), Int("--rounds", 3), output);
    case "writecost":
        return await WriteCost.RunAsync(LocalCluster.Load(Arg("--env")!), Int("--writes", 2000), Int("--rounds", 3), output);
    case "startup":
        return await StartupBench.RunAsync(Int("--rounds", 3), output);
    case "fuzz":
        return await Fuzz.RunAsync(TimeSpan.FromSeconds(Int("--seconds", 60)), Int("--seed", 20261123), output);
    default:
        Console.Error.WriteLine("usage: PgDiscipline.Workload mix|faults|fuzz|fleet|writecost|cachestorm|backfill … --out FILE.md");
        return 2;
}
