using System.Text.Json;
using Npgsql;
using PgDiscipline.Cli;
using PgDiscipline.Sql;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary><c>pgdiscipline doctor</c> against the real cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DoctorTests(ClusterFixture cluster)
{
    private static async Task<(int Code, JsonElement Checks, string Raw)> Doctor(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(["doctor", "--format", "json", .. args], output, error, CancellationToken.None);
        var raw = output.ToString() + error.ToString();
        var checks = output.ToString().Length > 0 ? JsonDocument.Parse(output.ToString()).RootElement.GetProperty("checks") : default;
        return (code, checks, raw);
    }

    private static JsonElement Find(JsonElement checks, string prefix)
        => checks.EnumerateArray().Single(c => c.GetProperty("check").GetString()!.StartsWith(prefix, StringComparison.Ordinal));

    [Fact]
    public async Task Healthy_cluster_passes_and_top_queries_carry_fingerprints_but_no_literal_values()
    {
        await using (var conn = new NpgsqlConnection(cluster.Primary))
        {
            await conn.OpenAsync();
            // From a clean slate: on a cluster that earlier runs used, heavier statements would fill the top 50.
            await using (var reset = new NpgsqlCommand("select pg_stat_statements_reset()", conn))
            {
                await reset.ExecuteNonQueryAsync();
            }

            await using var cmd = new NpgsqlCommand("select count(*) from pg_class where relname = 'doctor-secret@example.com'", conn);
            for (var i = 0; i < 50; i++)
            {
                await cmd.ExecuteScalarAsync();
            }
        }

        var (code, checks, raw) = await Doctor("--connection", cluster.Primary, "--replica", cluster.Replicas[0], "--replica", cluster.Replicas[1], "--top", "50");
        Assert.True(code == 0, raw);
        Assert.Equal("ok", Find(checks, "primary").GetProperty("status").GetString());
        Assert.Equal(2, Find(checks, "replication").GetProperty("data").GetArrayLength());
        Assert.Equal(2, checks.EnumerateArray().Count(c => c.GetProperty("check").GetString()!.StartsWith("replica ", StringComparison.Ordinal) && c.GetProperty("status").GetString() == "ok"));
        // The replication tree: the primary and both replicas, each streaming from the primary, one writer.
        var topology = Find(checks, "topology");
        Assert.Equal("ok", topology.GetProperty("status").GetString());
        Assert.StartsWith("3 servers, 1 primary (timeline ", topology.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var nodes = topology.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["primary", "standby", "standby"], nodes.Select(n => n.GetProperty("role").GetString()));
        Assert.All(nodes.Skip(1), n => Assert.Equal(nodes[0].GetProperty("server").GetString(), n.GetProperty("upstream").GetString()));
        var expected = SqlFingerprint.Compute("select count(*) from pg_class where relname = $1").ToString();
        Assert.Contains(Find(checks, "pg_stat_statements").GetProperty("data").EnumerateArray(), q => q.GetProperty("fingerprint").GetString() == expected);
        Assert.DoesNotContain("doctor-secret", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", raw, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Paused_replay_fails_the_lag_check()
    {
        await ClusterFixture.PauseReplayAsync(cluster.Replicas[0]);
        try
        {
            // A commit the paused replica cannot replay: it is behind the primary and not replaying, which fails the check
            // whatever the lag measured so far (no need to let the lag grow past --max-lag).
            await ClusterFixture.ScalarAsync(cluster.Primary, "create table if not exists doctor_probe (id int); insert into doctor_probe values (1)");
            var (code, checks, raw) = await Doctor("--connection", cluster.Primary, "--replica", cluster.Replicas[0], "--max-lag", "00:00:00.2");
            Assert.True(code == 1, raw);
            var replica = checks.EnumerateArray().Single(c => c.GetProperty("check").GetString()!.StartsWith("replica ", StringComparison.Ordinal));
            Assert.Equal("fail", replica.GetProperty("status").GetString());
            Assert.Contains("PAUSED", replica.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_wal_replay_resume()");
        }
    }

    [Fact]
    public async Task Idle_in_transaction_sessions_are_reported_by_pid_and_unreachable_replicas_fail_without_echoing_passwords()
    {
        await using var idle = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.Primary) { Pooling = false }.ConnectionString);
        await idle.OpenAsync();
        await using var tx = await idle.BeginTransactionAsync();
        await using (var cmd = new NpgsqlCommand("select 1", idle, tx))
        {
            await cmd.ExecuteScalarAsync();
        }

        // Idle in its transaction for more than the 1 s threshold, by the server's clock (what doctor reads).
        await Eventually.UntilAsync(async () => (bool)(await ClusterFixture.ScalarAsync(cluster.Primary,
                $"select coalesce(bool_or(clock_timestamp() - state_change > interval '1.2 s'), false) from pg_stat_activity where pid = {idle.ProcessID}"))!,
            "the session to be idle in its transaction for over a second", poll: TimeSpan.FromMilliseconds(100));
        var (code, checks, raw) = await Doctor("--connection", cluster.Primary, "--long-running", "00:00:01", "--replica", "Host=127.0.0.1;Port=1;Username=u;Password=hunter2;Timeout=2");
        Assert.True(code == 1, raw); // the unreachable replica fails the run
        var sessions = Find(checks, "sessions");
        Assert.Equal("warn", sessions.GetProperty("status").GetString());
        Assert.Contains(sessions.GetProperty("data").EnumerateArray(), s => s.GetProperty("pid").GetInt32() == idle.ProcessID && s.GetProperty("state").GetString() == "idle in transaction");
        Assert.Equal("fail", Find(checks, "replica ").GetProperty("status").GetString());
        Assert.DoesNotContain("hunter2", raw, StringComparison.Ordinal);
        await tx.RollbackAsync();
    }

    [Fact]
    public async Task Pointing_doctor_at_a_replica_as_the_primary_fails()
    {
        var (code, checks, raw) = await Doctor("--connection", cluster.Replicas[1]);
        Assert.True(code == 1, raw);
        Assert.Equal("fail", Find(checks, "primary").GetProperty("status").GetString());
    }
}
