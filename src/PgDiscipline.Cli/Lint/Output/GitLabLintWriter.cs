using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Lint.Output;

/// <summary><c>--format gitlab</c>: a GitLab code quality report (a JSON array of issues with a stable fingerprint).</summary>
internal sealed class GitLabLintWriter : LintWriter
{
    public override string Format => "gitlab";

    public override string Write(IReadOnlyList<LintResult> results)
        => JsonSerializer.Serialize(
            results.Select(r => new GitLabIssue(
                $"{r.Finding.RuleId}: {r.Finding.Message}",
                r.Finding.RuleId,
                Fingerprint(r.File, r.Finding),
                r.Finding.Severity switch { RuleSeverity.Error => "major", RuleSeverity.Info => "info", _ => "minor" },
                new GitLabLocation(Slashes(r.File), new GitLabLines(r.Finding.Line)))).ToList(),
            LintOutputJson.Default.ListGitLabIssue) + "\n";

    /// <summary>Stable across runs while the finding stays: rule, file, statement number and message.</summary>
    private static string Fingerprint(string file, LintFinding f)
        => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{f.RuleId}\u0001{Slashes(file)}\u0001{f.StatementIndex}\u0001{f.Message}")).ToString("x16", CultureInfo.InvariantCulture);
}

internal sealed record GitLabIssue(string Description, [property: JsonPropertyName("check_name")] string CheckName, string Fingerprint, string Severity, GitLabLocation Location);

internal sealed record GitLabLocation(string Path, GitLabLines Lines);

internal sealed record GitLabLines(int Begin);
