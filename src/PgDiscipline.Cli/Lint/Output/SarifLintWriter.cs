using System.Text.Json;
using System.Text.Json.Serialization;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Lint.Output;

/// <summary><c>--format sarif</c>: SARIF 2.1.0, so CI systems and <c>pgdiscipline report</c> consume lint results like
/// compiler diagnostics.</summary>
internal sealed class SarifLintWriter : LintWriter
{
    public override string Format => "sarif";

    public override string Write(IReadOnlyList<LintResult> results)
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
                        [new SarifLocation(new SarifPhysicalLocation(new SarifArtifactLocation(Slashes(r.File)), new SarifRegion(r.Finding.Line, r.Finding.Column)))])).ToList()),
            ]);
        return JsonSerializer.Serialize(log, LintOutputJson.Default.SarifLog) + "\n";
    }

    /// <summary>SARIF knows error, warning and note.</summary>
    private static string SarifLevel(LintFinding f) => f.Severity == RuleSeverity.Info ? "note" : Level(f);
}

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
