using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using PgDiscipline.Testing;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>
/// The rule tables (README.md, docs/rules/README.md) and the id list of build/PgDiscipline.Analyzers.targets are
/// generated from <see cref="RuleCatalog"/>, the analyzers' supported diagnostics and the code fix providers (as
/// Meziantou's DocumentationGenerator does for its analyzers): a test fails when a file is stale, and
/// <c>PGD_UPDATE_DOCS=1 dotnet test tests/PgDiscipline.Analyzers.Tests --filter GeneratedRuleDocsTests</c> rewrites them.
/// </summary>
public sealed class GeneratedRuleDocsTests
{
    private const string Begin = "<!-- rule table: generated from RuleCatalog by GeneratedRuleDocsTests; PGD_UPDATE_DOCS=1 rewrites it -->";
    private const string End = "<!-- end of rule table -->";

    private static readonly HashSet<string> AnalyzerIds = typeof(DiagnosticDescriptors).Assembly.GetTypes()
        .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
        .SelectMany(t => ((DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);

    private static readonly HashSet<string> FixedIds = typeof(PgDiscipline.Analyzers.CodeFixes.AddAsSplitQueryCodeFix).Assembly.GetTypes()
        .Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
        .SelectMany(t => ((CodeFixProvider)Activator.CreateInstance(t)!).FixableDiagnosticIds).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void The_rule_table_of_docs_rules_is_the_catalog()
        => CheckRegion(Path.Combine("docs", "rules", "README.md"), Table(link: id => $"{id}.md", detailed: true));

    [Fact]
    public void The_rule_table_of_the_readme_is_the_catalog()
        => CheckRegion("README.md", Table(link: id => $"docs/rules/{id}.md", detailed: false));

    [Fact]
    public void The_targets_list_every_rule_WarningsAsErrors_may_promote()
    {
        var path = Path.Combine(RepoPaths.RepoRoot, "build", "PgDiscipline.Analyzers.targets");
        var text = File.ReadAllText(path);
        Assert.Matches("<PgDisciplineRuleIds>[^<]*</PgDisciplineRuleIds>", text);
        Check(path, text, Regex.Replace(text, "<PgDisciplineRuleIds>[^<]*</PgDisciplineRuleIds>", $"<PgDisciplineRuleIds>{string.Join(';', TargetsIds())}</PgDisciplineRuleIds>"));
    }

    /// <summary>Every rule but the info-level inventory (PGD105) and the migration rules at info: WarningsAsErrors promotes
    /// info diagnostics as well. PGD201 stays: it is info by default, but an app that routes reads to the primary raises it.</summary>
    internal static IEnumerable<string> TargetsIds()
        => RuleCatalog.All.Select(r => r.Id).Where(id => id != RuleIdentifiers.RawSqlCallSite && !(RuleCatalog.IsMigrationRule(id) && RuleCatalog.SeverityOf(id) == RuleSeverity.Info));

    private static string Table(Func<string, string> link, bool detailed)
    {
        var sb = new StringBuilder();
        sb.Append(detailed ? "| id | title | category | default | code fix | where |\n|---|---|---|---|---|---|\n" : "| id | rule | default |\n|---|---|---|\n");
        foreach (var rule in RuleCatalog.All)
        {
            var severity = rule.DefaultSeverity switch { RuleSeverity.Error => "**error**", RuleSeverity.Warning => "warning", _ => "info" }
                + (rule.EnabledByDefault ? "" : ", **off**");
            sb.Append($"| [{rule.Id}]({link(rule.Id)}) | {Escape(rule.Title)} | ");
            sb.Append(detailed
                ? $"{rule.Category["PgDiscipline.".Length..]} | {severity} | {(FixedIds.Contains(rule.Id) ? "yes" : "—")} | {Where(rule)} |\n"
                : $"{severity} |\n");
        }

        return sb.ToString();
    }

    /// <summary>The faces that report a rule: the analyzers (a supported diagnostic), <c>pgdiscipline lint</c> (every
    /// migration rule) and the runtime migration guard (the migration rules on by default, but PGD315: the guard sets the
    /// lock_timeout itself).</summary>
    private static string Where(RuleDescriptor rule)
    {
        var faces = new List<string>();
        if (AnalyzerIds.Contains(rule.Id))
        {
            faces.Add("analyzer");
        }

        if (RuleCatalog.IsMigrationRule(rule.Id))
        {
            faces.Add("lint");
            if (rule.EnabledByDefault && rule.Id != RuleIdentifiers.DdlWithoutLockTimeout)
            {
                faces.Add("guard");
            }
        }

        return string.Join(" + ", faces);
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static void CheckRegion(string relative, string table)
    {
        var path = Path.Combine(RepoPaths.RepoRoot, relative);
        var text = File.ReadAllText(path);
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{relative} has no generated rule table (between '{Begin}' and '{End}')");
        Check(path, text, text[..start] + Begin + "\n" + table + text[end..]);
    }

    private static void Check(string path, string actual, string expected)
    {
        if (actual == expected)
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("PGD_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, expected);
            return;
        }

        Assert.Fail($"{Path.GetRelativePath(RepoPaths.RepoRoot, path)} is stale: the rule catalog changed. Run PGD_UPDATE_DOCS=1 dotnet test tests/PgDiscipline.Analyzers.Tests --filter {nameof(GeneratedRuleDocsTests)} and commit the result.");
    }
}
