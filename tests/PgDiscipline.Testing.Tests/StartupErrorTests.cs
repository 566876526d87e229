using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using PgDiscipline.Testing;

namespace PgDiscipline.Testing.Tests;

/// <summary>Start-up failures on a real Docker engine: each error names the setting to change, a container that exits
/// fails the start at once, and nothing is left behind. Alone in its collection: one test switches Testcontainers'
/// process-wide reaper setting.</summary>
[Collection(StartupErrorCollection.Name)]
public sealed class StartupErrorTests
{
    private static string Image => Environment.GetEnvironmentVariable(PgClusterBuilder.ImageVariable) is { Length: > 0 } image
        ? image
        : throw new InvalidOperationException("Set PGD_TESTING_IMAGE to a local image (build/test.sh does: build/image.sh).");

    [Fact]
    public async Task A_missing_image_names_PGD_TESTING_IMAGE_and_the_image()
    {
        var cluster = new PgClusterBuilder("pgdiscipline/no-such-image:0").WithReplicas(0).WithPgBouncer(false).Build();
        var ex = await Assert.ThrowsAsync<PgClusterStartupException>(() => cluster.StartAsync());
        Assert.Equal("PGD_TESTING_IMAGE", ex.Setting);
        Assert.Contains("pgdiscipline/no-such-image:0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("tools/image/build-image.sh", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await DockerProbe.ContainersAsync());
    }

    [Fact]
    public async Task An_image_without_pgbouncer_fails_at_once_naming_WithPgBouncerImage()
    {
        var withoutPgBouncer = "pgdiscipline/test-without-pgbouncer:1";
        var directory = Directory.CreateTempSubdirectory("pgd-no-pgbouncer-");
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "Dockerfile"), $"FROM {Image}\nRUN rm -f /usr/sbin/pgbouncer\n");
        await new ImageFromDockerfileBuilder().WithDockerfileDirectory(directory.FullName).WithName(withoutPgBouncer)
            .WithCleanUp(false).WithDeleteIfExists(false).Build().CreateAsync();
        directory.Delete(recursive: true);

        // A long start-up timeout: the error must come from the exited container, not from waiting it out.
        var cluster = new PgClusterBuilder(withoutPgBouncer).WithReplicas(0).WithStartupTimeout(TimeSpan.FromMinutes(10)).Build();
        var ex = await Assert.ThrowsAsync<PgClusterStartupException>(() => cluster.StartAsync());
        Assert.True(ex.Setting == "WithPgBouncerImage", ex.ToString());
        Assert.Contains("has no pgbouncer", ex.Message, StringComparison.Ordinal);
        Assert.Contains("WithPgBouncer(false)", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await DockerProbe.ContainersAsync());
    }

    [Fact]
    public async Task A_reaper_that_cannot_start_names_TESTCONTAINERS_RYUK_DISABLED()
    {
        var was = TestcontainersSettings.ResourceReaperEnabled;
        TestcontainersSettings.ResourceReaperEnabled = true;
        try
        {
            var cluster = new PgClusterBuilder(Image).WithReplicas(0).WithPgBouncer(false).Build();
            var ex = await Assert.ThrowsAsync<PgClusterStartupException>(() => cluster.StartAsync());
            Assert.Equal("TESTCONTAINERS_RYUK_DISABLED", ex.Setting);
            Assert.Contains("TESTCONTAINERS_RYUK_DISABLED=true", ex.Message, StringComparison.Ordinal);
            Assert.Contains("Ryuk", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            TestcontainersSettings.ResourceReaperEnabled = was;
        }

        Assert.Empty(await DockerProbe.ContainersAsync());
    }

    [Fact]
    public async Task Without_the_reaper_a_killed_runs_containers_and_network_are_removed_and_a_live_runs_are_kept()
    {
        Assert.False(TestcontainersSettings.ResourceReaperEnabled, "these tests run with TESTCONTAINERS_RYUK_DISABLED=true");
        var dead = ClusterContainers.Owner(Environment.MachineName, int.MaxValue - 7, 42);
        var leftover = await DockerProbe.SleeperAsync(Image, "leftover0001", dead, withNetwork: true);
        var live = await DockerProbe.SleeperAsync(Image, "liveowner001", ClusterContainers.CurrentOwner, withNetwork: false);
        try
        {
            Assert.Equal(1, await DockerHousekeeping.RemoveLeftoversAsync(null, CancellationToken.None));
            var left = await DockerProbe.ContainersAsync();
            Assert.DoesNotContain(left, c => c.ID == leftover);
            Assert.Contains(left, c => c.ID == live);
            Assert.Empty(await DockerProbe.NetworksAsync("leftover0001"));
        }
        finally
        {
            await DockerHousekeeping.RemoveClusterAsync(null, "liveowner001", CancellationToken.None);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StartupErrorCollection
{
    public const string Name = "startup errors";
}

/// <summary>The Docker engine as the tests see it (the same client Testcontainers uses).</summary>
internal static class DockerProbe
{
    public static async Task<IList<ContainerListResponse>> ContainersAsync()
    {
        using var client = TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder().Build();
        return await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = Filter(PgCluster.Label) });
    }

    public static async Task<IList<NetworkResponse>> NetworksAsync(string clusterId)
    {
        using var client = TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder().Build();
        return await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = Filter($"{PgCluster.Label}={clusterId}") });
    }

    /// <summary>A container (and optionally a network) labelled as a cluster of <paramref name="owner"/>; returns its id.</summary>
    public static async Task<string> SleeperAsync(string image, string clusterId, string owner, bool withNetwork)
    {
        using var client = TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder().Build();
        var labels = new Dictionary<string, string> { [PgCluster.Label] = clusterId, [ClusterContainers.OwnerLabel] = owner };
        if (withNetwork)
        {
            await client.Networks.CreateNetworkAsync(new NetworksCreateParameters { Name = "pgdiscipline-" + clusterId, Labels = labels });
        }

        var created = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = image,
            Name = $"pgdiscipline-{clusterId}-primary",
            Labels = labels,
            Entrypoint = ["sleep", "600"],
        });
        await client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }

    private static Dictionary<string, IDictionary<string, bool>> Filter(string label) => new() { ["label"] = new Dictionary<string, bool> { [label] = true } };
}
