using System.Globalization;
using System.Text;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Lint.Output;

/// <summary><c>--format text</c>: <c>file:line:column: severity PGDnnn: message</c>, then a count.</summary>
internal sealed class TextLintWriter : LintWriter
{
    public override string Format => "text";

    public override string Write(IReadOnlyList<LintResult> results)
    {
        var sb = new StringBuilder();
        foreach (var (file, f) in results)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{file}:{f.Line}:{f.Column}: {Level(f)} {f.RuleId}: {f.Message}").Append('\n');
        }

        var errors = results.Count(r => r.Finding.Severity == RuleSeverity.Error);
        sb.Append(CultureInfo.InvariantCulture, $"{results.Count} finding(s), {errors} error(s)").Append('\n');
        return sb.ToString();
    }
}
