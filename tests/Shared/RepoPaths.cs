namespace PgDiscipline.Testing;

/// <summary>Where the repository is, seen from test and tool binaries (linked into each project that needs it).</summary>
internal static class RepoPaths
{
    /// <summary>The repository root: the folder holding PgDiscipline.sln above the running binaries.</summary>
    public static string RepoRoot { get; } = Find();

    /// <summary>The build configuration of the running binaries (Release or Debug), for <c>dotnet pack --no-build</c>.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

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
