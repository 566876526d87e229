namespace PgDiscipline.Testing;

/// <summary>Packs projects of this repository into a folder feed, as a user's <c>nuget.config</c> would point at
/// (linked into the analyzer package test and the package install test).</summary>
internal static class LocalFeed
{
    /// <summary><c>dotnet pack</c> of <paramref name="project"/> (relative to the repository root) from the existing build
    /// output into <paramref name="feed"/> at <paramref name="version"/>. The .nuspec goes to <paramref name="nuspecDirectory"/>,
    /// not obj/: the two package tests pack the analyzer package concurrently, and a shared obj/ .nuspec collides.</summary>
    public static Task<(int Code, string Output)> PackAsync(string project, string feed, string version, string nuspecDirectory)
        => ProcessRunner.DotnetAsync(RepoPaths.RepoRoot, "pack", project, "-c", RepoPaths.Configuration, "--no-build", "-o", feed,
            $"-p:PackageVersion={version}", $"-p:NuspecOutputPath={nuspecDirectory}/");
}
