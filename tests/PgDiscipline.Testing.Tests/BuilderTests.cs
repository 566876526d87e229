using PgDiscipline.Testing;

namespace PgDiscipline.Testing.Tests;

/// <summary>What needs no Docker engine: the builder's immutability and defaults, bad input and a missing engine give
/// clear errors.</summary>
public sealed class BuilderTests
{
    [Fact]
    public async Task A_missing_Docker_engine_says_what_to_install_and_where_it_looked()
    {
        var endpoint = "unix:///tmp/pgdiscipline-no-such-docker.sock";
        var cluster = new PgClusterBuilder("any:tag").WithDockerEndpoint(endpoint).WithStartupTimeout(TimeSpan.FromSeconds(30)).Build();
        var ex = await Assert.ThrowsAsync<DockerEngineUnavailableException>(() => cluster.StartAsync());
        Assert.Contains(endpoint, ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install docker.io", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DOCKER_HOST", ex.Message, StringComparison.Ordinal);
        Assert.Equal(endpoint, ex.Endpoint);
        await cluster.DisposeAsync(); // after a failed start: nothing left, no second error
    }

    [Fact]
    public void Each_With_returns_a_new_builder_over_a_merged_configuration_and_leaves_the_old_one_as_it_was()
    {
        var defaults = new PgClusterBuilder("postgres:16");
        var changed = defaults.WithReplicas(3).WithPgBouncer(false).WithDatabase("orders").WithSetting("work_mem", "8MB").WithSetting("work_mem", "16MB");
        Assert.NotSame(defaults, changed);
        Assert.Equal((2, true, "app", "app", "app", false, "postgres:16"), (defaults.Configuration.Replicas, defaults.Configuration.PgBouncer,
            defaults.Configuration.Database, defaults.Configuration.Username, defaults.Configuration.Password, defaults.Configuration.SynchronousStandby,
            defaults.Configuration.Image));
        Assert.Equal(TimeSpan.FromMinutes(3), defaults.Configuration.StartupTimeout);
        Assert.Empty(defaults.Configuration.Settings);
        Assert.Equal((3, false, "orders", "app"), (changed.Configuration.Replicas, changed.Configuration.PgBouncer, changed.Configuration.Database,
            changed.Configuration.Username));
        Assert.Equal(["work_mem=8MB", "work_mem=16MB"], changed.Configuration.Settings.Select(s => s.Key + "=" + s.Value));

        var merged = new PgClusterConfiguration(new PgClusterConfiguration(replicas: 1, username: "u"), new PgClusterConfiguration(replicas: 4));
        Assert.Equal((4, "u"), (merged.Replicas, merged.Username));
    }

    [Fact]
    public void The_image_comes_from_the_code_then_PGD_TESTING_IMAGE_then_the_official_default()
    {
        Assert.Equal("mine:1", new PgClusterBuilder("mine:1").Configuration.Image);
        Assert.Equal("mine:2", new PgClusterBuilder().WithImage("mine:2").Configuration.Image);
        var fromEnvironment = Environment.GetEnvironmentVariable(PgClusterBuilder.ImageVariable);
        Assert.Equal(string.IsNullOrEmpty(fromEnvironment) ? PgClusterBuilder.DefaultImage : fromEnvironment, new PgClusterBuilder().Configuration.Image);
        Assert.True(ClusterContainers.IsOfficialPostgresImage("postgres:15-bookworm"));
        Assert.True(ClusterContainers.IsOfficialPostgresImage("docker.io/library/postgres:17-alpine"));
        Assert.False(ClusterContainers.IsOfficialPostgresImage("pgdiscipline/postgres-pgbouncer:15-bookworm-local"));
    }

    [Fact]
    public void Invalid_builder_input_is_refused_naming_the_argument()
    {
        var builder = new PgClusterBuilder();
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => builder.WithReplicas(-1)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => builder.WithReplicas(9)).ParamName);
        Assert.Equal("password", Assert.Throws<ArgumentException>(() => builder.WithPassword("a\"b")).ParamName);
        Assert.Equal("database", Assert.Throws<ArgumentException>(() => builder.WithDatabase("app; drop")).ParamName);
        Assert.Equal("username", Assert.Throws<ArgumentException>(() => builder.WithUsername("a b")).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => builder.WithSetting("x=y", "1")).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentException>(() => builder.WithSetting("work_mem", "1\nfsync=off")).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => builder.WithImage(" ")).ParamName);
        Assert.Equal("timeout", Assert.Throws<ArgumentOutOfRangeException>(() => builder.WithStartupTimeout(TimeSpan.Zero)).ParamName);
    }

    [Fact]
    public void A_cluster_that_has_not_started_says_so()
    {
        var cluster = new PgClusterBuilder().Build();
        Assert.Contains("StartAsync", Assert.Throws<InvalidOperationException>(() => cluster.PrimaryConnectionString).Message, StringComparison.Ordinal);
        Assert.Contains("InitializeAsync", Assert.Throws<InvalidOperationException>(() => new PgClusterFixture().Cluster).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_what_never_started_is_a_no_op()
    {
        await new PgClusterFixture().DisposeAsync();          // a fixture whose InitializeAsync failed: no second error
        await new PgClusterBuilder().Build().DisposeAsync();
    }

    [Fact]
    public void Lock_targets_are_quoted_identifiers()
    {
        Assert.Equal("\"orders\"", PgCluster.QualifiedName("orders"));
        Assert.Equal("\"public\".\"Messages\"", PgCluster.QualifiedName("public.Messages"));
        Assert.Equal("\"a\"\"; drop table x; --\"", PgCluster.QualifiedName("a\"; drop table x; --"));
        Assert.Throws<ArgumentException>(() => PgCluster.QualifiedName("a.b.c"));
        Assert.Throws<ArgumentException>(() => PgCluster.QualifiedName("a."));
    }

    [Fact]
    public void A_leftover_is_a_container_of_this_machine_whose_process_is_gone()
    {
        Assert.False(DockerHousekeeping.IsGone(ClusterContainers.CurrentOwner));
        Assert.True(DockerHousekeeping.IsGone(ClusterContainers.Owner(Environment.MachineName, Environment.ProcessId, 1)));  // pid reused by another process
        Assert.True(DockerHousekeeping.IsGone(ClusterContainers.Owner(Environment.MachineName, int.MaxValue - 1, 1)));  // no such process
        Assert.False(DockerHousekeeping.IsGone(ClusterContainers.Owner("another-machine", int.MaxValue - 1, 1)));   // not ours to judge
        Assert.False(DockerHousekeeping.IsGone("reuse"));
    }
}
