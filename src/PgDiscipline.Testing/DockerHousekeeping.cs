using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;

namespace PgDiscipline.Testing;

/// <summary>
/// Removes this package's containers and networks through the Docker API when Testcontainers' resource reaper (Ryuk) is
/// off: Testcontainers then only stops a disposed container, and a killed test run leaves its cluster running. At start,
/// clusters whose owning process is gone (same machine, pid not running or started at another time) are removed;
/// clusters of live processes (parallel test runs) and reused clusters are left alone.
/// </summary>
internal static class DockerHousekeeping
{
    public static bool ReaperEnabled => TestcontainersSettings.ResourceReaperEnabled;

    /// <summary>Removes leftovers of killed runs; returns how many containers it removed.</summary>
    public static async Task<int> RemoveLeftoversAsync(string? endpoint, CancellationToken ct)
    {
        using var client = Client(endpoint);
        if (client is null)
        {
            return 0;
        }

        var containers = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = LabelFilter(PgCluster.Label) }, ct)
            .ConfigureAwait(false);
        var leftovers = containers
            .Where(c => c.Labels is not null && c.Labels.TryGetValue(ClusterContainers.OwnerLabel, out var owner) && IsGone(owner))
            .ToList();
        foreach (var container in leftovers)
        {
            await RemoveContainerAsync(client, container.ID, ct).ConfigureAwait(false);
        }

        var networks = await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = LabelFilter(PgCluster.Label) }, ct).ConfigureAwait(false);
        foreach (var network in networks.Where(n => n.Labels is not null && n.Labels.TryGetValue(ClusterContainers.OwnerLabel, out var owner) && IsGone(owner)))
        {
            await RemoveNetworkAsync(client, network.ID, ct).ConfigureAwait(false);
        }

        return leftovers.Count;
    }

    /// <summary>Removes every container and network of one cluster (after Testcontainers' dispose stopped them).</summary>
    public static async Task RemoveClusterAsync(string? endpoint, string clusterId, CancellationToken ct)
    {
        using var client = Client(endpoint);
        if (client is null)
        {
            return;
        }

        var filter = LabelFilter($"{PgCluster.Label}={clusterId}");
        foreach (var container in await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, ct).ConfigureAwait(false))
        {
            await RemoveContainerAsync(client, container.ID, ct).ConfigureAwait(false);
        }

        foreach (var network in await client.Networks.ListNetworksAsync(new NetworksListParameters { Filters = filter }, ct).ConfigureAwait(false))
        {
            await RemoveNetworkAsync(client, network.ID, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The images of <paramref name="images"/> that are not on the engine (after a failed start: a pull that
    /// failed is the likely cause). Empty when the engine cannot be asked.</summary>
    public static async Task<IReadOnlyList<string>> MissingImagesAsync(string? endpoint, IEnumerable<string> images, CancellationToken ct)
    {
        using var client = Client(endpoint);
        var missing = new List<string>();
        if (client is null)
        {
            return missing;
        }

        foreach (var image in images.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await client.Images.InspectImageAsync(image, ct).ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                missing.Add(image);
            }
        }

        return missing;
    }

    /// <summary>An owner label (<c>machine/pid/start-ticks</c>) of this machine whose process is no longer running.</summary>
    internal static bool IsGone(string owner)
    {
        var parts = owner.Split('/');
        if (parts.Length != 3 || parts[0] != Environment.MachineName
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var started))
        {
            return false; // another machine's, a reused cluster, or not ours to judge
        }

        // No such process, or the pid now belongs to a process that started at another time.
        return ClusterContainers.ProcessStart(pid) != started;
    }

    private static DockerClient? Client(string? endpoint)
    {
        IDockerEndpointAuthenticationConfiguration? config = endpoint is not null
            ? new DockerEndpointAuthenticationConfiguration(new Uri(endpoint))
            : TestcontainersSettings.OS.DockerEndpointAuthConfig;
        return config?.GetDockerClientBuilder().Build() as DockerClient;
    }

    private static Dictionary<string, IDictionary<string, bool>> LabelFilter(string label)
        => new(StringComparer.Ordinal) { ["label"] = new Dictionary<string, bool>(StringComparer.Ordinal) { [label] = true } };

    private static async Task RemoveContainerAsync(DockerClient client, string id, CancellationToken ct)
    {
        try
        {
            await client.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    private static async Task RemoveNetworkAsync(DockerClient client, string id, CancellationToken ct)
    {
        try
        {
            await client.Networks.DeleteNetworkAsync(id, ct).ConfigureAwait(false);
        }
        catch (DockerApiException)
        {
            // Gone already, or still in use by a container another run is removing: the next start tries again.
        }
    }
}
