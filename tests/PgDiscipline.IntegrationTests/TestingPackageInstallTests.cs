using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>What a user does with PgDiscipline.Testing: pack it (with the runtime) into a folder feed, <c>dotnet new
/// xunit</c>, <c>dotnet add package</c> from that feed, write the README's fixture, and <c>dotnet test</c>: the test starts a
/// primary + 2 replicas + PgBouncer in containers, proves a <c>ReadFromReplica()</c> read ran on a replica and that a
/// replica whose replay is paused is not used for Session reads. Needs the Docker engine and image build/test.sh sets up
/// (<c>PGD_TESTING_IMAGE</c>).</summary>
[Collection(ClusterCollection.Name)] // one at a time with the cluster tests: packing and a container cluster would compete for the 2 cores with timing-sensitive routing tests
public sealed class TestingPackageInstallTests
{
    private static readonly string[] Packed =
    [
        "src/PgDiscipline.Sql/PgDiscipline.Sql.csproj",
        "src/PgDiscipline.EntityFrameworkCore/PgDiscipline.EntityFrameworkCore.csproj",
        "src/PgDiscipline.Testing/PgDiscipline.Testing.csproj",
    ];

    [Fact]
    public async Task A_new_xunit_project_with_the_package_starts_a_container_cluster_and_proves_replica_routing()
    {
        var work = Directory.CreateTempSubdirectory("pgd-testing-install-").FullName;
        try
        {
            var feed = Path.Combine(work, "feed");
            var version = $"0.1.0-install.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
            var (packCode, packOutput) = await LocalFeed.PackAllAsync(Packed, feed, version, Path.Combine(work, "nuspec"));
            Assert.True(packCode == 0, packOutput);

            var app = Path.Combine(work, "AppTests");
            var (code, output) = await ProcessRunner.DotnetAsync(work, "new", "xunit", "-o", app, "--framework", "net10.0");
            Assert.True(code == 0, output);
            await LocalFeed.WriteNuGetConfigAsync(app, feed);
            foreach (var package in new[] { "PgDiscipline.Testing", "PgDiscipline.EntityFrameworkCore" })
            {
                (code, output) = await ProcessRunner.DotnetAsync(app, "add", "package", package, "--version", version);
                Assert.True(code == 0, output);
            }

            File.Delete(Path.Combine(app, "UnitTest1.cs"));
            // The README's example, as a user writes it.
            await File.WriteAllTextAsync(Path.Combine(app, "ReplicaRoutingTests.cs"), """
                using Microsoft.EntityFrameworkCore;
                using PgDiscipline;
                using PgDiscipline.Testing;

                public sealed class ClusterFixture : IAsyncLifetime
                {
                    public PgCluster Cluster { get; private set; } = null!;
                    public async Task InitializeAsync() => Cluster = await new PgClusterBuilder().WithReplicas(2).WithPgBouncer().StartAsync();
                    public async Task DisposeAsync() => await Cluster.DisposeAsync();
                }

                public sealed class AppDb(DbContextOptions<AppDb> options) : DbContext(options);

                public sealed class ReplicaRoutingTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
                {
                    [Fact]
                    public async Task Replica_reads_run_on_replicas_and_a_paused_replica_is_skipped_for_session_reads()
                    {
                        var cluster = fixture.Cluster;
                        var options = new DbContextOptionsBuilder<AppDb>()
                            .UseNpgsql(cluster.PgBouncerConnectionString)
                            .UsePgDiscipline(pg =>
                            {
                                pg.AddReplica(cluster.ReplicaConnectionStrings[0]);
                                pg.AddReplica(cluster.ReplicaConnectionStrings[1]);
                                pg.Pooler = PoolerMode.PgBouncerTransaction;
                            })
                            .Options;
                        await using var db = new AppDb(options);
                        await db.FindPgDisciplineRuntime()!.CheckReplicasNowAsync();

                        var where = "select pg_is_in_recovery() as \"Value\"";
                        Assert.True((await db.Database.SqlQueryRaw<bool>(where).ReadFromReplica().ToListAsync()).Single());
                        Assert.False((await db.Database.SqlQueryRaw<bool>(where).ReadFromPrimary("the test's own check").ToListAsync()).Single());

                        await cluster.PauseReplayAsync(0);
                        try
                        {
                            await db.Database.ExecuteSqlRawAsync("create table if not exists t (id serial primary key); insert into t default values");
                            var port = "select inet_server_port() as \"Value\"";
                            var paused = new Npgsql.NpgsqlConnectionStringBuilder(cluster.ReplicaConnectionStrings[0]).Port;
                            for (var i = 0; i < 20; i++)
                            {
                                Assert.NotEqual(paused, (await db.Database.SqlQueryRaw<int>(port).ReadFromReplica().ToListAsync()).Single());
                            }
                        }
                        finally
                        {
                            await cluster.ResumeReplayAsync(0);
                        }
                    }
                }
                """);

            (code, output) = await ProcessRunner.DotnetAsync(app, "test", "-c", "Release", "-nologo");
            Assert.True(code == 0, output);
            Assert.Contains("Passed!", output, StringComparison.Ordinal);
            Assert.Matches(@"Failed:\s+0, Passed:\s+1,", output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
