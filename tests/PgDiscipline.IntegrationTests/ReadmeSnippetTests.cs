using System.Text.RegularExpressions;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>README.md's C# compiles as written, with its own <c>using</c> lines: every csharp block there is a file
/// (<c>&lt;!-- file: X.cs --&gt;</c>) of a new ASP.NET Core project that references the runtime as a user's would
/// (the project sits outside the repository: no shared build settings, implicit usings as <c>dotnet new web</c> sets
/// them), and <c>dotnet build</c> must succeed.</summary>
public sealed partial class ReadmeSnippetTests
{
    [Fact]
    public async Task Every_csharp_block_of_the_README_is_a_file_of_a_project_that_builds()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepoPaths.RepoRoot, "README.md"));
        var files = FileBlock().Matches(readme).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["code"].Value, StringComparer.Ordinal);
        Assert.Equal(CsharpBlock().Matches(readme).Count, files.Count); // no csharp block escapes this test
        Assert.Contains("Program.cs", files.Keys);

        var work = Directory.CreateTempSubdirectory("pgd-readme-").FullName;
        try
        {
            var runtime = Path.Combine(RepoPaths.RepoRoot, "src", "PgDiscipline.EntityFrameworkCore", "PgDiscipline.EntityFrameworkCore.csproj");
            await File.WriteAllTextAsync(Path.Combine(work, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk.Web">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{runtime}" />
                  </ItemGroup>
                </Project>
                """);
            foreach (var (name, code) in files)
            {
                await File.WriteAllTextAsync(Path.Combine(work, name), code);
            }

            var (exit, output) = await ProcessRunner.DotnetAsync(work, "build", "-c", RepoPaths.Configuration, "-nologo", "-v:q", "-clp:ErrorsOnly");
            Assert.True(exit == 0, output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [GeneratedRegex(@"<!-- file: (?<name>[A-Za-z0-9_.]+) -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex FileBlock();

    [GeneratedRegex(@"^```csharp$", RegexOptions.Multiline)]
    private static partial Regex CsharpBlock();
}
