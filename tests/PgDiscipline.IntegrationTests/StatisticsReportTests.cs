// PGD103: the test repeats queries on purpose to give the statistics something to count.
// PGD104: the raw SQL carries literal values on purpose: the report must not show them.
#pragma warning disable PGD103, PGD104
using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PgDiscipline.Cli;
using PgDiscipline.Sql;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>Runtime statistics on the real cluster, the JSON snapshot, and <c>pgdiscipline report</c> over it plus this
/// project's own SARIF log and lint output. Seeded literal values must not appear in any output.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StatisticsReportTests(ClusterFixture cluster) : IAsyncLifetime
{
    private const string Email = "alice.secret@example.com";
    private const string Card = "4111111111111111";
    private const string Password = "Hunter2-Password";
    private const string Number = "987654321";
    private const string Token = "s3cr3t-token-xyz";
    private static readonly string[] Secrets = [Email, Card, Password, Number, Token, "555000111", "31337"];

    public async Task InitializeAsync()
    {
        await ProbeContext.EnsureTableAsync(cluster.Primary);
        await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(30));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record Seeded(string Dir, string Snapshot, JsonElement Root, int LinqLine, long TotalCalls);

    /// <summary>Runs a known workload through a fresh runtime and writes its snapshot plus the report.</summary>
    private async Task<Seeded> SeedAndReportAsync(string name)
    {
        var dir = Path.Combine(ClusterFixture.RepoRoot, "artifacts", "test-report", name);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        var periodic = Path.Combine(dir, "periodic.json");
        var blocked = SqlFingerprint.Compute("select name as \"Value\" from probe_items where qty = 1").ToString();
        await using var ctx = ProbeContext.Create(cluster.Primary, pg =>
        {
            pg.AddReplica(cluster.Replicas[0]);
            pg.AddReplica(cluster.Replicas[1]);
            pg.HealthCheckInterval = TimeSpan.FromMilliseconds(200);
            pg.DefaultRead = ReadRouting.Replica;
            pg.Statistics.SnapshotPath = periodic; // unique per test: a fresh runtime
            pg.Statistics.SnapshotInterval = TimeSpan.FromMilliseconds(300);
            pg.Rules.Block(blocked, reason: "report test");
        });
        var runtime = ctx.FindPgDisciplineRuntime()!;
        await runtime.CheckReplicasNowAsync();

        // 1. LINQ with constants EF inlines as SQL literals; tagged with the call site.
        var linqLine = 0;
        // Qty > 0: the 20 seeded rows, not the rows other tests insert (Qty = 0), so a re-run on the same cluster passes.
        for (var i = 0; i < 5; i++)
        {
            linqLine = Line();
            var rows = await ctx.Items.Where(x => x.Name != Email && x.Qty > 0 && x.Qty < 31337).TagWithCallSite().ToListAsync();
            Assert.Equal(20, rows.Count);
        }

        // 2. Raw SQL with literals, on a replica.
        for (var i = 0; i < 3; i++)
        {
            await ctx.Database.SqlQueryRaw<int>($"select count(*)::int as \"Value\" from probe_items where name = '{Password}' or qty = {Number}").ToListAsync();
        }

        // 3. A write with a literal (primary).
        await ctx.Database.ExecuteSqlRawAsync($"update probe_items set qty = qty where name = '{Token}'");

        // 4. A statement timeout (SQLSTATE 57014) with a literal in the text.
        await Assert.ThrowsAnyAsync<Exception>(() =>
            ctx.Database.SqlQueryRaw<int>($"select (pg_sleep(2) is null and {Card}::bigint > 0)::int as \"Value\"").ReadFromPrimary("timeout test").WithStatementTimeout(TimeSpan.FromMilliseconds(200)).ToListAsync());

        // 5. A blocked fingerprint, with another literal.
        await Assert.ThrowsAsync<QueryBlockedException>(() => ctx.Database.SqlQueryRaw<string>("select name as \"Value\" from probe_items where qty = 555000111").ToListAsync());

        await runtime.CheckReplicasNowAsync();
        var snapshot = Path.Combine(dir, "stats.json");
        await runtime.WriteStatisticsSnapshotAsync(snapshot);
        await Eventually.UntilAsync(() => File.Exists(periodic), "the periodic snapshot (300 ms interval) to be written", poll: TimeSpan.FromMilliseconds(50));
        await runtime.DisposeAsync(); // stops the snapshot loop (and writes a last one)

        // Lint output for the report's migration section (a literal in the script too).
        var script = Path.Combine(dir, "migration.sql");
        await File.WriteAllTextAsync(script, $"alter table users add column nick text default '{Email}';\nalter table users alter column nick set not null;\ncreate index ix_nick on users (nick);\n");
        var lintOut = new StringWriter();
        Assert.Equal(1, await CliApp.RunAsync(["lint", "--format", "json", script], lintOut, new StringWriter(), CancellationToken.None));
        var lintJson = Path.Combine(dir, "lint.json");
        await File.WriteAllTextAsync(lintJson, lintOut.ToString());

        var sarif = Path.Combine(ClusterFixture.RepoRoot, "tests", "PgDiscipline.IntegrationTests", "obj", "PgDiscipline.IntegrationTests.sarif");
        Assert.True(File.Exists(sarif), "the build's SARIF log is missing: " + sarif);
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(["report", snapshot, sarif, lintJson, "--out", dir, "--source-root", ClusterFixture.RepoRoot], output, error, CancellationToken.None);
        Assert.True(code == 0, error.ToString());

        using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(snapshot));
        return new Seeded(dir, snapshot, doc.RootElement.Clone(), linqLine, doc.RootElement.GetProperty("queries").EnumerateArray().Sum(q => q.GetProperty("calls").GetInt64()));
    }

    private static int Line([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line + 1;

    private static JsonElement Query(JsonElement root, Func<string, bool> normalized)
        => root.GetProperty("queries").EnumerateArray().Single(q => normalized(q.GetProperty("normalized").GetString()!));

    [Fact]
    public async Task Snapshot_counts_the_workload_and_the_outputs_hold_no_literal()
    {
        var s = await SeedAndReportAsync("stats");
        var root = s.Root;
        Assert.Equal("pgdiscipline.stats/v1", root.GetProperty("schema").GetString());
        string[] targets = ["primary", .. cluster.ReplicaNames()];
        Assert.Equal(targets, root.GetProperty("targets").EnumerateArray().Select(e => e.GetString()!).ToArray());

        var linq = Query(root, n => n.Contains("probe_items", StringComparison.Ordinal) && n.Contains("<>", StringComparison.Ordinal));
        Assert.Equal(5, linq.GetProperty("calls").GetInt64());
        Assert.Equal(100, linq.GetProperty("rows").GetInt64());
        Assert.Equal("LinqQuery", linq.GetProperty("source").GetString());
        var routing = linq.GetProperty("routing");
        Assert.Equal(5, cluster.ReplicaNames().Sum(r => routing.GetProperty(r).GetInt64()));
        Assert.Equal(0, routing.GetProperty("primary").GetInt64());
        var site = Assert.Single(linq.GetProperty("callSites").EnumerateArray());
        Assert.Equal($"tests/PgDiscipline.IntegrationTests/StatisticsReportTests.cs:{s.LinqLine}", site.GetProperty("site").GetString());
        Assert.Equal(5, site.GetProperty("calls").GetInt64());
        var p50 = linq.GetProperty("p50Ms").GetDouble();
        var p99 = linq.GetProperty("p99Ms").GetDouble();
        var max = linq.GetProperty("maxMs").GetDouble();
        Assert.True(p50 > 0 && p50 <= p99 && p99 <= max, $"p50 {p50} p99 {p99} max {max}");
        Assert.Equal(5, linq.GetProperty("buckets").EnumerateArray().Sum(b => b[1].GetInt64()));

        var raw = Query(root, n => n.StartsWith("select count", StringComparison.Ordinal));
        Assert.Equal(3, raw.GetProperty("calls").GetInt64());
        Assert.Equal("FromSqlQuery", raw.GetProperty("source").GetString());

        var write = Query(root, n => n.StartsWith("update probe_items", StringComparison.Ordinal));
        Assert.Equal(1, write.GetProperty("routing").GetProperty("primary").GetInt64());
        Assert.Equal("ExecuteSqlRaw", write.GetProperty("source").GetString());

        var timeout = Query(root, n => n.Contains("pg_sleep", StringComparison.Ordinal));
        Assert.Equal(1, timeout.GetProperty("calls").GetInt64());
        Assert.Equal(1, timeout.GetProperty("errorCount").GetInt64());
        Assert.Equal(1, timeout.GetProperty("errors").GetProperty("57014").GetInt64());

        var shed = Query(root, n => n.StartsWith("select name", StringComparison.Ordinal));
        Assert.Equal(1, shed.GetProperty("blocked").GetInt64());
        Assert.Equal(0, shed.GetProperty("calls").GetInt64());

        var replicas = root.GetProperty("replicas").EnumerateArray().ToList();
        Assert.Equal(2, replicas.Count);
        Assert.All(replicas, r => Assert.NotEmpty(r.GetProperty("lag").EnumerateArray()));

        // No literal anywhere: snapshot, periodic snapshot, HTML, Markdown.
        foreach (var file in new[] { s.Snapshot, Path.Combine(s.Dir, "periodic.json"), Path.Combine(s.Dir, "index.html"), Path.Combine(s.Dir, "report.md") })
        {
            var text = await File.ReadAllTextAsync(file);
            foreach (var secret in Secrets)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{Path.GetFileName(file)} contains the literal {secret}");
            }
        }

        var html = await File.ReadAllTextAsync(Path.Combine(s.Dir, "index.html"));
        var md = await File.ReadAllTextAsync(Path.Combine(s.Dir, "report.md"));
        Assert.Contains(linq.GetProperty("fingerprint").GetString()!, html, StringComparison.Ordinal);
        Assert.Contains(linq.GetProperty("fingerprint").GetString()!, md, StringComparison.Ordinal);
        Assert.Contains("57014", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        // This project's raw-SQL sites (PGD105 from its own SARIF log) and the lint findings are listed.
        Assert.Contains("PGD105", html, StringComparison.Ordinal);
        Assert.Contains("tests/PgDiscipline.IntegrationTests/StatisticsReportTests.cs:", html, StringComparison.Ordinal);
        Assert.Contains("PGD303", md, StringComparison.Ordinal);
        Assert.Contains("PGD304", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_produce_OpenTelemetry_database_spans_without_literals()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == PgDisciplineTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) { spans.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        await using var ctx = ProbeContext.Create(cluster.Primary, pg =>
        {
            pg.AddReplica(cluster.Replicas[0]);
            pg.Statistics.MaxFingerprints = 1999; // a runtime of its own
        });
        // The spans are the subject, not routing: wait until the replica is in rotation (an earlier test's writes may
        // still be replaying, or a restart left it without a commit replayed since).
        await cluster.ReplicasReplayedACommitAsync();
        var runtime = ctx.FindPgDisciplineRuntime()!;
        await Eventually.UntilAsync(async () =>
        {
            await runtime.CheckReplicasNowAsync();
            return runtime.Replicas[0].IsInRotation;
        }, "the replica in rotation", state: () => runtime.Replicas[0].Health.Status, poll: TimeSpan.FromMilliseconds(50));
        Assert.Equal(20, (await ctx.Items.Where(x => x.Name != Email && x.Qty > 0).ReadFromReplica().ToListAsync()).Count);
        await Assert.ThrowsAnyAsync<Exception>(() => ctx.Database.ExecuteSqlRawAsync($"select 1/0 where '{Token}' <> ''"));

        Activity read, failed;
        lock (spans)
        {
            read = spans.Single(a => a.GetTagItem("db.operation.name") as string == "SELECT" && a.GetTagItem("db.collection.name") as string == "probe_items");
            failed = spans.Single(a => a.GetTagItem("error.type") is not null);
        }

        Assert.Equal(ActivityKind.Client, read.Kind);
        Assert.Equal("SELECT probe_items", read.DisplayName);
        Assert.Equal("postgresql", read.GetTagItem("db.system.name"));
        Assert.Equal(cluster.ReplicaNames()[0], read.GetTagItem("pgdiscipline.target"));
        Assert.Equal(cluster.ReplicaPorts[0], read.GetTagItem("server.port"));
        Assert.DoesNotContain(Email, (string)read.GetTagItem("db.query.text")!, StringComparison.Ordinal);
        Assert.Equal("22012", failed.GetTagItem("db.response.status_code"));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Assert.DoesNotContain(Token, (string)failed.GetTagItem("db.query.text")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_renders_in_headless_chromium_with_its_sections_and_numbers()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "headless Chromium is needed for this test: apt-get install chromium (build/test.sh installs it)");
        var s = await SeedAndReportAsync("browser");
        var page = new Uri(Path.Combine(s.Dir, "index.html")).AbsoluteUri;
        var dom = await RunChromiumAsync(chromium!, ["--dump-dom", page]);
        Assert.Contains("data-report-ready=\"true\"", dom, StringComparison.Ordinal); // the inline script ran
        foreach (var (id, _) in new[] { ("summary", 0), ("top-total", 0), ("top-calls", 0), ("top-p99", 0), ("joins", 0), ("routing", 0), ("shed", 0), ("findings", 0), ("migrations", 0), ("raw-sql", 0), ("lag", 0) })
        {
            Assert.Contains($"<section id=\"{id}\">", dom, StringComparison.Ordinal);
        }

        Assert.Contains($"<div class=\"card\" id=\"card-calls\"><b>{s.TotalCalls}</b>", dom, StringComparison.Ordinal);
        Assert.Contains("<div class=\"card\" id=\"card-blocked\"><b>1</b>", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"lag-chart\"", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"routing-chart\"", dom, StringComparison.Ordinal);

        var shot = Path.Combine(ClusterFixture.RepoRoot, "artifacts", "report-screenshot.png");
        File.Delete(shot);
        await RunChromiumAsync(chromium!, ["--screenshot=" + shot, "--window-size=1400,2400", page]);
        Assert.True(File.Exists(shot) && new FileInfo(shot).Length > 10_000, "no screenshot written");
    }

    private static async Task<string> RunChromiumAsync(string chromium, string[] args)
    {
        // A profile of its own, removed afterwards (a fixed per-process name left one directory in /tmp per test run).
        var profile = Directory.CreateTempSubdirectory("pgd-chromium-");
        try
        {
            return await RunChromiumAsync(chromium, args, profile.FullName);
        }
        finally
        {
            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
                // chromium's helpers may still hold a file for a moment; the OS cleans /tmp.
            }
        }
    }

    private static async Task<string> RunChromiumAsync(string chromium, string[] args, string profile)
    {
        var psi = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check", "--virtual-time-budget=3000",
                     "--user-data-dir=" + profile, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, "chromium failed: " + await stderr);
        return await stdout;
    }
}
