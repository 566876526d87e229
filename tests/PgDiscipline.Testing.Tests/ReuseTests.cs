using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.Testing.Tests;

/// <summary>WithReuse: the containers outlive the cluster object and the next start with the same configuration finds
/// them (same containers, same data), with the last run's faults undone.</summary>
public sealed class ReuseTests
{
    [Fact]
    public async Task A_reused_cluster_is_found_again_with_its_data_and_without_the_last_runs_faults()
    {
        // A setting of its own: no other test's reused cluster has this configuration.
        var builder = new PgClusterBuilder().WithReplicas(1).WithPgBouncer(false).WithSetting("application_name", "reuse-test").WithReuse();
        var first = builder.Build();
        try
        {
            await first.StartAsync();
            await Execute(first.PrimaryConnectionString, "create table if not exists reused (id int); insert into reused values (1)");
            await first.PauseReplayAsync(0);
            await first.StopReplicaAsync(0);
            var primaryId = first.Primary.Container.Id;
            await first.DisposeAsync(); // keeps the containers

            var second = builder.Build();
            await second.StartAsync();
            Assert.Equal(primaryId, second.Primary.Container.Id);
            Assert.Equal(1L, await Scalar(second.PrimaryConnectionString, "select count(*) from reused"));
            Assert.Equal("not paused", await Scalar(second.ReplicaConnectionStrings[0], "select pg_get_wal_replay_pause_state()"));
            await second.WaitForReplayAsync(0);
            Assert.Equal(1L, await Scalar(second.ReplicaConnectionStrings[0], "select count(*) from reused"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await DockerHousekeeping.RemoveClusterAsync(null, first.Id, CancellationToken.None);
        }
    }

    private static async Task<object?> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static Task Execute(string connectionString, string sql) => Scalar(connectionString, sql);
}
