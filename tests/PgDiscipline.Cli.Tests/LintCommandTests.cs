using System.Text.Json;
using PgDiscipline.Cli;

namespace PgDiscipline.Cli.Tests;

public sealed class LintCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pgd-lint-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string sql)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, sql);
        return path;
    }

    private static Task<(int Code, string Out, string Err)> Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public async Task Text_output_and_exit_code_1_on_an_error_level_finding()
    {
        var file = Write("m.sql", "SET lock_timeout = '5s';\nCREATE INDEX ix ON messages (author_id);\n");
        var (code, output, _) = await Run("lint", file);
        Assert.Equal(1, code);
        Assert.Contains($"{file}:2:1: error PGD304:", output, StringComparison.Ordinal);
        Assert.Contains("1 finding(s), 1 error(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Warnings_only_exit_0()
    {
        var file = Write("w.sql", "SET lock_timeout = '5s';\nALTER TABLE users RENAME COLUMN mail TO email;\n");
        var (code, output, _) = await Run("lint", file);
        Assert.Equal(0, code);
        Assert.Contains("warning PGD309", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_and_sarif_formats()
    {
        var file = Write("m.sql", "SET lock_timeout = '5s';\nDROP INDEX ix;\n");
        var (code, json, _) = await Run("lint", file, "--format", "json");
        Assert.Equal(1, code);
        var finding = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal("PGD305", finding.GetProperty("ruleId").GetString());
        Assert.Equal(2, finding.GetProperty("line").GetInt32());

        (code, var sarif, _) = await Run("lint", file, "--format", "sarif");
        Assert.Equal(1, code);
        var run = JsonDocument.Parse(sarif).RootElement.GetProperty("runs")[0];
        Assert.Equal("2.1.0", JsonDocument.Parse(sarif).RootElement.GetProperty("version").GetString());
        var result = run.GetProperty("results")[0];
        Assert.Equal("PGD305", result.GetProperty("ruleId").GetString());
        Assert.Equal("error", result.GetProperty("level").GetString());
        Assert.Equal(2, result.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32());
    }

    [Fact]
    public async Task Unreadable_input_exits_2_naming_the_file()
    {
        var missing = Path.Combine(_dir, "missing.sql");
        var (code, _, error) = await Run("lint", missing);
        Assert.Equal(2, code);
        Assert.Contains(missing, error, StringComparison.Ordinal);
    }
}
