using System.Text.RegularExpressions;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>The runtime's concerns refer to each other one way: each folder (and namespace) may use only the ones below
/// it. Every file names what it uses with its own using directives (the project has no global usings of its own
/// namespaces), so the directives are the dependency graph.</summary>
public sealed partial class LayeringTests
{
    /// <summary>Bottom to top. A folder may use the folders of lower layers; folders of one layer do not use each other.</summary>
    private static readonly string[][] Layers =
    [
        ["Diagnostics", "Configuration"],
        ["Statistics", "Rules", "HighAvailability", "Backfill"],
        ["Pipeline"],
        ["Timeouts", "Coalescing", "Routing"],
        ["Migrations"],
        ["Interception"],
        ["Infrastructure"],
    ];

    [Fact]
    public void Every_folder_uses_only_folders_below_it()
    {
        var root = Path.Combine(RepoRoot(), "src", "PgDiscipline.EntityFrameworkCore");
        var rank = Layers.SelectMany((layer, i) => layer.Select(f => (f, i))).ToDictionary(p => p.f, p => p.i);
        var violations = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal) || !relative.Contains(Path.DirectorySeparatorChar))
            {
                continue; // the public facade at the root may use everything
            }

            var folder = relative.Split(Path.DirectorySeparatorChar)[0];
            Assert.True(rank.ContainsKey(folder), $"{folder} is not placed in a layer of {nameof(LayeringTests)}");
            foreach (Match m in UsingOfOwnNamespace().Matches(File.ReadAllText(file)))
            {
                var used = m.Groups[1].Value;
                if (used != folder && (!rank.TryGetValue(used, out var usedRank) || usedRank >= rank[folder]))
                {
                    violations.Add($"{relative} uses {used}");
                }
            }
        }

        Assert.Empty(violations);
        var project = File.ReadAllText(Path.Combine(root, "PgDiscipline.EntityFrameworkCore.csproj"));
        Assert.DoesNotContain("<Using Include=\"PgDiscipline.", project, StringComparison.Ordinal);
    }

    [Fact]
    public void No_runtime_source_file_is_over_350_lines()
    {
        var root = Path.Combine(RepoRoot(), "src", "PgDiscipline.EntityFrameworkCore");
        var long_ = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (File: Path.GetRelativePath(root, f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > 350 && !KnownLong.Contains(f.File))
            .Select(f => $"{f.File}: {f.Lines} lines");
        Assert.Empty(long_);
    }

    /// <summary>Files still over the limit, each with the issue that splits it (none: PgDiscipline.Operations'
    /// OperationsLayoutTests holds that assembly to the same limit).</summary>
    private static readonly HashSet<string> KnownLong = new(StringComparer.Ordinal);

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PgDiscipline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PgDiscipline.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A using of one of the runtime's own namespaces (the SQL core's and PgDiscipline.Operations' are other assemblies).</summary>
    [GeneratedRegex(@"^using PgDiscipline\.(?!Sql\b|Operations\b)(\w+);", RegexOptions.Multiline)]
    private static partial Regex UsingOfOwnNamespace();
}
