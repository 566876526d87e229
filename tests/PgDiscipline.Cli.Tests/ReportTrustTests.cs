using System.Text.RegularExpressions;

namespace PgDiscipline.Cli.Tests;

/// <summary>Issue 32, items 7 and 9: a report input is a file anyone could have written. Nulls, overflows, control
/// characters and an <c>--out</c> that is a file are bad input naming the file (exit 2, no stack trace); every cell of
/// report.md is escaped.</summary>
public sealed class ReportTrustTests : IDisposable
{
    private const string Head = """
        "schema": "pgdiscipline.stats/v1", "createdAt": "2026-12-06T10:00:00Z", "startedAt": "2026-12-06T09:00:00Z",
        "application": "app", "targets": ["primary"]
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("pgd-report-trust-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Query(string calls = "1", string fingerprint = "\"0123456789abcdef\"")
        => $$"""{ "fingerprint": {{fingerprint}}, "normalized": "SELECT 1", "kind": "select", "calls": {{calls}}, "buckets": [[0, 1]] }""";

    private async Task<(int Code, string Err)> Report(string name, string json)
    {
        var file = Path.Combine(_dir, name);
        await File.WriteAllTextAsync(file, json);
        var (code, _, err) = await CliRunner.Run("report", file, "--out", Path.Combine(_dir, "out-" + name));
        return (code, err);
    }

    [Theory]
    [InlineData("null-fingerprint.json", "\"queries\": [QUERY_NULL_FP]")]
    [InlineData("null-queries.json", "\"queries\": null")]
    [InlineData("null-histogram.json", "\"histogram\": null, \"queries\": []")]
    [InlineData("null-element.json", "\"queries\": [null]")]
    [InlineData("null-tables.json", "\"queries\": [{ \"fingerprint\": \"0123456789abcdef\", \"tables\": null }]")]
    [InlineData("negative.json", "\"queries\": [QUERY_NEGATIVE]")]
    [InlineData("too-big.json", "\"queries\": [QUERY_HUGE]")]
    public async Task A_snapshot_with_nulls_negatives_or_overflows_is_bad_input_naming_the_file(string name, string queries)
    {
        queries = queries.Replace("QUERY_NULL_FP", Query(fingerprint: "null"), StringComparison.Ordinal)
            .Replace("QUERY_NEGATIVE", Query(calls: "-1"), StringComparison.Ordinal)
            .Replace("QUERY_HUGE", Query(calls: "99999999999999999999"), StringComparison.Ordinal);
        var histogram = queries.Contains("\"histogram\"", StringComparison.Ordinal) ? "" : "\"histogram\": { \"unit\": \"us\", \"upperBounds\": [1000] }, ";
        var (code, err) = await Report(name, "{ " + Head + ", " + histogram + queries + " }");
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Contains(name, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counts_near_long_max_in_two_snapshots_overflow_into_bad_input_not_a_negative_total()
    {
        var json = "{ " + Head + ", \"histogram\": { \"unit\": \"us\", \"upperBounds\": [1000] }, \"queries\": [" + Query(calls: long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)) + "] }";
        var first = Path.Combine(_dir, "a.json");
        var second = Path.Combine(_dir, "b.json");
        await File.WriteAllTextAsync(first, json);
        await File.WriteAllTextAsync(second, json);
        var (code, _, err) = await CliRunner.Run("report", first, second, "--out", Path.Combine(_dir, "out-overflow"));
        Assert.Equal(2, code);
        Assert.Contains("b.json", err, StringComparison.Ordinal);
        Assert.Contains("64-bit", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sarif_uri_with_a_nul_is_bad_input_naming_the_file()
    {
        var (code, err) = await Report("nul.sarif", """
            { "version": "2.1.0", "runs": [ { "tool": { "driver": { "name": "csc" } }, "results": [
              { "ruleId": "PGD101", "level": "warning", "message": { "text": "x" },
                "locations": [ { "physicalLocation": { "artifactLocation": { "uri": "/src/a\u0000b.cs" }, "region": { "startLine": 3 } } } ] } ] } ] }
            """);
        Assert.Equal(2, code);
        Assert.Contains("nul.sarif", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Out_on_an_existing_file_is_bad_input()
    {
        var input = Path.Combine(_dir, "ok.json");
        await File.WriteAllTextAsync(input, "[]");
        var file = Path.Combine(_dir, "a-file");
        await File.WriteAllTextAsync(file, "keep me");
        var (code, _, err) = await CliRunner.Run("report", input, "--out", file);
        Assert.Equal(2, code);
        Assert.Contains("--out", err, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task Every_cell_of_report_md_is_escaped()
    {
        var status = Path.Combine(_dir, "evil-backfills.json");
        await File.WriteAllTextAsync(status, """
            { "schema": "pgdiscipline.backfills/v1", "createdAt": "2026-12-06T11:00:00Z", "backfills": [
                { "name": "<img src=x onerror=alert(1)>|extra|cells", "table": "[click](javascript:alert(1))", "keyColumn": "id",
                  "state": "**done**\n# heading", "pauseReason": "`code` <b>", "rowsDone": 1, "pauses": { "a|b": 1 }, "updatedAt": "2026-12-06T10:45:00Z" } ] }
            """);
        var sarif = Path.Combine(_dir, "evil.sarif");
        await File.WriteAllTextAsync(sarif, """
            { "version": "2.1.0", "runs": [ { "tool": { "driver": { "name": "csc" } }, "results": [
              { "ruleId": "PGD101](javascript:alert(1))", "level": "warning", "message": { "text": "<script>alert(1)</script> [x](http://evil)" },
                "locations": [ { "physicalLocation": { "artifactLocation": { "uri": "src/`a|b`.cs" }, "region": { "startLine": 3 } } } ] } ] } ] }
            """);
        var outDir = Path.Combine(_dir, "out-evil");
        var (code, _, err) = await CliRunner.Run("report", status, sarif, "--out", outDir);
        Assert.True(code == 0, err);
        var md = await File.ReadAllTextAsync(Path.Combine(outDir, "report.md"));
        Assert.DoesNotContain("<img", md, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", md, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", md, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?<!\\)\]\((javascript|http://evil)", md); // a link needs an unescaped "]("
        Assert.DoesNotContain("\n# heading", md, StringComparison.Ordinal);
        var row = md.Split('\n').Single(l => l.Contains("onerror", StringComparison.Ordinal));
        Assert.Equal(9, Regex.Matches(row, @"(?<!\\)\|").Count); // 8 columns: the name's pipes do not add cells
    }
}
