using Npgsql;

namespace PgDiscipline.Testing;

/// <summary>
/// A ready test fixture: one <see cref="PgCluster"/> started by <see cref="InitializeAsync"/> and removed by
/// <see cref="DisposeAsync"/>, with no test framework of its own. For xunit (v2), declare
/// <c>public sealed class ClusterFixture : PgClusterFixture, IAsyncLifetime;</c> and use it as a class or collection
/// fixture; NUnit and MSTest call the two methods from their one-time set-up and tear-down. Override
/// <see cref="Configure"/> to change the defaults (2 replicas, PgBouncer, database/user/password <c>app</c>).
/// </summary>
public class PgClusterFixture
{
    private PgCluster? _cluster;

    /// <summary>The running cluster.</summary>
    public PgCluster Cluster => _cluster ?? throw new InvalidOperationException(
        "The cluster has not started: InitializeAsync() was not called, or it failed (its exception says why).");

    /// <summary>Starts the cluster (a failure removes what it made and says which setting to change).</summary>
    public async Task InitializeAsync()
    {
        var cluster = Configure(new PgClusterBuilder()).Build();
        await cluster.StartAsync().ConfigureAwait(false);
        _cluster = cluster;
    }

    /// <summary>Removes the cluster; nothing to do when it never started. Idle pooled connections to it are dropped.</summary>
    public async Task DisposeAsync()
    {
        if (_cluster is not { } cluster)
        {
            return;
        }

        _cluster = null;
        foreach (var connectionString in new[] { cluster.PrimaryConnectionString, cluster.StandbyConnectionString, cluster.PgBouncerConnectionString,
                     cluster.PgBouncerSingleConnectionString }.Concat(cluster.ReplicaConnectionStrings).OfType<string>())
        {
            await using var connection = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(connection);
        }

        await cluster.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The builder the cluster is made from (default: <see cref="PgClusterBuilder"/>'s defaults).</summary>
    protected virtual PgClusterBuilder Configure(PgClusterBuilder builder) => builder;
}
