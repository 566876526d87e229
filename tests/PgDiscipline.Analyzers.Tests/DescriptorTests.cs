using PgDiscipline.Testing;
using System.Text.RegularExpressions;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>Every descriptor has a help link, a doc page, and a release entry (Meziantou-style guard).</summary>
public sealed class DescriptorTests
{
    private static string RepoRoot => RepoPaths.RepoRoot;

    private static readonly Microsoft.CodeAnalysis.DiagnosticDescriptor[] AllDescriptors = [.. DiagnosticDescriptors.All, .. MigrationDescriptors.All];

    public static TheoryData<string> Ids => new(AllDescriptors.Select(d => d.Id).Distinct());

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_has_a_doc_page_a_matching_help_link_and_a_release_entry(string id)
    {
        var descriptors = AllDescriptors.Where(d => d.Id == id).ToList();
        var descriptor = descriptors[0];
        Assert.Contains(id, RuleIdentifiers.All);
        var rule = RuleCatalog.Get(id);
        Assert.All(descriptors, d =>
        {
            // One catalog: every descriptor of a rule (typed operation or raw Sql(…)) has the catalog's title, category,
            // severity and help link.
            Assert.EndsWith($"/docs/rules/{id}.md", d.HelpLinkUri, StringComparison.Ordinal);
            Assert.Equal(rule.HelpLink, d.HelpLinkUri);
            Assert.Equal(rule.Title, d.Title.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(rule.Category, d.Category);
            Assert.Equal(rule.DefaultSeverity.ToString(), d.DefaultSeverity.ToString());
        });

        var page = Path.Combine(RepoRoot, "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"{page} is missing");
        var text = File.ReadAllText(page);
        Assert.StartsWith($"# {id} ", text, StringComparison.Ordinal);
        Assert.Contains("## Suppress", text, StringComparison.Ordinal);

        var releases = File.ReadAllText(Path.Combine(RepoRoot, "src", "PgDiscipline.Analyzers", "AnalyzerReleases.Unshipped.md"))
            + File.ReadAllText(Path.Combine(RepoRoot, "src", "PgDiscipline.Analyzers", "AnalyzerReleases.Shipped.md"));
        Assert.Matches(new Regex($@"^{id}\s*\|\s*{Regex.Escape(descriptor.Category)}\s*\|\s*{descriptor.DefaultSeverity}\s*\|", RegexOptions.Multiline), releases);
    }

    [Fact]
    public void Every_analyzer_in_the_assembly_is_covered_and_sealed()
    {
        var analyzers = typeof(DiagnosticDescriptors).Assembly.GetTypes()
            .Where(t => typeof(Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract).ToList();
        Assert.All(analyzers, t => Assert.True(t.IsSealed, t.Name));
        var supported = analyzers.SelectMany(t => ((Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics).ToList();
        Assert.Equal(AllDescriptors.Select(d => d.Id).Distinct().Order(), supported.Select(d => d.Id).Distinct().Order());

        // PGD103 has a second descriptor for the findings decided at compilation end (tagged so, its own message).
        var queryInLoop = supported.Where(d => d.Id == RuleIdentifiers.QueryInLoop).ToList();
        Assert.Equal(2, queryInLoop.Count);
        Assert.Single(queryInLoop.Select(d => (d.Title.ToString(), d.Category, d.DefaultSeverity, d.IsEnabledByDefault, d.HelpLinkUri)).Distinct());
        Assert.Equal(2, queryInLoop.Select(d => d.MessageFormat.ToString()).Distinct().Count()); // one descriptor per message in the IDE
        Assert.Single(queryInLoop, d => d.CustomTags.Contains(Microsoft.CodeAnalysis.WellKnownDiagnosticTags.CompilationEnd));
    }

    [Fact]
    public void Every_catalog_rule_has_a_doc_page_and_every_id_is_in_the_catalog()
    {
        Assert.Equal(RuleIdentifiers.All.Order(), RuleCatalog.All.Select(r => r.Id).Order());
        Assert.All(RuleCatalog.All, r => Assert.True(File.Exists(Path.Combine(RepoRoot, "docs", "rules", r.Id + ".md")), r.Id));
    }

    [Fact]
    public void A_table_rewrite_or_a_long_lock_on_an_existing_table_is_an_error()
    {
        string[] rewritesOrLongLocks =
        [
            RuleIdentifiers.AlterColumnTypeRewrite, RuleIdentifiers.AddColumnVolatileDefault, RuleIdentifiers.SetNotNull,
            RuleIdentifiers.CreateIndexNotConcurrently, RuleIdentifiers.DropIndexNotConcurrently, RuleIdentifiers.AddForeignKeyValidated,
            RuleIdentifiers.AddUniqueConstraint, RuleIdentifiers.AddCheckConstraintValidated, RuleIdentifiers.UnsafeRawMigrationSql,
            RuleIdentifiers.AddIdentityColumn,
        ];
        Assert.All(rewritesOrLongLocks, id => Assert.Equal(RuleSeverity.Error, RuleCatalog.SeverityOf(id)));
        Assert.All(MigrationDescriptors.All.Where(d => rewritesOrLongLocks.Contains(d.Id)),
            d => Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Error, d.DefaultSeverity));
    }
}
