using System.Diagnostics;
using System.Text.Json;
using PgDiscipline.Cli;
using PgDiscipline.Testing;
using Xunit.Abstractions;
using PgDiscipline.Operations;

namespace PgDiscipline.IntegrationTests;

/// <summary>
/// The Native AOT build of the CLI (build/publish-aot.sh, run by build/test.sh, which sets PGD_AOT_BINARY) against the
/// JIT build run in-process and against the real cluster: trimming must not change what it prints or break its Npgsql paths.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AotCliTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly Lazy<string> Binary = new(FindOrPublish);

    private static string FindOrPublish()
    {
        if (Environment.GetEnvironmentVariable("PGD_AOT_BINARY") is { Length: > 0 } given)
        {
            Assert.True(File.Exists(given), $"PGD_AOT_BINARY={given} does not exist");
            return given;
        }

        // Run on their own (not from build/test.sh): publish it once.
        var (code, text) = ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.RepoRoot, "build", "publish-aot.sh")]).GetAwaiter().GetResult();
        Assert.True(code == 0, text);
        return Path.Combine(RepoPaths.RepoRoot, "artifacts", "aot", "pgdiscipline");
    }

    private static async Task<(int Code, string Out, string Err, TimeSpan Took)> Aot(string? workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(Binary.Value) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? RepoPaths.RepoRoot };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var sw = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr, sw.Elapsed);
    }

    private static async Task<(int Code, string Out)> Jit(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString());
    }

    [Fact]
    public async Task The_native_binary_lints_exactly_like_the_tool_in_every_format()
    {
        var corpus = Directory.GetFiles(Path.Combine(RepoPaths.RepoRoot, "tests", "migration-corpus"), "*.sql").Order().ToArray();
        foreach (var format in new[] { "text", "json", "sarif", "github", "gitlab" })
        {
            var (code, text, err, _) = await Aot(null, ["lint", "--no-config", "--format", format, .. corpus]);
            var (jitCode, jitText) = await Jit(["lint", "--no-config", "--format", format, .. corpus]);
            Assert.True(code == jitCode, $"{format}: exit {code} vs {jitCode}: {err}");
            Assert.Equal(jitText.Replace(CliApp.Version, "VERSION", StringComparison.Ordinal), text.Replace(CliApp.Version, "VERSION", StringComparison.Ordinal));
        }

        var (v, version, _, _) = await Aot(null, "--version");
        Assert.Equal(0, v);
        Assert.Equal(CliApp.Version, version.Trim());

        // Per-file cost, as a pre-commit hook calls it (measured, not asserted: see docs/benchmarks.md).
        var times = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            times.Add((await Aot(null, "lint", "--no-config", corpus[0])).Took.TotalMilliseconds);
        }

        output.WriteLine($"native lint of one file: median {times.Order().ElementAt(5):0} ms (wall clock, including process start)");
    }

    [Fact]
    public async Task The_native_binary_reads_its_configuration_file_up_the_tree()
    {
        var dir = Directory.CreateTempSubdirectory("pgd-aot-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "pgdiscipline.lint.json"), """{ "pgVersion": 10, "exclude": ["PGD315"] }""");
            var nested = Directory.CreateDirectory(Path.Combine(dir, "migrations")).FullName;
            await File.WriteAllTextAsync(Path.Combine(nested, "1.sql"), "ALTER TABLE t ADD COLUMN c int DEFAULT 1;");
            var (code, text, _, _) = await Aot(nested, "lint", "1.sql");
            Assert.Equal(1, code);
            Assert.Contains("error PGD302", text, StringComparison.Ordinal); // pgVersion 10 from the file
            Assert.DoesNotContain("PGD315", text, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_native_binary_talks_to_postgresql_doctor_rules_and_backfill()
    {
        var (code, json, err, _) = await Aot(null, "doctor", "--format", "json", "--connection", cluster.Primary, "--replica", cluster.Replicas[0], "--replica", cluster.Replicas[1]);
        Assert.True(code is 0 or 1, err);
        var checks = JsonDocument.Parse(json).RootElement.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal("ok", checks.Single(c => c.GetProperty("check").GetString() == "primary").GetProperty("status").GetString());
        Assert.Equal("ok", checks.Single(c => c.GetProperty("check").GetString() == "topology").GetProperty("status").GetString());

        (code, var rules, err, _) = await Aot(null, "rules", "list", "--connection", cluster.Primary);
        Assert.True(code == 0, err);
        Assert.Contains("rule(s)", rules, StringComparison.Ordinal);

        await ClusterFixture.ScalarAsync(cluster.Primary, PgDiscipline.Operations.BackfillTable.CreateSql);
        await ClusterFixture.ScalarAsync(cluster.Primary, """
            drop table if exists bf_aot;
            create table bf_aot (id uuid primary key, n int not null default 0);
            insert into bf_aot (id) select gen_random_uuid() from generate_series(1, 3000);
            delete from pgdiscipline.backfills where name = 'bf-aot';
            """);
        (code, var run, err, _) = await Aot(null, "backfill", "run", "bf-aot", "--connection", cluster.Primary, "--table", "bf_aot", "--key", "id",
            "--sql", "update bf_aot set n = n + 1 where id between :lower and :upper", "--batch-size", "500", "--replica", cluster.Replicas[0]);
        Assert.True(code == 0, run + err);
        Assert.Contains("backfill bf-aot: done, 3,000 rows,", run, StringComparison.Ordinal); // never analyzed: no size estimate
        Assert.Equal(3000L, await ClusterFixture.ScalarAsync(cluster.Primary, "select count(*) from bf_aot where n = 1"));
        (code, var status, _, _) = await Aot(null, "backfill", "status", "bf-aot", "--format", "json", "--connection", cluster.Primary);
        Assert.Equal(0, code);
        Assert.Equal("done", JsonDocument.Parse(status).RootElement.GetProperty("backfills")[0].GetProperty("state").GetString());
        await ClusterFixture.ScalarAsync(cluster.Primary, "drop table bf_aot");
        var position = (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_current_wal_lsn()::text"))!;
        foreach (var replica in cluster.Replicas)
        {
            await ClusterFixture.WaitReplayedAsync(replica, position, TimeSpan.FromSeconds(60)); // the next test class starts caught up
        }
    }
}
