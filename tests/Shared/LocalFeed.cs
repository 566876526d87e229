namespace PgDiscipline.Testing;

/// <summary>Packs projects of this repository into a folder feed, as a user's <c>nuget.config</c> would point at
/// (linked into the analyzer package test and the package install tests).</summary>
internal static class LocalFeed
{
    /// <summary><c>dotnet pack</c> of <paramref name="project"/> (relative to the repository root) from the existing build
    /// output into <paramref name="feed"/> at <paramref name="version"/>. The .nuspec goes to <paramref name="nuspecDirectory"/>,
    /// not obj/: the two package tests pack the analyzer package concurrently, and a shared obj/ .nuspec collides.</summary>
    public static Task<(int Code, string Output)> PackAsync(string project, string feed, string version, string nuspecDirectory)
        => ProcessRunner.DotnetAsync(RepoPaths.RepoRoot, "pack", project, "-c", RepoPaths.Configuration, "--no-build", "-o", feed,
            $"-p:PackageVersion={version}", $"-p:NuspecOutputPath={nuspecDirectory}/");

    /// <summary>Packs each of <paramref name="projects"/> into <paramref name="feed"/> (a .nuspec directory per project under
    /// <paramref name="nuspecRoot"/>); the first failure is returned, else code 0.</summary>
    public static async Task<(int Code, string Output)> PackAllAsync(IEnumerable<string> projects, string feed, string version, string nuspecRoot)
    {
        foreach (var project in projects)
        {
            var (code, output) = await PackAsync(project, feed, version, Path.Combine(nuspecRoot, Path.GetFileNameWithoutExtension(project))).ConfigureAwait(false);
            if (code != 0)
            {
                return (code, output);
            }
        }

        return (0, "");
    }

    /// <summary>Writes the <c>nuget.config</c> a user adds for a folder feed (nuget.org stays a source).</summary>
    public static Task WriteNuGetConfigAsync(string directory, string feed) => File.WriteAllTextAsync(Path.Combine(directory, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="pgdiscipline-local" value="{feed}" />
          </packageSources>
        </configuration>
        """);
}
