using System.CommandLine;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli;

/// <summary>
/// <c>pgdiscipline lint FILE.sql | DIR | GLOB …</c>: the migration rules on SQL text (the output of <c>dotnet ef migrations script</c>,
/// a migration tool's <c>.sql</c> files). Settings from <c>pgdiscipline.lint.json</c> (nearest up the directory tree),
/// overridden by options. Exit 0: nothing at or above <c>--fail-on</c>; 1: at least one finding at it; 2: bad input
/// (a file or the configuration cannot be read).
/// </summary>
internal static class LintCommand
{
    public static Command Build()
    {
        var files = new Argument<string[]>("files") { Description = "SQL migration scripts, directories (every *.sql under it, down migrations left out) or globs ('db/*.up.sql', 'migrations/**/up.sql'); '-' reads standard input. Linted in the order given, a directory's or glob's files sorted by path.", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "text | json | sarif | github (workflow annotations) | gitlab (code quality JSON)", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "sarif", "github", "gitlab");
        var pgVersion = new Option<int?>("--pg-version") { Description = $"PostgreSQL major version the scripts run on (default {MigrationLintOptions.DefaultPostgresVersion})." };
        var inTransaction = new Option<bool>("--assume-in-transaction") { Description = "Each file runs inside one transaction (most migration runners wrap each file)." };
        var failOn = new Option<string?>("--fail-on") { Description = "error (default) | warning | info | none: which findings make the exit code 1." };
        failOn.AcceptOnlyFromAmong("error", "warning", "info", "none");
        var enable = new Option<string[]>("--enable") { Description = "Turn on rules that are off by default (repeatable, or comma-separated; 'all' for every rule)." };
        var statementTimeout = new Option<bool>("--require-statement-timeout") { Description = "PGD322: require SET statement_timeout before statements that can run long." };
        var include = new Option<string[]>("--include") { Description = "Only these rules (repeatable, or comma-separated)." };
        var exclude = new Option<string[]>("--exclude") { Description = "Not these rules (repeatable, or comma-separated)." };
        var config = new Option<string?>("--config") { Description = $"Settings file (default: the nearest {LintConfig.FileName} up from the current directory)." };
        var noConfig = new Option<bool>("--no-config") { Description = $"Ignore {LintConfig.FileName}." };
        var closed = new Option<bool>("--closed-to-new-tables") { Description = "PGD311: report CREATE TABLE." };
        var noLockTimeout = new Option<bool>("--no-lock-timeout-check") { Description = "Do not require SET lock_timeout before DDL (PGD315)." };
        var alone = new Option<bool>("--each-file-alone") { Description = "Lint every file on its own. By default the files are one migration history, in the order given: column types, IMMUTABLE functions and validated checks declared by earlier files are known to later ones." };
        var command = new Command("lint", "Lint SQL migration scripts with the PGD3xx migration-safety rules.")
        {
            files, format, pgVersion, inTransaction, failOn, include, exclude, enable, config, noConfig, closed, noLockTimeout, statementTimeout, alone,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var options = new MigrationLintOptions();
            var threshold = "error";
            try
            {
                var configPath = parse.GetValue(config) ?? (parse.GetValue(noConfig) ? null : LintConfig.Find(Directory.GetCurrentDirectory()));
                if (configPath is not null)
                {
                    var settings = LintConfig.Load(configPath);
                    settings.ApplyTo(options);
                    threshold = settings.FailOn ?? threshold;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                await error.WriteLineAsync($"pgdiscipline lint: configuration: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            if (parse.GetValue(pgVersion) is { } v)
            {
                if (v is < 9 or > 30)
                {
                    await error.WriteLineAsync($"pgdiscipline lint: --pg-version {v} is not a PostgreSQL major version (9 to 30).").ConfigureAwait(false);
                    return ExitCodes.BadInput;
                }

                options.PostgresVersion = v;
            }

            options.AssumeInTransaction |= parse.GetValue(inTransaction);
            options.ClosedToNewTables |= parse.GetValue(closed);
            if (parse.GetValue(noLockTimeout))
            {
                options.RequireLockTimeout = false;
            }

            threshold = parse.GetValue(failOn) ?? threshold;
            var includes = Ids(parse.GetValue(include));
            var excludes = Ids(parse.GetValue(exclude));
            var enables = Ids(parse.GetValue(enable));
            if (enables.Remove("ALL"))
            {
                enables.AddRange(RuleCatalog.All.Where(r => RuleCatalog.IsMigrationRule(r.Id)).Select(r => r.Id));
            }

            if (parse.GetValue(statementTimeout))
            {
                enables.Add(RuleIdentifiers.StatementWithoutTimeout);
            }

            if (includes.Concat(excludes).Concat(enables).FirstOrDefault(id => !RuleCatalog.IsMigrationRule(id)) is { } unknown)
            {
                await error.WriteLineAsync($"pgdiscipline lint: '{unknown}' is not a rule id (migration rules: {LintConfig.RuleRange}, see docs/rules).").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            foreach (var id in enables)
            {
                options.EnabledRules.Add(id);
            }

            if (includes.Count > 0)
            {
                options.IncludedRules = includes;
            }

            foreach (var id in excludes)
            {
                options.ExcludedRules.Add(id);
            }

            // Scripts are linted in the order given (a migration history's file names sort in the order they run):
            // what earlier scripts declared (column types, IMMUTABLE functions, validated checks) is known to later ones.
            var results = new List<(string File, LintFinding Finding)>();
            MigrationLintState? state = null;
            var (inputs, inputError) = LintInputs.Expand(parse.GetValue(files)!);
            if (inputError is not null)
            {
                await error.WriteLineAsync($"pgdiscipline lint: {inputError}").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            foreach (var file in inputs)
            {
                string text;
                try
                {
                    text = file == "-" ? await Console.In.ReadToEndAsync(ct).ConfigureAwait(false) : await File.ReadAllTextAsync(file, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    await error.WriteLineAsync($"pgdiscipline lint: cannot read '{file}': {ex.Message}").ConfigureAwait(false);
                    return ExitCodes.BadInput;
                }

                var inTransaction = options.AssumeInTransaction && !MigrationLint.DeclaresNoTransaction(text);
                state = !parse.GetValue(alone) && state is not null ? state.ForNextScript(inTransaction) : new MigrationLintState { InTransaction = inTransaction };
                results.AddRange(MigrationLint.Lint(text, options, state).Select(f => (file == "-" ? "stdin" : file, f)));
            }

            await output.WriteAsync(parse.GetValue(format) switch
            {
                "json" => Json(results),
                "sarif" => Sarif(results),
                "github" => GitHub(results),
                "gitlab" => GitLab(results),
                _ => Text(results),
            }).ConfigureAwait(false);

            return threshold switch
            {
                "none" => ExitCodes.Ok,
                "info" => results.Count > 0 ? ExitCodes.Failed : ExitCodes.Ok,
                "warning" => results.Any(r => r.Finding.Severity != LintSeverity.Info) ? ExitCodes.Failed : ExitCodes.Ok,
                _ => results.Any(r => r.Finding.Severity == LintSeverity.Error) ? ExitCodes.Failed : ExitCodes.Ok,
            };
        });
        return command;
    }

    private static List<string> Ids(string[]? values)
        => (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(v => v.ToUpperInvariant()).ToList();

    private static string Level(LintFinding f) => f.Severity switch
    {
        LintSeverity.Error => "error",
        LintSeverity.Info => "info",
        _ => "warning",
    };

    /// <summary>SARIF and GitHub know error, warning and note.</summary>
    private static string SarifLevel(LintFinding f) => f.Severity == LintSeverity.Info ? "note" : Level(f);

    private static string Text(List<(string File, LintFinding Finding)> results)
    {
        var sb = new StringBuilder();
        foreach (var (file, f) in results)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{file}:{f.Line}:{f.Column}: {Level(f)} {f.RuleId}: {f.Message}").Append('\n');
        }

        var errors = results.Count(r => r.Finding.Severity == LintSeverity.Error);
        sb.Append(CultureInfo.InvariantCulture, $"{results.Count} finding(s), {errors} error(s)").Append('\n');
        return sb.ToString();
    }

    private static string Json(List<(string File, LintFinding Finding)> results)
        => JsonSerializer.Serialize(
            results.Select(r => new LintFindingJson(r.File, r.Finding.Line, r.Finding.Column, r.Finding.StatementIndex, r.Finding.RuleId, Level(r.Finding), r.Finding.Message, RuleIdentifiers.HelpLink(r.Finding.RuleId))).ToList(),
            LintOutputJson.Default.ListLintFindingJson) + "\n";

    /// <summary>GitHub Actions workflow commands: each finding an annotation on its line of the pull request diff.</summary>
    private static string GitHub(List<(string File, LintFinding Finding)> results)
    {
        var sb = new StringBuilder();
        foreach (var (file, f) in results)
        {
            sb.Append(CultureInfo.InvariantCulture, $"::{(f.Severity == LintSeverity.Info ? "notice" : Level(f))} file={Property(file.Replace('\\', '/'))},line={f.Line},col={f.Column},title={Property(f.RuleId + " " + RuleCatalog.Get(f.RuleId).Title)}::{Data(f.Message + " (" + RuleIdentifiers.HelpLink(f.RuleId) + ")")}").Append('\n');
        }

        return sb.ToString();

        // https://docs.github.com/actions/reference/workflow-commands-for-github-actions: %, CR, LF escaped; properties also : and ,
        static string Data(string s) => s.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);
        static string Property(string s) => Data(s).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
    }

    /// <summary>GitLab code quality report (a JSON array of issues with a stable fingerprint).</summary>
    private static string GitLab(List<(string File, LintFinding Finding)> results)
        => JsonSerializer.Serialize(
            results.Select(r => new GitLabIssue(
                $"{r.Finding.RuleId}: {r.Finding.Message}",
                r.Finding.RuleId,
                Fingerprint(r.File, r.Finding),
                r.Finding.Severity switch { LintSeverity.Error => "major", LintSeverity.Info => "info", _ => "minor" },
                new GitLabLocation(r.File.Replace('\\', '/'), new GitLabLines(r.Finding.Line)))).ToList(),
            LintOutputJson.Default.ListGitLabIssue) + "\n";

    /// <summary>Stable across runs while the finding stays: rule, file, statement number and message.</summary>
    private static string Fingerprint(string file, LintFinding f)
        => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{f.RuleId}\u0001{file.Replace('\\', '/')}\u0001{f.StatementIndex}\u0001{f.Message}")).ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>SARIF 2.1.0, so CI systems and the report command can consume lint results like compiler diagnostics.</summary>
    private static string Sarif(List<(string File, LintFinding Finding)> results)
    {
        var log = new SarifLog(
            "https://json.schemastore.org/sarif-2.1.0.json",
            "2.1.0",
            [
                new SarifRun(
                    new SarifTool(new SarifDriver("pgdiscipline lint", CliApp.Version,
                        results.Select(r => r.Finding.RuleId).Distinct().Order(StringComparer.Ordinal).Select(id => new SarifRule(id, RuleIdentifiers.HelpLink(id))).ToList())),
                    results.Select(r => new SarifResult(
                        r.Finding.RuleId,
                        SarifLevel(r.Finding),
                        new SarifMessage(r.Finding.Message),
                        [new SarifLocation(new SarifPhysicalLocation(new SarifArtifactLocation(r.File.Replace('\\', '/')), new SarifRegion(r.Finding.Line, r.Finding.Column)))])).ToList()),
            ]);
        return JsonSerializer.Serialize(log, LintOutputJson.Default.SarifLog) + "\n";
    }
}

internal sealed record LintFindingJson(string File, int Line, int Column, int Statement, string RuleId, string Severity, string Message, string HelpUri);

internal sealed record GitLabIssue(string Description, [property: JsonPropertyName("check_name")] string CheckName, string Fingerprint, string Severity, GitLabLocation Location);

internal sealed record GitLabLocation(string Path, GitLabLines Lines);

internal sealed record GitLabLines(int Begin);

internal sealed record SarifLog([property: JsonPropertyName("$schema")] string Schema, string Version, List<SarifRun> Runs);

internal sealed record SarifRun(SarifTool Tool, List<SarifResult> Results);

internal sealed record SarifTool(SarifDriver Driver);

internal sealed record SarifDriver(string Name, string Version, List<SarifRule> Rules);

internal sealed record SarifRule(string Id, string HelpUri);

internal sealed record SarifResult(string RuleId, string Level, SarifMessage Message, List<SarifLocation> Locations);

internal sealed record SarifMessage(string Text);

internal sealed record SarifLocation(SarifPhysicalLocation PhysicalLocation);

internal sealed record SarifPhysicalLocation(SarifArtifactLocation ArtifactLocation, SarifRegion Region);

internal sealed record SarifArtifactLocation(string Uri);

internal sealed record SarifRegion(int StartLine, int StartColumn);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(List<LintFindingJson>))]
[JsonSerializable(typeof(List<GitLabIssue>))]
[JsonSerializable(typeof(SarifLog))]
internal sealed partial class LintOutputJson : JsonSerializerContext;
