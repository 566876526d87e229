using System.Reflection;
using PgDiscipline.Cli.Commands;
using PgDiscipline.Operations.Rules;

namespace PgDiscipline.Cli.Tests;

/// <summary>Issue 32, items 6, 7 and 8, without a database: bad input is refused with exit 2 naming it — before anything
/// connects — never with a stack trace and never repeating a value that could be a secret.</summary>
public sealed class HostileInputTests : IDisposable
{
    // Nothing listens on port 1: a command that got as far as connecting would exit 3, not 2.
    private const string Nowhere = "Host=127.0.0.1;Port=1;Username=u;Password=hunter2;Timeout=1";
    private readonly string _dir = Directory.CreateTempSubdirectory("pgd-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Clean(string err, params string[] secrets)
    {
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain("Exception:", err, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, err, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("1e-300")]
    [InlineData("1e12")]
    public async Task Rules_limit_refuses_a_rate_every_instance_would_reject(string perSecond)
    {
        var (code, _, err) = await CliRunner.Run("rules", "limit", "0123456789abcdef", "--per-second", perSecond, "--reason", "x", "--connection", Nowhere);
        Assert.Equal(2, code);
        Assert.Contains("--per-second", err, StringComparison.Ordinal);
        Clean(err, "hunter2");
    }

    [Theory]
    [InlineData("--max-queue-ms", "-5", "--max-queue-ms")]
    [InlineData("--expires", "-00:05:00", "--expires must be positive")]
    [InlineData("--expires", "3650000.00:00:00", "--expires is too far away")] // used to print "invalid --connection"
    [InlineData("--id", "evil\tid", "--id must be")]
    [InlineData("--id", "evil\nforged\trow", "--id must be")]
    public async Task Rules_refuse_values_the_runtime_rejects_before_connecting(string option, string value, string expected)
    {
        var (code, _, err) = await CliRunner.Run("rules", "limit", "0123456789abcdef", "--per-second", "5", "--reason", "x", option, value, "--connection", Nowhere);
        Assert.Equal(2, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Clean(err, "hunter2");
    }

    [Fact]
    public async Task An_unreachable_database_is_exit_3_for_every_command_and_never_echoes_the_password()
    {
        foreach (var args in new[]
        {
            new[] { "rules", "list" }, ["rules", "block", "0123456789abcdef", "--reason", "x"], ["rules", "unblock", "x"],
            ["doctor"], ["backfill", "status"], ["backfill", "pause", "x"], ["backfill", "run", "x"],
        })
        {
            var (code, stdout, err) = await CliRunner.Run([.. args, "--connection", Nowhere]);
            Assert.True(code == 3, $"{string.Join(' ', args)}: exit {code}: {err}{stdout}");
            Clean(err + stdout, "hunter2");
        }
    }

    [Theory]
    [InlineData("Host=h;Port=s3cr3t-value")] // FormatException quoting the value
    [InlineData("Host=h;Port=99999")]
    [InlineData("Host=h;Password=s3cr3t-value;Bogus=1")]
    [InlineData("Password=s3cr3t-value")] // no host
    public async Task A_bad_replica_or_connection_string_is_exit_2_naming_the_option_and_no_value(string connectionString)
    {
        foreach (var args in new[]
        {
            new[] { "backfill", "run", "bf", "--connection", Nowhere, "--replica", connectionString },
            ["doctor", "--connection", Nowhere, "--replica", connectionString],
            ["rules", "list", "--connection", connectionString],
            ["backfill", "status", "--connection", connectionString],
        })
        {
            var (code, _, err) = await CliRunner.Run(args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}: {err}");
            Assert.Contains(args.Contains("--replica") ? "--replica #1" : "--connection", err, StringComparison.Ordinal);
            Clean(err, "s3cr3t", "99999", "hunter2");
        }
    }

    [Fact]
    public async Task A_missing_sql_file_is_exit_2_naming_it()
    {
        var missing = Path.Combine(_dir, "nope.sql");
        var (code, _, err) = await CliRunner.Run("backfill", "run", "bf", "--table", "t", "--key", "id", "--sql-file", missing, "--connection", Nowhere);
        Assert.Equal(2, code);
        Assert.Contains("nope.sql", err, StringComparison.Ordinal);
        Clean(err, "hunter2");
    }

    [Fact]
    public async Task Parse_errors_are_bad_input_and_a_connection_string_given_as_an_argument_is_not_repeated()
    {
        var (code, _, err) = await CliRunner.Run("backfill", "run", "bf", "--batch-size", "lots", "--connection", Nowhere);
        Assert.Equal(2, code);
        Assert.Contains("--batch-size", err, StringComparison.Ordinal);
        (code, _, err) = await CliRunner.Run("rules", "list", "Host=db;Password=hunter2");
        Assert.Equal(2, code);
        Clean(err, "hunter2");
    }

    [Fact]
    public void Rules_list_escapes_every_field_so_a_row_cannot_forge_another()
    {
        var row = DatabaseRuleRows.Parse(["evil\tid\n0000000000000000\tfingerprint:x", "fingerprint", "0123456789abcdef", "Block", "why\nnot", null, null, null, null, null, null, null]);
        var line = RulesListCommand.Line(row);
        Assert.DoesNotContain('\n', line);
        Assert.Equal(6, line.Split('\t').Length);
        Assert.StartsWith(@"evil\tid\n0000000000000000\tfingerprint:x", line, StringComparison.Ordinal);

        var rejected = RulesListCommand.Line(DatabaseRuleRows.Parse(["far", "fingerprint", "0123456789abcdef", "Block", "", null, null, null, null, null, null, "253402300800.000000"]));
        Assert.Contains("(rejected: pgdiscipline.query_rules[id=far]: expires_at", rejected, StringComparison.Ordinal);
    }

    [Fact]
    public void The_exit_code_table_in_docs_is_the_one_in_code()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "PgDiscipline.sln")))
        {
            root = root.Parent;
        }

        var doc = File.ReadAllText(Path.Combine(root!.FullName, "docs", "cli.md"));
        foreach (var field in typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            Assert.Contains($"| {field.GetValue(null)} | `{field.Name}` |", doc, StringComparison.Ordinal);
        }
    }
}
