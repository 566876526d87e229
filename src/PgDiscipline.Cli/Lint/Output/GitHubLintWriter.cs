using System.Globalization;
using System.Text;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Lint.Output;

/// <summary><c>--format github</c>: GitHub Actions workflow commands, each finding an annotation on its line of the pull
/// request diff.</summary>
internal sealed class GitHubLintWriter : LintWriter
{
    public override string Format => "github";

    public override string Write(IReadOnlyList<LintResult> results)
    {
        var sb = new StringBuilder();
        foreach (var (file, f) in results)
        {
            var level = f.Severity == RuleSeverity.Info ? "notice" : Level(f);
            sb.Append(CultureInfo.InvariantCulture, $"::{level} file={Property(Slashes(file))},line={f.Line},col={f.Column},title={Property(f.RuleId + " " + RuleCatalog.Get(f.RuleId).Title)}::{Data(f.Message + " (" + RuleIdentifiers.HelpLink(f.RuleId) + ")")}").Append('\n');
        }

        return sb.ToString();
    }

    // https://docs.github.com/actions/reference/workflow-commands-for-github-actions: %, CR, LF escaped; properties also : and ,
    private static string Data(string s) => s.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    private static string Property(string s) => Data(s).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}
