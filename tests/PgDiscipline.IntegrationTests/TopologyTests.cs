using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>Proves the local topology is what the rest of the suite assumes: real streaming replication and real
/// PgBouncer transaction pooling.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TopologyTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Row_written_on_primary_becomes_visible_on_each_replica()
    {
        await using (var primary = await OpenAsync(cluster.Primary))
        {
            await ExecAsync(primary, "create table if not exists topology_probe (id uuid primary key, at timestamptz not null default now())");
        }

        var id = Guid.NewGuid();
        await using (var primary = await OpenAsync(cluster.Primary))
        {
            await using var insert = new NpgsqlCommand("insert into topology_probe (id) values ($1)", primary);
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            await insert.ExecuteNonQueryAsync();
        }

        foreach (var replica in cluster.Replicas)
        {
            await using var conn = await OpenAsync(replica);
            await Eventually.UntilAsync(async () =>
            {
                await using var select = new NpgsqlCommand("select count(*) from topology_probe where id = $1", conn);
                select.Parameters.Add(new NpgsqlParameter { Value = id });
                return (long)(await select.ExecuteScalarAsync())! == 1;
            }, $"row {id} to reach replica {new NpgsqlConnectionStringBuilder(replica).Port}", poll: TimeSpan.FromMilliseconds(100));
        }
    }

    [Fact]
    public async Task Write_on_a_replica_fails_with_read_only_sqlstate()
    {
        foreach (var replica in cluster.Replicas)
        {
            await using var conn = await OpenAsync(replica);
            var ex = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync(conn, "create table must_fail (id int)"));
            Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, ex.SqlState); // 25006
        }
    }

    [Fact]
    public async Task Replicas_are_in_recovery_and_the_primary_is_not()
    {
        await using (var primary = await OpenAsync(cluster.Primary))
        {
            Assert.False(await ScalarAsync<bool>(primary, "select pg_is_in_recovery()"));
        }

        foreach (var replica in cluster.Replicas)
        {
            await using var conn = await OpenAsync(replica);
            Assert.True(await ScalarAsync<bool>(conn, "select pg_is_in_recovery()"));
            Assert.Equal("on", await ScalarAsync<string>(conn, "show hot_standby"));
        }
    }

    [Fact]
    public async Task Primary_lists_both_replicas_as_streaming()
    {
        await using var primary = await OpenAsync(cluster.Primary);
        await using var cmd = new NpgsqlCommand(
            "select application_name from pg_stat_replication where state = 'streaming' order by application_name", primary);
        var names = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["replica1", "replica2"], names);
    }

    [Fact]
    public async Task PgBouncer_is_in_transaction_mode_two_clients_share_one_server_connection()
    {
        // pool_size=1: in session mode the second client would wait for the first to disconnect.
        await using var a = await OpenAsync(Unpooled(cluster.PgBouncerSingle));
        await using var b = await OpenAsync(Unpooled(cluster.PgBouncerSingle));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var pidA = await ScalarAsync<int>(a, "select pg_backend_pid()", timeout.Token);
        var pidB = await ScalarAsync<int>(b, "select pg_backend_pid()", timeout.Token);
        Assert.Equal(pidA, pidB);
    }

    [Fact]
    public async Task Session_SET_through_PgBouncer_transaction_mode_leaks_to_another_client()
    {
        // This documents the problem PgDiscipline's PgBouncerTransaction timeout mode exists to avoid.
        const string leaked = "4321ms";
        try
        {
            await using (var a = await OpenAsync(Unpooled(cluster.PgBouncerSingle)))
            {
                await ExecAsync(a, $"set statement_timeout = '{leaked}'");
            }

            await using var b = await OpenAsync(Unpooled(cluster.PgBouncerSingle));
            Assert.Equal("4321ms", await ScalarAsync<string>(b, "show statement_timeout"));
        }
        finally
        {
            await using var reset = await OpenAsync(Unpooled(cluster.PgBouncerSingle));
            await ExecAsync(reset, "reset statement_timeout");
        }

        // Control: directly against PostgreSQL a session setting dies with its session.
        await using (var a = await OpenAsync(Unpooled(cluster.Primary)))
        {
            await ExecAsync(a, $"set statement_timeout = '{leaked}'");
        }

        await using var direct = await OpenAsync(Unpooled(cluster.Primary));
        Assert.Equal("0", await ScalarAsync<string>(direct, "show statement_timeout"));
    }

    private static string Unpooled(string cs) => new NpgsqlConnectionStringBuilder(cs) { Pooling = false }.ConnectionString;

    private static async Task<NpgsqlConnection> OpenAsync(string cs)
    {
        var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        return conn;
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql, CancellationToken ct = default)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
