namespace PgDiscipline.Analyzers.Tests;

internal static class TestPaths
{
    /// <summary>The repository root (the folder holding PgDiscipline.sln) above the test binaries.</summary>
    public static string RepoRoot { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PgDiscipline.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("PgDiscipline.sln not found above " + AppContext.BaseDirectory);
    }
}
