using System.Text.Json;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Lint.Output;

/// <summary><c>--format json</c>: an array of findings (an input of <c>pgdiscipline report</c>).</summary>
internal sealed class JsonLintWriter : LintWriter
{
    public override string Format => "json";

    public override string Write(IReadOnlyList<LintResult> results)
        => JsonSerializer.Serialize(
            results.Select(r => new LintFindingJson(r.File, r.Finding.Line, r.Finding.Column, r.Finding.StatementIndex, r.Finding.RuleId, Level(r.Finding), r.Finding.Message, RuleIdentifiers.HelpLink(r.Finding.RuleId))).ToList(),
            LintOutputJson.Default.ListLintFindingJson) + "\n";
}

internal sealed record LintFindingJson(string File, int Line, int Column, int Statement, string RuleId, string Severity, string Message, string HelpUri);
