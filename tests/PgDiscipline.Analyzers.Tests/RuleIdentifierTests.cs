using PgDiscipline.Testing;
using System.Text.RegularExpressions;

namespace PgDiscipline.Analyzers.Tests;

public sealed class RuleIdentifierTests
{
    private static string RepoRoot => RepoPaths.RepoRoot;

    [Fact]
    public void Ids_are_unique_and_well_formed()
    {
        Assert.Equal(RuleIdentifiers.All.Length, RuleIdentifiers.All.Distinct(StringComparer.Ordinal).Count());
        Assert.All(RuleIdentifiers.All, id => Assert.Matches("^PGD[1-9][0-9]{2}$", id));
    }

    [Fact]
    public void Ids_match_the_architecture_catalog()
    {
        var architecture = Path.Combine(RepoRoot, "..", "shared", "ARCHITECTURE.md");
        if (!File.Exists(architecture))
        {
            // A clone without shared/ beside it: the msbuild list below still guards the shipped targets.
            return;
        }

        var catalog = Regex.Matches(File.ReadAllText(architecture), @"^\| (PGD\d{3}) \|", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToArray();
        // Every catalog id is kept, in catalog order; other ids are additions with numbers of their own (PGD105, PGD315).
        Assert.Equal(catalog, RuleIdentifiers.All.Where(catalog.Contains));
        Assert.Equal(RuleIdentifiers.All.Length, RuleIdentifiers.All.Distinct().Count());
        Assert.Equal(RuleIdentifiers.All.Order(StringComparer.Ordinal), RuleIdentifiers.All);
    }

    [Fact]
    public void Shipped_targets_list_every_id_for_PgDisciplineTreatWarningsAsErrors()
    {
        var targets = File.ReadAllText(Path.Combine(RepoRoot, "build", "PgDiscipline.Analyzers.targets"));
        var list = Regex.Match(targets, "<PgDisciplineRuleIds>([^<]*)</PgDisciplineRuleIds>").Groups[1].Value.Split(';');
        // Info-level rules (PGD105's inventory, the migration style rules at info) are left out: WarningsAsErrors promotes
        // info diagnostics as well.
        Assert.Equal(RuleIdentifiers.All.Where(id => id != RuleIdentifiers.RawSqlCallSite && !(RuleCatalog.IsMigrationRule(id) && RuleCatalog.SeverityOf(id) == RuleSeverity.Info)), list);
    }
}
