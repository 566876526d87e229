using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Lint.Output;

/// <summary>One finding of <c>pgdiscipline lint</c> and the file it is in (<c>stdin</c> for <c>-</c>).</summary>
internal readonly record struct LintResult(string File, LintFinding Finding);

/// <summary>One output format of <c>pgdiscipline lint --format</c>: the whole output for the findings of a run.</summary>
internal abstract class LintWriter
{
    /// <summary>Every format, the default first.</summary>
    public static IReadOnlyList<LintWriter> All { get; } = [new TextLintWriter(), new JsonLintWriter(), new SarifLintWriter(), new GitHubLintWriter(), new GitLabLintWriter()];

    /// <summary>The <c>--format</c> value.</summary>
    public abstract string Format { get; }

    public abstract string Write(IReadOnlyList<LintResult> results);

    public static LintWriter For(string format) => All.First(w => w.Format == format);

    /// <summary>error, warning or info.</summary>
    protected static string Level(LintFinding finding) => finding.Severity switch
    {
        RuleSeverity.Error => "error",
        RuleSeverity.Info => "info",
        _ => "warning",
    };

    /// <summary>Paths with forward slashes (CI systems match them against the repository's).</summary>
    protected static string Slashes(string path) => path.Replace('\\', '/');
}
