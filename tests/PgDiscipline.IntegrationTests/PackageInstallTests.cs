using PgDiscipline.Testing;
using System.IO.Compression;
using System.Text.RegularExpressions;

namespace PgDiscipline.IntegrationTests;

/// <summary>What a user does with the packages: pack the four packages into a folder feed, `dotnet new console`,
/// `dotnet add package` from that feed, build (an analyzer diagnostic shows), run (the runtime registers from
/// configuration and routes a read to a replica of the local cluster), and `dotnet tool install` the CLI.</summary>
[Collection(ClusterCollection.Name)]
public sealed partial class PackageInstallTests(ClusterFixture cluster)
{
    private static readonly string[] Packed =
    [
        "src/PgDiscipline.Sql/PgDiscipline.Sql.csproj",
        "src/PgDiscipline.Operations/PgDiscipline.Operations.csproj",
        "src/PgDiscipline.EntityFrameworkCore/PgDiscipline.EntityFrameworkCore.csproj",
        "src/PgDiscipline.Analyzers.Package/PgDiscipline.Analyzers.Package.csproj",
        "src/PgDiscipline.Cli/PgDiscipline.Cli.csproj",
    ];

    private static Task<(int Code, string Output)> Run(string workingDirectory, string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
        => ProcessRunner.RunAsync(file, args, workingDirectory, env);

    private static Task<(int Code, string Output)> Dotnet(string workingDirectory, params string[] args) => ProcessRunner.DotnetAsync(workingDirectory, args);

    [Fact]
    public async Task Packages_install_from_a_folder_feed_into_a_new_app_that_builds_with_diagnostics_routes_reads_and_runs_the_tool()
    {
        var work = Directory.CreateTempSubdirectory("pgd-install-").FullName;
        try
        {
            // 1. Pack (from the solution's build output) into a folder feed.
            var feed = Path.Combine(work, "feed");
            var version = $"0.1.0-install.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
            var (packCode, packOutput) = await LocalFeed.PackAllAsync(Packed, feed, version, Path.Combine(work, "nuspec"));
            Assert.True(packCode == 0, packOutput);

            foreach (var id in new[] { "PgDiscipline.Sql", "PgDiscipline.Operations", "PgDiscipline.EntityFrameworkCore", "PgDiscipline.Analyzers", "PgDiscipline.Cli" })
            {
                using var zip = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.nupkg"));
                Assert.Contains(zip.Entries, e => e.FullName == "README.md");
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                var text = await nuspec.ReadToEndAsync();
                Assert.Contains("<license type=\"expression\">MIT</license>", text, StringComparison.Ordinal);
                Assert.Contains("<readme>README.md</readme>", text, StringComparison.Ordinal);
                Assert.DoesNotContain("<icon>", text, StringComparison.Ordinal);
                if (id == "PgDiscipline.EntityFrameworkCore")
                {
                    // The runtime calls internals of PgDiscipline.Operations: it depends on exactly its own version.
                    Assert.Contains($"<dependency id=\"PgDiscipline.Operations\" version=\"[{version}]\"", text, StringComparison.Ordinal);
                }

                if (id == "PgDiscipline.Cli")
                {
                    // The tool carries the SQL core and the operations assembly, no EF Core runtime (issue 37).
                    Assert.Contains(zip.Entries, e => e.Name == "PgDiscipline.Operations.dll");
                    Assert.DoesNotContain(zip.Entries, e => e.Name.Contains("EntityFrameworkCore", StringComparison.Ordinal));
                }
            }

            // 2. A new app from the template, packages added from the feed the way the README says.
            var app = Path.Combine(work, "PkgApp");
            var (code, output) = await Dotnet(work, "new", "console", "-o", app, "--framework", "net10.0");
            Assert.True(code == 0, output);
            await LocalFeed.WriteNuGetConfigAsync(app, feed);
            foreach (var (package, packageVersion) in new[] { ("PgDiscipline.EntityFrameworkCore", version), ("PgDiscipline.Analyzers", version), ("Microsoft.Extensions.Hosting", "10.0.0") })
            {
                (code, output) = await Dotnet(app, "add", "package", package, "--version", packageVersion);
                Assert.True(code == 0, output);
            }

            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
                using Microsoft.EntityFrameworkCore;
                using Microsoft.Extensions.Configuration;
                using Microsoft.Extensions.DependencyInjection;
                using Microsoft.Extensions.Hosting;
                using PgDiscipline;

                var builder = Host.CreateApplicationBuilder(args);
                builder.Services.AddPgDiscipline(builder.Configuration.GetSection("PgDiscipline"));
                builder.Services.AddDbContext<AppDb>((sp, o) => o.UseNpgsql(builder.Configuration.GetConnectionString("Primary")).UsePgDiscipline(sp));
                using var host = builder.Build();
                await using var scope = host.Services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<AppDb>();
                await db.FindPgDisciplineRuntime()!.CheckReplicasNowAsync(); // the first health check, instead of waiting for it
                var onReplica = (await db.Database.SqlQueryRaw<int>("select inet_server_port() as \"Value\"").ReadFromReplica().ToListAsync()).Single();
                var onPrimary = (await db.Database.SqlQueryRaw<int>("select inet_server_port() as \"Value\"").ReadFromPrimary("install test").ToListAsync()).Single();
                Console.WriteLine($"replica-read-port={onReplica}");
                Console.WriteLine($"primary-read-port={onPrimary}");

                public sealed class AppDb(DbContextOptions<AppDb> options) : DbContext(options);
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Reports.cs"), """
                using Microsoft.EntityFrameworkCore;
                using PgDiscipline;
                public class User { public int Id { get; set; } public Team Team { get; set; } = null!; public List<Order> Orders { get; set; } = new(); }
                public class Team { public int Id { get; set; } public Company Company { get; set; } = null!; }
                public class Company { public int Id { get; set; } public Country Country { get; set; } = null!; }
                public class Country { public int Id { get; set; } }
                public class Order { public int Id { get; set; } }
                public class ReportingDb : DbContext { public DbSet<User> Users => Set<User>(); }
                public static class Reports
                {
                    public static Task<List<User>> Heavy(ReportingDb db) =>
                        db.Users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country).Include(u => u.Orders).ReadFromPrimary("report").ToListAsync();
                }
                """);

            // 3. Build: the analyzer from the package reports the 4-join query.
            (code, output) = await Dotnet(app, "build", "-nologo", "-c", "Release");
            Assert.True(code == 0, output);
            Assert.Contains("warning PGD101", output, StringComparison.Ordinal);

            // 4. Run against the local cluster, configured the way an app is (environment variables over appsettings).
            var env = new Dictionary<string, string>
            {
                ["ConnectionStrings__Primary"] = cluster.Primary,
                ["PgDiscipline__Replicas__0__ConnectionString"] = cluster.Replicas[0],
                ["PgDiscipline__Replicas__1__ConnectionString"] = cluster.Replicas[1],
                ["PgDiscipline__Timeouts__Statement"] = "00:00:05",
            };
            (code, output) = await Run(app, "dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "PkgApp.dll")], env);
            Assert.True(code == 0, output);
            var replicaPort = int.Parse(PortLine().Match(output).Groups["replica"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var primaryPort = int.Parse(PrimaryLine().Match(output).Groups["primary"].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(replicaPort, cluster.ReplicaPorts);
            Assert.Equal(cluster.PrimaryPort, primaryPort);

            // Invalid configuration fails at startup, naming the key.
            env["PgDiscipline__MaxReplicaLag"] = "-00:00:01";
            (code, output) = await Run(app, "dotnet", [Path.Combine(app, "bin", "Release", "net10.0", "PkgApp.dll")], env);
            Assert.NotEqual(0, code);
            Assert.Contains("MaxReplicaLag", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Password=pgdiscipline", output, StringComparison.Ordinal);

            // 5. The dotnet tool.
            var tools = Path.Combine(work, "tools");
            (code, output) = await Dotnet(work, "tool", "install", "PgDiscipline.Cli", "--tool-path", tools, "--add-source", feed, "--version", version);
            Assert.True(code == 0, output);
            (code, output) = await Run(work, Path.Combine(tools, "pgdiscipline"), ["--version"]);
            Assert.True(code == 0, output);
            Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
            (code, output) = await Run(work, Path.Combine(tools, "pgdiscipline"), ["fingerprint", "select * from users where email = 'someone@example.com'"]);
            Assert.True(code == 0, output);
            Assert.Contains("where email = ?", output, StringComparison.Ordinal);
            Assert.DoesNotContain("someone@example.com", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [GeneratedRegex(@"replica-read-port=(?<replica>\d+)")]
    private static partial Regex PortLine();

    [GeneratedRegex(@"primary-read-port=(?<primary>\d+)")]
    private static partial Regex PrimaryLine();
}
