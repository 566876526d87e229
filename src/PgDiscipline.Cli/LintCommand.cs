using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli;

/// <summary><c>pgdiscipline lint FILE.sql…</c>: the migration rules on SQL text (e.g. the output of <c>dotnet ef migrations script</c>).
/// Exit 0: no error-level finding; 1: at least one; 2: a file could not be read.</summary>
internal static class LintCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Build()
    {
        var files = new Argument<string[]>("files") { Description = "SQL migration scripts.", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "text | json | sarif", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "sarif");
        var closed = new Option<bool>("--closed-to-new-tables") { Description = "PGD311: report CREATE TABLE." };
        var noLockTimeout = new Option<bool>("--no-lock-timeout-check") { Description = "Do not require SET lock_timeout before DDL (PGD315)." };
        var command = new Command("lint", "Lint SQL migration scripts with the PGD3xx migration-safety rules.") { files, format, closed, noLockTimeout };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var options = new MigrationLintOptions { ClosedToNewTables = parse.GetValue(closed), RequireLockTimeout = !parse.GetValue(noLockTimeout) };
            var results = new List<(string File, LintFinding Finding)>();
            foreach (var file in parse.GetValue(files)!)
            {
                string text;
                try
                {
                    text = await File.ReadAllTextAsync(file, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    await error.WriteLineAsync($"pgdiscipline lint: cannot read '{file}': {ex.Message}").ConfigureAwait(false);
                    return 2;
                }

                results.AddRange(MigrationLint.Lint(text, options).Select(f => (file, f)));
            }

            switch (parse.GetValue(format))
            {
                case "json":
                    await output.WriteLineAsync(Json(results)).ConfigureAwait(false);
                    break;
                case "sarif":
                    await output.WriteLineAsync(Sarif(results)).ConfigureAwait(false);
                    break;
                default:
                    foreach (var (file, f) in results)
                    {
                        await output.WriteLineAsync($"{file}:{f.Line}:{f.Column}: {(f.Severity == LintSeverity.Error ? "error" : "warning")} {f.RuleId}: {f.Message}").ConfigureAwait(false);
                    }

                    var errors = results.Count(r => r.Finding.Severity == LintSeverity.Error);
                    await output.WriteLineAsync($"{results.Count} finding(s), {errors} error(s)").ConfigureAwait(false);
                    break;
            }

            return results.Any(r => r.Finding.Severity == LintSeverity.Error) ? 1 : 0;
        });
        return command;
    }

    private static string Json(List<(string File, LintFinding Finding)> results)
    {
        var array = new JsonArray();
        foreach (var (file, f) in results)
        {
            array.Add(new JsonObject
            {
                ["file"] = file,
                ["line"] = f.Line,
                ["column"] = f.Column,
                ["statement"] = f.StatementIndex,
                ["ruleId"] = f.RuleId,
                ["severity"] = f.Severity == LintSeverity.Error ? "error" : "warning",
                ["message"] = f.Message,
                ["helpUri"] = RuleIdentifiers.HelpLink(f.RuleId),
            });
        }

        return array.ToJsonString(Indented);
    }

    /// <summary>SARIF 2.1.0, so CI systems and the report command can consume lint results like compiler diagnostics.</summary>
    private static string Sarif(List<(string File, LintFinding Finding)> results)
    {
        var rules = new JsonArray();
        foreach (var id in results.Select(r => r.Finding.RuleId).Distinct().Order(StringComparer.Ordinal))
        {
            rules.Add(new JsonObject { ["id"] = id, ["helpUri"] = RuleIdentifiers.HelpLink(id) });
        }

        var sarifResults = new JsonArray();
        foreach (var (file, f) in results)
        {
            sarifResults.Add(new JsonObject
            {
                ["ruleId"] = f.RuleId,
                ["level"] = f.Severity == LintSeverity.Error ? "error" : "warning",
                ["message"] = new JsonObject { ["text"] = f.Message },
                ["locations"] = new JsonArray(new JsonObject
                {
                    ["physicalLocation"] = new JsonObject
                    {
                        ["artifactLocation"] = new JsonObject { ["uri"] = file.Replace('\\', '/') },
                        ["region"] = new JsonObject { ["startLine"] = f.Line, ["startColumn"] = f.Column },
                    },
                }),
            });
        }

        var sarif = new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject
                {
                    ["driver"] = new JsonObject { ["name"] = "pgdiscipline lint", ["version"] = CliApp.Version, ["rules"] = rules },
                },
                ["results"] = sarifResults,
            }),
        };
        return sarif.ToJsonString(Indented);
    }
}
