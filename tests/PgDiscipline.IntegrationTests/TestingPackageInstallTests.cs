using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using PgDiscipline.Testing;
using Xunit.Abstractions;

namespace PgDiscipline.IntegrationTests;

/// <summary>What a new user does with PgDiscipline.Testing, from the packed packages in a temporary folder: <c>dotnet new
/// xunit</c>, <c>dotnet add package</c> from a folder feed, the files of docs/testing-your-app.md as written (a collection
/// fixture, a class fixture, the DbContext, a replica read after a write, a paused replica avoided), <c>dotnet test</c>.
/// The guide's code blocks marked <c>&lt;!-- file: X.cs --&gt;</c> are the project's files, so the guide cannot drift
/// from what compiles. Needs the Docker engine and image build/test.sh sets up (<c>PGD_TESTING_IMAGE</c>).</summary>
[Collection(ClusterCollection.Name)] // one at a time with the cluster tests: packing and two container clusters would compete for the 2 cores with timing-sensitive routing tests
public sealed partial class TestingPackageInstallTests(ITestOutputHelper output)
{
    private static readonly string[] Packed =
    [
        "src/PgDiscipline.Sql/PgDiscipline.Sql.csproj",
        "src/PgDiscipline.Operations/PgDiscipline.Operations.csproj",
        "src/PgDiscipline.EntityFrameworkCore/PgDiscipline.EntityFrameworkCore.csproj",
        "src/PgDiscipline.Testing/PgDiscipline.Testing.csproj",
    ];

    /// <summary>The guide's files: each <c>&lt;!-- file: NAME --&gt;</c> marker followed by a csharp block.</summary>
    public static IReadOnlyDictionary<string, string> GuideFiles()
    {
        var guide = File.ReadAllText(Path.Combine(RepoPaths.RepoRoot, "docs", "testing-your-app.md"));
        return FileBlock().Matches(guide).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["code"].Value, StringComparer.Ordinal);
    }

    [Fact]
    public void The_guide_has_the_fixtures_and_tests_this_test_runs()
    {
        Assert.Equal(["AppDb.cs", "ClusterFixture.cs", "PausedReplicaTests.cs", "ReplicaReadTests.cs"], GuideFiles().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_new_xunit_project_with_the_package_and_the_guides_files_passes_its_replica_tests()
    {
        var work = Directory.CreateTempSubdirectory("pgd-testing-install-").FullName;
        var total = Stopwatch.StartNew();
        var step = Stopwatch.StartNew();
        void Done(string what)
        {
            output.WriteLine($"{what}: {step.Elapsed.TotalSeconds:0.0} s");
            step.Restart();
        }

        try
        {
            var feed = Path.Combine(work, "feed");
            var version = $"0.1.0-install.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
            var (packCode, packOutput) = await LocalFeed.PackAllAsync(Packed, feed, version, Path.Combine(work, "nuspec"));
            Assert.True(packCode == 0, packOutput);
            Done("pack (from the build output)");

            // The package depends on the Testcontainers module, not only on Testcontainers.
            using (var package = ZipFile.OpenRead(Path.Combine(feed, $"PgDiscipline.Testing.{version}.nupkg")))
            {
                using var reader = new StreamReader(package.GetEntry("PgDiscipline.Testing.nuspec")!.Open());
                Assert.Contains("id=\"Testcontainers.PostgreSql\"", await reader.ReadToEndAsync(), StringComparison.Ordinal);
                Assert.NotNull(package.GetEntry("docs/testing-your-app.md"));
                Assert.NotNull(package.GetEntry("tools/image/build-image.sh"));
                Assert.NotNull(package.GetEntry("tools/image/docker-entrypoint.sh"));
            }

            var app = Path.Combine(work, "AppTests");
            var (code, text) = await ProcessRunner.DotnetAsync(work, "new", "xunit", "-o", app, "--framework", "net10.0");
            Assert.True(code == 0, text);
            await LocalFeed.WriteNuGetConfigAsync(app, feed);
            foreach (var package in new[] { "PgDiscipline.Testing", "PgDiscipline.EntityFrameworkCore" })
            {
                (code, text) = await ProcessRunner.DotnetAsync(app, "add", "package", package, "--version", version);
                Assert.True(code == 0, text);
            }

            Done("dotnet new xunit + add package");
            File.Delete(Path.Combine(app, "UnitTest1.cs"));
            foreach (var (name, source) in GuideFiles())
            {
                await File.WriteAllTextAsync(Path.Combine(app, name), source);
            }

            (code, text) = await ProcessRunner.DotnetAsync(app, "test", "-c", "Release", "-nologo");
            Done("dotnet test (build, two clusters, two tests)");
            output.WriteLine($"total: {total.Elapsed.TotalSeconds:0.0} s");
            Assert.True(code == 0, text);
            Assert.Matches(@"Failed:\s+0, Passed:\s+2,", text);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [GeneratedRegex(@"<!-- file: (?<name>[A-Za-z0-9_.]+) -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex FileBlock();
}
