namespace PgDiscipline.Cli.Tests;

public sealed class ReportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgd-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_unrecognised_input_exits_2_naming_the_file_and_writes_nothing()
    {
        var bogus = Path.Combine(_dir, "bogus.json");
        await File.WriteAllTextAsync(bogus, """{ "hello": "world" }""");
        var (code, _, err) = await CliRunner.Run("report", bogus, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(2, code);
        Assert.Contains("bogus.json", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "out", "index.html")));

        await File.WriteAllTextAsync(bogus, "not json at all");
        (code, _, err) = await CliRunner.Run("report", bogus, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(2, code);
        Assert.StartsWith("pgdiscipline report:", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sarif_1_0_and_2_1_findings_are_read_with_relative_paths_and_suppressed_ones_are_counted()
    {
        var root = Path.Combine(_dir, "repo");
        var file = Path.Combine(root, "src", "Orders.cs");
        var v1 = Path.Combine(_dir, "v1.sarif");
        await File.WriteAllTextAsync(v1, $$"""
            { "version": "1.0.0", "runs": [ { "tool": { "name": "Microsoft (R) Visual C# Compiler" }, "results": [
              { "ruleId": "PGD101", "level": "warning", "message": "This query makes 4 joins (more than the 3 allowed)",
                "locations": [ { "resultFile": { "uri": "{{new Uri(file).AbsoluteUri}}", "region": { "startLine": 12 } } } ] },
              { "ruleId": "CS0168", "level": "warning", "message": "The variable 'secret' is declared but never used" } ] } ] }
            """);
        var v21 = Path.Combine(_dir, "v21.sarif");
        await File.WriteAllTextAsync(v21, $$"""
            { "version": "2.1.0", "runs": [ { "tool": { "driver": { "name": "csc" } }, "results": [
              { "ruleId": "PGD304", "level": "warning", "message": { "text": "CreateIndex on existing table" },
                "locations": [ { "physicalLocation": { "artifactLocation": { "uri": "{{new Uri(file).AbsoluteUri}}" }, "region": { "startLine": 30 } } } ] },
              { "ruleId": "PGD103", "level": "warning", "message": { "text": "loop" }, "suppressions": [ { "kind": "inSource" } ] } ] } ] }
            """);
        var outDir = Path.Combine(_dir, "out");
        var (code, stdout, err) = await CliRunner.Run("report", v1, v21, "--out", outDir, "--source-root", root);
        Assert.True(code == 0, err);
        Assert.Contains("2 findings", stdout, StringComparison.Ordinal);
        var md = await File.ReadAllTextAsync(Path.Combine(outDir, "report.md"));
        Assert.Contains("`src/Orders.cs:12` This query makes 4 joins", md, StringComparison.Ordinal);
        Assert.Contains("`src/Orders.cs:30`", md, StringComparison.Ordinal);
        Assert.Contains("| Analyzer findings | 1 (1 suppressed) |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("CS0168", md, StringComparison.Ordinal);
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "index.html"));
        Assert.Contains("No runtime statistics given", html, StringComparison.Ordinal);
        Assert.DoesNotContain(root, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coalesced_reads_show_per_fingerprint_with_the_executions_they_saved()
    {
        var snapshot = Path.Combine(_dir, "stats.json");
        await File.WriteAllTextAsync(snapshot, """
            { "schema": "pgdiscipline.stats/v1", "createdAt": "2026-11-29T15:00:00Z", "startedAt": "2026-11-29T14:00:00Z",
              "application": "chat", "targets": ["primary", "replica1"], "histogram": { "unit": "us", "upperBounds": [1000, 10000] },
              "queries": [
                { "fingerprint": "0123456789abcdef", "normalized": "SELECT * FROM profiles WHERE user_id = $1", "kind": "select",
                  "calls": 50, "routing": { "primary": 0, "replica1": 1 }, "coalescedReads": 49, "coalescedFlights": 1,
                  "coalescedRanOwn": 0, "coalescedWaitMs": 245.5, "buckets": [[1, 50]] },
                { "fingerprint": "fedcba9876543210", "normalized": "SELECT * FROM messages WHERE id = $1", "kind": "select",
                  "calls": 10, "routing": { "primary": 0, "replica1": 10 }, "buckets": [[0, 10]] } ] }
            """);
        var outDir = Path.Combine(_dir, "out-coalesced");
        var (code, _, err) = await CliRunner.Run("report", snapshot, "--out", outDir);
        Assert.True(code == 0, err);
        var md = await File.ReadAllTextAsync(Path.Combine(outDir, "report.md"));
        Assert.Contains("| Coalesced reads (server executions saved) | 49 |", md, StringComparison.Ordinal);
        Assert.Contains("| `0123456789abcdef` | `SELECT * FROM profiles WHERE user_id = $1` | 50 | 49 | 1 | 49 | 0 | 5.0 |", md, StringComparison.Ordinal);
        var section = md[md.IndexOf("## Coalesced reads", StringComparison.Ordinal)..];
        Assert.DoesNotContain("fedcba9876543210", section, StringComparison.Ordinal); // never coalesced: not listed
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "index.html"));
        Assert.Contains("Server executions saved: <b>49</b>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backfills_from_a_snapshot_and_a_status_document_show_their_latest_state_rate_pauses_and_lag()
    {
        var snapshot = Path.Combine(_dir, "stats-backfill.json");
        await File.WriteAllTextAsync(snapshot, """
            { "schema": "pgdiscipline.stats/v1", "createdAt": "2026-12-06T10:00:00Z", "startedAt": "2026-12-06T09:00:00Z",
              "application": "app", "targets": ["primary"], "histogram": { "unit": "us", "upperBounds": [1000] }, "queries": [],
              "backfills": [
                { "name": "users-email", "table": "users", "keyColumn": "id", "state": "running", "rowsDone": 1000, "rowsEstimate": 5000,
                  "rowsPerSecond": 250, "pauses": {}, "pausedSeconds": 0, "elapsedSeconds": 4, "updatedAt": "2026-12-06T09:30:00Z" } ] }
            """);
        var status = Path.Combine(_dir, "backfills.json");
        await File.WriteAllTextAsync(status, """
            { "schema": "pgdiscipline.backfills/v1", "createdAt": "2026-12-06T11:00:00Z", "backfills": [
                { "name": "users-email", "table": "users", "keyColumn": "id", "state": "done", "rowsDone": 5000, "rowsEstimate": 5000,
                  "rowsPerSecond": 240.4, "pauses": { "replica_lag": 3, "requested": 1 }, "pausedSeconds": 12.5, "elapsedSeconds": 33,
                  "maxReplicaLagSeconds": 1.25, "updatedAt": "2026-12-06T10:45:00Z" } ] }
            """);
        var outDir = Path.Combine(_dir, "out-backfill");
        var (code, _, err) = await CliRunner.Run("report", snapshot, status, "--out", outDir);
        Assert.True(code == 0, err);
        var md = await File.ReadAllTextAsync(Path.Combine(outDir, "report.md"));
        Assert.Contains(@"| users-email | users | done | 5000 / 5000 | 240 | 12.5 | replica\_lag × 3, requested × 1 | 1.25 s |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("| running |", md, StringComparison.Ordinal); // the newer state wins
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "index.html"));
        Assert.Contains("<section id=\"backfills\"><h2>Backfills</h2>", html, StringComparison.Ordinal);
        Assert.Contains(System.Net.WebUtility.HtmlEncode("replica_lag × 3, requested × 1"), html, StringComparison.Ordinal);
    }
}
