using System.Xml.Linq;

namespace PgDiscipline.Operations.Tests;

/// <summary>
/// Issue 37: assemblies that say what they are. The project graph is Sql ← Operations ← {EntityFrameworkCore, Cli}, the
/// analyzers see the SQL core only, and the CLI carries no EF Core; read from the project files, so a reference added
/// anywhere fails here. PgDiscipline.Operations' files stay small like the runtime's (LayeringTests).
/// </summary>
public sealed class AssemblyLayoutTests
{
    private static readonly string Src = Path.Combine(RepoRoot(), "src");

    [Theory]
    [InlineData("PgDiscipline.Sql", "")]
    [InlineData("PgDiscipline.Operations", "PgDiscipline.Sql")]
    [InlineData("PgDiscipline.EntityFrameworkCore", "PgDiscipline.Operations PgDiscipline.Sql")]
    [InlineData("PgDiscipline.Cli", "PgDiscipline.Operations PgDiscipline.Sql")]
    [InlineData("PgDiscipline.Analyzers", "PgDiscipline.Sql")]
    [InlineData("PgDiscipline.Analyzers.CodeFixes", "PgDiscipline.Analyzers")]
    [InlineData("PgDiscipline.Testing", "")]
    public void Each_project_references_exactly_these_projects(string project, string references)
        => Assert.Equal(references.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), ProjectReferences(project).Order(StringComparer.Ordinal));

    [Theory]
    [InlineData("PgDiscipline.Cli", "PgDiscipline.EntityFrameworkCore")]
    [InlineData("PgDiscipline.Operations", "PgDiscipline.EntityFrameworkCore")]
    [InlineData("PgDiscipline.Analyzers", "PgDiscipline.Operations")]
    [InlineData("PgDiscipline.Analyzers.CodeFixes", "PgDiscipline.Operations")]
    public void A_project_does_not_reach_another_even_through_a_reference(string project, string unreachable)
        => Assert.DoesNotContain(unreachable, Closure(project));

    [Fact]
    public void The_sql_core_has_no_dependency_but_its_hash()
        => Assert.Equal(["System.IO.Hashing"], PackageReferences("PgDiscipline.Sql"));

    [Theory]
    [InlineData("PgDiscipline.Cli")]
    [InlineData("PgDiscipline.Operations")]
    public void No_ef_core_and_no_dependency_injection_below_the_runtime(string project)
    {
        var packages = Closure(project).Prepend(project).SelectMany(PackageReferences).ToList();
        Assert.DoesNotContain(packages, p => p.Contains("EntityFrameworkCore", StringComparison.Ordinal));
        Assert.DoesNotContain(packages, p => p.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && p != "Microsoft.Extensions.Logging.Abstractions");
    }

    [Fact]
    public void No_operations_source_file_is_over_350_lines()
    {
        var root = Path.Combine(Src, "PgDiscipline.Operations");
        var sep = Path.DirectorySeparatorChar;
        var tooLong = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}obj{sep}", StringComparison.Ordinal) && !f.Contains($"{sep}bin{sep}", StringComparison.Ordinal))
            .Select(f => (File: Path.GetRelativePath(root, f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > 350)
            .Select(f => $"{f.File}: {f.Lines} lines");
        Assert.Empty(tooLong);
    }

    private static List<string> ProjectReferences(string project)
        => Items(project, "ProjectReference").Select(p => Path.GetFileNameWithoutExtension(p.Replace('\\', '/'))).ToList();

    private static List<string> PackageReferences(string project) => Items(project, "PackageReference").ToList();

    private static IEnumerable<string> Items(string project, string item)
        => XDocument.Load(Path.Combine(Src, project, project + ".csproj")).Descendants(item)
            .Select(e => (string?)e.Attribute("Include")).OfType<string>();

    private static HashSet<string> Closure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>(ProjectReferences(project));
        while (todo.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var reference in ProjectReferences(next))
                {
                    todo.Push(reference);
                }
            }
        }

        return seen;
    }

    private static string RepoRoot()
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
}
