using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.Testing.Tests;

/// <summary>Promotion changes the topology for good: its own small cluster (primary + synchronous standby).</summary>
public sealed class FailoverClusterTests
{
    private static async Task<object?> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task The_synchronous_standby_has_every_committed_write_and_accepts_writes_once_promoted()
    {
        await using var cluster = new PgClusterBuilder().WithReplicas(0).WithPgBouncer(false).WithSynchronousStandby().Build();
        await cluster.StartAsync();
        Assert.Empty(cluster.ReplicaConnectionStrings);
        Assert.Null(cluster.PgBouncerConnectionString);
        Assert.Equal("sync", await Scalar(cluster.PrimaryConnectionString, "select sync_state from pg_stat_replication where application_name = 'standby'"));

        await Scalar(cluster.PrimaryConnectionString, "create table acked (id int primary key); insert into acked select generate_series(1, 100); select 1");
        await cluster.StopPrimaryAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => Scalar(cluster.PrimaryConnectionString, "select 1"));

        await cluster.PromoteStandbyAsync();
        Assert.Equal(false, await Scalar(cluster.StandbyConnectionString!, "select pg_is_in_recovery()"));
        // Synchronous replication: every write the old primary acknowledged is on the promoted standby.
        Assert.Equal(100L, await Scalar(cluster.StandbyConnectionString!, "select count(*) from acked"));
        Assert.Equal(1, await Scalar(cluster.StandbyConnectionString!, "insert into acked values (101); select 1"));
    }
}
