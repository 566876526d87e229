using PgDiscipline.Testing;
using System.IO.Compression;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>The packed PgDiscipline.Analyzers package, installed from a local folder feed into a fresh project, reports
/// PGD101 in `dotnet build`, and fails the build with PgDisciplineTreatWarningsAsErrors.</summary>
public sealed class PackageTests
{
    private static Task<(int Code, string Output)> Dotnet(string workingDirectory, params string[] args) => ProcessRunner.DotnetAsync(workingDirectory, args);

    [Fact]
    public async Task Packed_analyzers_fire_in_a_fresh_project_and_can_fail_the_build()
    {
        var work = Directory.CreateTempSubdirectory("pgd-package-").FullName;
        try
        {
            var feed = Path.Combine(work, "feed");
            var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
            var (code, output) = await LocalFeed.PackAsync("src/PgDiscipline.Analyzers.Package/PgDiscipline.Analyzers.Package.csproj", feed, version, Path.Combine(work, "nuspec"));
            Assert.True(code == 0, output);

            var nupkg = Path.Combine(feed, $"PgDiscipline.Analyzers.{version}.nupkg");
            using (var zip = ZipFile.OpenRead(nupkg))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
                foreach (var expected in new[]
                {
                    "analyzers/dotnet/cs/PgDiscipline.Analyzers.dll", "analyzers/dotnet/cs/PgDiscipline.Analyzers.CodeFixes.dll",
                    "analyzers/dotnet/cs/PgDiscipline.Sql.dll", "analyzers/dotnet/cs/System.IO.Hashing.dll",
                    "buildTransitive/PgDiscipline.Analyzers.props", "buildTransitive/PgDiscipline.Analyzers.targets",
                })
                {
                    Assert.Contains(expected, entries);
                }

                Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
                // The page every help link names is in the package too (readable offline, whatever the link's host).
                foreach (var rule in PgDiscipline.Sql.RuleCatalog.All)
                {
                    Assert.EndsWith($"/docs/rules/{rule.Id}.md", rule.HelpLink, StringComparison.Ordinal);
                    Assert.Contains($"docs/rules/{rule.Id}.md", entries);
                }

                Assert.Contains("docs/migration-lint.md", entries);
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                Assert.Contains("<developmentDependency>true</developmentDependency>", await nuspec.ReadToEndAsync(), StringComparison.Ordinal);
            }

            var app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Npgsql.EntityFrameworkCore.PostgreSQL" Version="10.0.0" />
                    <PackageReference Include="PgDiscipline.Analyzers" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Queries.cs"), """
                using Microsoft.EntityFrameworkCore;
                public class User { public int Id { get; set; } public Team Team { get; set; } = null!; public List<Order> Orders { get; set; } = new(); }
                public class Team { public int Id { get; set; } public Company Company { get; set; } = null!; }
                public class Company { public int Id { get; set; } public Country Country { get; set; } = null!; }
                public class Country { public int Id { get; set; } }
                public class Order { public int Id { get; set; } }
                public class AppDb : DbContext { public DbSet<User> Users => Set<User>(); }
                public static class Queries
                {
                    public static Task<List<User>> Heavy(AppDb db) =>
                        db.Users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country).Include(u => u.Orders).ToListAsync();
                }
                """);

            (code, output) = await Dotnet(app, "build", "-nologo");
            Assert.True(code == 0, output);
            Assert.Contains("warning PGD101", output, StringComparison.Ordinal);
            Assert.Contains("This query makes 4 joins", output, StringComparison.Ordinal);

            (code, output) = await Dotnet(app, "build", "-nologo", "--no-incremental", "-p:PgDisciplineTreatWarningsAsErrors=true");
            Assert.NotEqual(0, code);
            Assert.Contains("error PGD101", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
