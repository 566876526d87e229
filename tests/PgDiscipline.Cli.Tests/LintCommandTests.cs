using System.Text.Json;
using PgDiscipline.Cli;
using PgDiscipline.Cli.Lint;

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

    [Fact]
    public async Task Pg_version_and_assume_in_transaction_change_the_verdict()
    {
        var file = Write("v.sql", "SET lock_timeout = '5s';\nALTER TABLE t ADD COLUMN c int DEFAULT 10;\nCREATE INDEX CONCURRENTLY ix ON t (c);\n");
        Assert.Equal(0, (await Run("lint", file)).Code);
        var (code, output, _) = await Run("lint", file, "--pg-version", "10", "--assume-in-transaction");
        Assert.Equal(1, code);
        Assert.Contains("error PGD302", output, StringComparison.Ordinal);
        Assert.Contains("error PGD314", output, StringComparison.Ordinal);
        var (bad, _, err) = await Run("lint", file, "--pg-version", "95");
        Assert.Equal(2, bad);
        Assert.Contains("--pg-version 95", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fail_on_include_and_exclude()
    {
        var file = Write("f.sql", "ALTER TABLE users RENAME COLUMN mail TO email;\n");
        var (code, output, _) = await Run("lint", file); // PGD309 (warning) and PGD315 (warning)
        Assert.Equal(0, code);
        Assert.Contains("2 finding(s), 0 error(s)", output, StringComparison.Ordinal);
        Assert.Equal(1, (await Run("lint", file, "--fail-on", "warning")).Code);
        (code, output, _) = await Run("lint", file, "--fail-on", "warning", "--exclude", "PGD309,PGD315");
        Assert.Equal(0, code);
        Assert.Contains("0 finding(s)", output, StringComparison.Ordinal);
        (_, output, _) = await Run("lint", file, "--include", "PGD315");
        Assert.DoesNotContain("PGD309", output, StringComparison.Ordinal);
        var (bad, _, err) = await Run("lint", file, "--exclude", "PGD999");
        Assert.Equal(2, bad);
        Assert.Contains("'PGD999' is not a rule id", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configuration_file_sets_version_rules_severities_and_fail_on_and_options_override_it()
    {
        var config = Write(LintConfig.FileName, """
            // comments and trailing commas are fine
            { "pgVersion": 10, "exclude": ["PGD315"], "severities": { "PGD309": "error" }, "failOn": "warning", }
            """);
        var file = Write("c.sql", "ALTER TABLE users RENAME COLUMN mail TO email;\nALTER TABLE t ADD COLUMN c int DEFAULT 1;\n");
        var (code, output, _) = await Run("lint", file, "--config", config);
        Assert.Equal(1, code);
        Assert.Contains("error PGD309", output, StringComparison.Ordinal);
        Assert.Contains("error PGD302", output, StringComparison.Ordinal); // pgVersion 10: a constant default rewrites
        Assert.DoesNotContain("PGD315", output, StringComparison.Ordinal);
        (code, output, _) = await Run("lint", file, "--config", config, "--pg-version", "15", "--fail-on", "none");
        Assert.Equal(0, code);
        Assert.DoesNotContain("PGD302", output, StringComparison.Ordinal);

        // Found from a nested directory up the tree.
        var nested = Directory.CreateDirectory(Path.Combine(_dir, "db", "migrations")).FullName;
        Assert.Equal(config, LintConfig.Find(nested));

        var broken = Write("broken.json", """{ "pgVersion": 10, "severities": { "PGD309": "loud" }, "nope": 1 }""");
        var (bad, _, err) = await Run("lint", file, "--config", broken);
        Assert.Equal(2, bad);
        Assert.Contains("broken.json", err, StringComparison.Ordinal);
        var unknownRule = Write("rules.json", """{ "exclude": ["PGD104"], "severities": { "PGD309": "loud" } }""");
        (bad, _, err) = await Run("lint", file, "--config", unknownRule);
        Assert.Equal(2, bad);
        Assert.Contains("'PGD104' is not a migration rule", err, StringComparison.Ordinal);
        Assert.Contains("severities.PGD309: 'loud'", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitHub_annotations_and_GitLab_code_quality()
    {
        var file = Write("g.sql", "SET lock_timeout = '5s';\nCREATE INDEX ix ON messages (author_id);\n");
        var (code, github, _) = await Run("lint", file, "--format", "github");
        Assert.Equal(1, code);
        var line = Assert.Single(github.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"::error file={file.Replace(":", "%3A", StringComparison.Ordinal)},line=2,col=1,title=PGD304 ", line, StringComparison.Ordinal);
        Assert.Contains("::CREATE INDEX on existing table messages", line, StringComparison.Ordinal);

        (_, var gitlab, _) = await Run("lint", file, "--format", "gitlab");
        var issue = Assert.Single(JsonDocument.Parse(gitlab).RootElement.EnumerateArray());
        Assert.Equal("PGD304", issue.GetProperty("check_name").GetString());
        Assert.Equal("major", issue.GetProperty("severity").GetString());
        Assert.Equal(2, issue.GetProperty("location").GetProperty("lines").GetProperty("begin").GetInt32());
        Assert.Matches("^[0-9a-f]{16}$", issue.GetProperty("fingerprint").GetString()!);
        (_, var again, _) = await Run("lint", file, "--format", "gitlab");
        Assert.Equal(gitlab, again); // stable fingerprints
    }

    [Fact]
    public async Task Syntax_errors_are_findings_and_fail_the_run()
    {
        var file = Write("s.sql", "ALTER TABLE t ADD COLUMN;\nSELEC 1;\n");
        var (code, output, _) = await Run("lint", file);
        Assert.Equal(1, code);
        Assert.Contains($"{file}:1:", output, StringComparison.Ordinal);
        Assert.Contains($"{file}:2:1: error PGD317: Syntax error: a statement cannot start with 'SELEC'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scripts_given_in_order_know_the_column_types_earlier_ones_declared()
    {
        var first = Write("001_create.sql", "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(100));\n");
        var second = Write("002_widen.sql", "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN email TYPE varchar(200);\n");
        Assert.Equal(0, (await Run("lint", "--no-config", first, second)).Code);
        var (alone, output, _) = await Run("lint", "--no-config", second); // on its own the old type is unknown
        Assert.Equal(1, alone);
        Assert.Contains("PGD301", output, StringComparison.Ordinal);
        Assert.Equal(1, (await Run("lint", "--no-config", "--each-file-alone", first, second)).Code);
    }

    [Fact]
    public async Task A_directory_is_linted_as_one_history_of_its_up_migrations_in_path_order()
    {
        // Issue 34: `pgdiscipline lint DIR` exited 2 with "Access to the path … is denied".
        Directory.CreateDirectory(Path.Combine(_dir, "migrations", "2024-01-02_widen"));
        Directory.CreateDirectory(Path.Combine(_dir, "migrations", "2024-01-01_create"));
        Write(Path.Combine("migrations", "2024-01-01_create", "up.sql"), "CREATE TABLE person (id bigint PRIMARY KEY, name varchar(20));\n");
        Write(Path.Combine("migrations", "2024-01-01_create", "down.sql"), "DROP TABLE person;\n");
        Write(Path.Combine("migrations", "2024-01-02_widen", "up.sql"), "SET lock_timeout = '5s';\nALTER TABLE person ALTER COLUMN name TYPE varchar(40);\nCREATE INDEX ix ON person (name);\n");
        var (code, output, error) = await Run("lint", Path.Combine(_dir, "migrations"));
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, error);
        Assert.DoesNotContain("PGD301", output, StringComparison.Ordinal); // the type came from the earlier file
        Assert.DoesNotContain("PGD310", output, StringComparison.Ordinal); // down.sql is not part of the history
        Assert.Contains("up.sql:3:1: error PGD304", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Globs_are_expanded_when_the_shell_did_not()
    {
        Write("001.up.sql", "SET lock_timeout = '5s';\nDROP INDEX ix;\n");
        Write("001.down.sql", "CREATE INDEX ix ON t (c);\n");
        var (code, output, _) = await Run("lint", Path.Combine(_dir, "*.up.sql"));
        Assert.Equal(1, code);
        Assert.Contains("001.up.sql:2:1: error PGD305", output, StringComparison.Ordinal);
        Assert.DoesNotContain("down", output, StringComparison.Ordinal);
        (code, output, _) = await Run("lint", Path.Combine(_dir, "**", "*.up.sql"));
        Assert.Equal(1, code);
        Assert.Contains("PGD305", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_path_or_an_empty_glob_is_bad_input()
    {
        var (code, _, error) = await Run("lint", Path.Combine(_dir, "nope.sql"));
        Assert.Equal(2, code);
        Assert.Contains("no such file or directory", error, StringComparison.Ordinal);
        (code, _, error) = await Run("lint", Path.Combine(_dir, "*.nothing"));
        Assert.Equal(2, code);
        Assert.Contains("no file matches", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_off_by_default_are_turned_on_by_enable()
    {
        var file = Write("s.sql", "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN nick text;\n");
        var (code, output, _) = await Run("lint", file);
        Assert.Equal(0, code);
        Assert.DoesNotContain("PGD334", output, StringComparison.Ordinal);
        (code, output, _) = await Run("lint", file, "--enable", "PGD334,PGD322");
        Assert.Equal(0, code); // info and warning findings only
        Assert.Contains("info PGD334", output, StringComparison.Ordinal);
        Assert.Contains("warning PGD322", output, StringComparison.Ordinal);
        (code, _, _) = await Run("lint", file, "--enable", "PGD334", "--fail-on", "info");
        Assert.Equal(1, code);
    }
}
