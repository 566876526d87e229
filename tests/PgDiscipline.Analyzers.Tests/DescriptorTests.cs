using PgDiscipline.Testing;
using System.Text.RegularExpressions;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>Every descriptor has a help link, a doc page, and a release entry (Meziantou-style guard).</summary>
public sealed class DescriptorTests
{
    private static string RepoRoot => RepoPaths.RepoRoot;

    private static readonly Microsoft.CodeAnalysis.DiagnosticDescriptor[] AllDescriptors = [.. DiagnosticDescriptors.All, .. MigrationDescriptors.All];

    public static TheoryData<string> Ids => new(AllDescriptors.Select(d => d.Id));

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_has_a_doc_page_a_matching_help_link_and_a_release_entry(string id)
    {
        var descriptor = AllDescriptors.Single(d => d.Id == id);
        Assert.Contains(id, RuleIdentifiers.All);
        Assert.EndsWith($"/docs/rules/{id}.md", descriptor.HelpLinkUri, StringComparison.Ordinal);

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
        var reported = analyzers.SelectMany(t => ((Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics).Select(d => d.Id).Order();
        Assert.Equal(AllDescriptors.Select(d => d.Id).Order(), reported);
    }
}
