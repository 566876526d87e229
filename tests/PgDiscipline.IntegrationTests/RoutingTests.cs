// PGD103: routing tests repeat reads on purpose to sample where they land.
// PGD202: one test puts ReadFromReplica() in a transaction on purpose, to prove the runtime still uses the primary.
#pragma warning disable PGD103, PGD202
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>Replica routing against the real primary + 2 streaming replicas. Where a read ran is checked server-side
/// (the server's port: <c>inet_server_port()</c>, or on the container backend, where every server listens on 5432 inside
/// its container, the mapped port ClusterFixture stored in <c>pgdiscipline.server_port</c>), not by trusting the router.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RoutingTests(ClusterFixture cluster) : IAsyncLifetime
{
    private const string ServerPort = "coalesce(current_setting('pgdiscipline.server_port', true)::int, inet_server_port())";
    private const string WhereAmI = "select " + ServerPort + " as \"Value\"";

    public async Task InitializeAsync()
    {
        await ProbeContext.EnsureTableAsync(cluster.Primary);
        await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(30));
    }

    // The marker rows these tests insert (Qty = 0) go, so the table stays at its 20 seeded rows between runs.
    public Task DisposeAsync() => ClusterFixture.ScalarAsync(cluster.Primary, "delete from probe_items where qty = 0");

    private async Task<ProbeContext> Create(Action<PgDisciplineOptions>? extra = null)
    {
        var ctx = ProbeContext.Create(cluster.Primary, pg =>
        {
            pg.AddReplica(cluster.Replicas[0]);
            pg.AddReplica(cluster.Replicas[1]);
            pg.HealthCheckInterval = TimeSpan.FromMilliseconds(250);
            pg.MaxReplicaLag = TimeSpan.FromSeconds(1);
            extra?.Invoke(pg);
        });
        await ctx.Database.ExecuteSqlRawAsync("select 1"); // the runtime knows its primary, as after an application's first command
        await InRotationAsync(ctx.FindPgDisciplineRuntime()!);
        return ctx;
    }

    /// <summary>Checks the replicas until every one is in rotation (a loaded machine can leave one briefly behind, and a
    /// replica taken out needs several good checks to come back): what the tests below start from.</summary>
    private static Task InRotationAsync(PgDisciplineRuntime runtime)
        => Eventually.UntilAsync(async () =>
        {
            await runtime.CheckReplicasNowAsync();
            return runtime.Replicas.All(r => r.IsInRotation);
        }, "every replica in rotation", state: () => Describe(runtime), poll: TimeSpan.FromMilliseconds(50));

    private static string Describe(PgDisciplineRuntime runtime)
        => string.Join("; ", runtime.Replicas.Select(r => $"{r.Name}: {(r.IsInRotation ? "in" : "out")}, {r.Health.Status}"));

    /// <summary>Waits until each of <paramref name="replicas"/> has replayed everything the primary has written so far.</summary>
    private async Task ReplayedAsync(IEnumerable<string> replicas)
    {
        var position = (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_current_wal_lsn()::text"))!;
        foreach (var replica in replicas)
        {
            await LocalCluster.WaitReplayedAsync(replica, position, Eventually.DefaultTimeout);
        }
    }

    // ToListAsync (not SingleAsync): EF then runs the raw SQL as written, without wrapping it in a subquery.
    private static async Task<int> Port(IQueryable<int> query) => (await query.ToListAsync()).Single();

    [Fact]
    public async Task Tagged_reads_land_on_replicas_and_use_both()
    {
        await using var ctx = await Create(pg => pg.DefaultRead = ReadRouting.Primary);
        var ports = new List<int>();
        for (var i = 0; i < 40; i++)
        {
            ports.Add(await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()));
        }

        Assert.All(ports, p => Assert.Contains(p, cluster.ReplicaPorts));
        Assert.Equal(cluster.ReplicaPorts.Order(), ports.Distinct().Order());

        // Untagged reads follow DefaultRead = Primary; ReadFromPrimary always goes to the primary.
        Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI)));
        Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromPrimary("balance must be exact")));
    }

    [Fact]
    public async Task Default_read_replica_routes_untagged_reads_and_ambient_scopes_override()
    {
        await using var ctx = await Create(pg => pg.DefaultRead = ReadRouting.Replica);
        Assert.Contains(await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI)), cluster.ReplicaPorts);
        Assert.NotEmpty(await ctx.Items.Where(i => i.Qty > 1).ToListAsync()); // an EF LINQ query served by a replica

        using (PgDisciplineRouting.ReadFromPrimary("reconciliation job"))
        {
            Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI)));
            // The query's own intent wins over the ambient one.
            Assert.Contains(await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()), cluster.ReplicaPorts);
        }
    }

    [Fact]
    public async Task Transactions_writes_and_unsafe_reads_go_to_the_primary_whatever_the_tag_says()
    {
        await using var ctx = await Create();
        await using (var tx = await ctx.Database.BeginTransactionAsync())
        {
            Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()));
            await tx.CommitAsync();
        }

        Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(
            "select " + ServerPort + " as \"Value\" from probe_items where id = 1 for update").ReadFromReplica()));
        Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(
            "with u as (update probe_items set qty = qty where id = 1 returning id) select " + ServerPort + " as \"Value\" from u").ReadFromReplica()));
        Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(
            "select " + ServerPort + " + 0 * nextval('probe_items_id_seq')::int as \"Value\"").ReadFromReplica()));
        Assert.True(await ctx.Items.Where(i => i.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(i => i.Qty, i => i.Qty)) == 1);
    }

    [Fact]
    public async Task Paused_replay_session_reads_never_stale_eventual_reads_may_be_and_the_lagging_replica_is_ejected_then_readmitted()
    {
        await ClusterFixture.PauseReplayAsync(cluster.Replicas[0]);
        try
        {
            // Eventual, generous lag: the paused replica stays in rotation, so some reads miss the new row.
            await using (var eventual = await Create(pg => { pg.Consistency = ReadConsistency.Eventual; pg.MaxReplicaLag = TimeSpan.FromMinutes(5); }))
            {
                var marker = await InsertAsync(eventual, "eventual");
                var stale = 0;
                for (var i = 0; i < 30; i++)
                {
                    stale += await eventual.Items.ReadFromReplica().CountAsync(x => x.Name == marker) == 0 ? 1 : 0;
                }

                Assert.True(stale > 0, "with replay paused on one replica, some eventual reads should have been stale");
            }

            // Session: every read after the write sees it.
            await using (var session = await Create(pg => { pg.Consistency = ReadConsistency.Session; pg.MaxReplicaLag = TimeSpan.FromMinutes(5); }))
            {
                var marker = await InsertAsync(session, "session");
                for (var i = 0; i < 30; i++)
                {
                    Assert.Equal(1, await session.Items.ReadFromReplica().CountAsync(x => x.Name == marker));
                }
            }

            // Lag bound: a replica in rotation whose replay stops is taken out by the health monitor. It starts caught up
            // and in rotation (after the stale reads above it was behind by more than this runtime's bound).
            await ClusterFixture.ResumeReplayAsync(cluster.Replicas[0]);
            await using var monitored = await Create(pg => pg.MaxReplicaLag = TimeSpan.FromMilliseconds(500));
            var runtime = monitored.FindPgDisciplineRuntime()!;
            await Port(monitored.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()); // starts the monitor
            await ClusterFixture.PauseReplayAsync(cluster.Replicas[0]);
            var committed = Stopwatch.StartNew();
            await InsertAsync(monitored, "lag");
            await Eventually.UntilAsync(() => !runtime.Replicas[0].IsInRotation, "the paused replica to leave rotation", state: () => Describe(runtime));
            // Expected about 0.9 s (500 ms of lag, then at most one 250 ms interval and the 100 ms confirmation); the bound is
            // ten times that for a loaded 2-core machine. The exact timing is unit-tested on a fake clock.
            Assert.True(committed.Elapsed < TimeSpan.FromSeconds(10), $"ejected {committed.Elapsed.TotalMilliseconds:0} ms after the commit");
            Assert.Contains("exceeds", runtime.Replicas[0].Health.Status, StringComparison.Ordinal);
            await Eventually.UntilAsync(() => runtime.Replicas[1].IsInRotation, "replica 2 in rotation", state: () => Describe(runtime));
            for (var i = 0; i < 10; i++)
            {
                var port = await Port(monitored.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica());
                Assert.True(port == cluster.ReplicaPorts[1],
                    $"read {i} ran on :{port}; replica 2: {runtime.Replicas[1].Health.Status}, lag {runtime.Replicas[1].Health.Lag}; fallbacks: {string.Join(", ", await RuntimeSnapshots.FallbackReasonsAsync(runtime))}");
            }

            await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_wal_replay_resume()");
            await Eventually.UntilAsync(() => runtime.Replicas[0].IsInRotation, "replica 1 re-admitted after replay resumed", state: () => Describe(runtime));
        }
        finally
        {
            await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_wal_replay_resume()");
        }
    }

    [Fact]
    public async Task A_quiet_primary_does_not_make_a_replica_look_behind_when_new_wal_arrives()
    {
        // The usual time-lag formula (now - pg_last_xact_replay_timestamp() while replay is behind what was received)
        // says a replica is as far behind as the primary was quiet, for the moment between receiving and replaying the
        // first new record. Replay paused stretches that moment so a health check surely lands in it.
        // Lag here is real elapsed time (the replica's clock against its last replayed commit): MaxReplicaLag is 4 s so
        // that the steps between two readings have seconds of slack on a loaded machine (1 s once failed at 1087 ms).
        var maxLag = TimeSpan.FromSeconds(4);
        await using var ctx = await Create(pg => { pg.HealthCheckInterval = TimeSpan.FromMinutes(10); pg.MaxReplicaLag = maxLag; });
        var runtime = ctx.FindPgDisciplineRuntime()!;
        ReplicaStatus Replica() => runtime.Replicas[0]; // a snapshot: read it after each check
        async Task<double> SinceLastReplayedCommitAsync()
            => (double)(await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select extract(epoch from now() - pg_last_xact_replay_timestamp())::float8"))!;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                await InsertAsync(ctx, "quiet"); // a commit to replay, and the runtime now knows the primary
                var position = (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_current_wal_lsn()::text"))!;
                await LocalCluster.WaitReplayedAsync(cluster.Replicas[0], position, Eventually.DefaultTimeout);
                await ClusterFixture.PauseReplayAsync(cluster.Replicas[0]);
                await runtime.CheckReplicasNowAsync();
                Assert.True(Replica().IsInRotation, Replica().Health.Status);
                // The quiet window: until the commit-time formula alone would call the replica too far behind.
                await Eventually.UntilAsync(async () => await SinceLastReplayedCommitAsync() > maxLag.TotalSeconds + 0.2,
                    "the last replayed commit to be older than MaxReplicaLag", poll: TimeSpan.FromMilliseconds(100));
                await runtime.CheckReplicasNowAsync();
                var after = (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_current_wal_lsn()::text"))!;
                if (after == position)
                {
                    break;
                }

                // Something (autovacuum, a standby snapshot) wrote in the quiet window: the replica really is behind.
                await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_wal_replay_resume()");
                Assert.True(attempt < 5, "the primary never stayed quiet for the test's window");
            }

            Assert.True(Replica().IsInRotation, Replica().Health.Status);

            // One record without a commit (a checkpoint), received but not replayed.
            await ClusterFixture.ScalarAsync(cluster.Primary, "checkpoint");
            await Eventually.UntilAsync(async () => (bool)(await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()"))!,
                "the checkpoint record to reach the replica");
            var sinceCommit = await SinceLastReplayedCommitAsync();
            Assert.True(sinceCommit > maxLag.TotalSeconds, $"precondition: the commit-time formula says {sinceCommit:0.00} s, above MaxReplicaLag");

            await runtime.CheckReplicasNowAsync();
            Assert.True(Replica().IsInRotation, Replica().Health.Status);
            Assert.True(Replica().Health.Lag < maxLag, $"lag {Replica().Health.Lag}");

            // Real lag still counts: a commit the paused replica cannot replay makes it behind, and once that commit is older
            // than MaxReplicaLag the replica is out.
            await InsertAsync(ctx, "quiet-commit");
            await runtime.CheckReplicasNowAsync();
            Assert.True(Replica().IsInRotation, "right after the commit: " + Replica().Health.Status);
            await Eventually.UntilAsync(async () =>
            {
                await runtime.CheckReplicasNowAsync();
                return !Replica().IsInRotation;
            }, "the replica to leave rotation once the commit it cannot replay is older than MaxReplicaLag", state: () => Replica().Health.Status, poll: TimeSpan.FromMilliseconds(200));
            Assert.Contains("exceeds", Replica().Health.Status, StringComparison.Ordinal);
        }
        finally
        {
            await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_wal_replay_resume()");
        }
    }

    [Fact]
    public async Task Session_reads_see_an_asynchronous_commit_that_is_not_yet_written_to_the_wal()
    {
        // synchronous_commit = off: the commit returns while its record is only in WAL buffers, and with a long
        // wal_writer_delay it stays there. The write position (pg_current_wal_lsn()) is then below the commit, and a
        // replica that has replayed up to it lacks the row; the session's next read must still see it.
        await ClusterFixture.ScalarAsync(cluster.Primary, "alter system set wal_writer_delay = '10s'");
        await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_reload_conf()");
        try
        {
            var asyncCommit = new NpgsqlConnectionStringBuilder(cluster.Primary) { Options = "-c synchronous_commit=off" }.ConnectionString;
            // The walwriter picks the setting up at its next round (the old delay is 200 ms): wait until an asynchronous
            // commit stays in the WAL buffers, the premise of this test.
            await Eventually.UntilAsync(async () => (bool)(await ClusterFixture.ScalarAsync(asyncCommit,
                    "create table if not exists async_probe (id int); insert into async_probe values (2); select pg_current_wal_flush_lsn() < pg_current_wal_insert_lsn()"))!,
                "an asynchronous commit left unflushed (wal_writer_delay = 10s in effect)", poll: TimeSpan.FromMilliseconds(100));
            await using var ctx = ProbeContext.Create(asyncCommit, pg =>
            {
                pg.AddReplica(cluster.Replicas[0]);
                pg.AddReplica(cluster.Replicas[1]);
                pg.HealthCheckInterval = TimeSpan.FromMinutes(10);
                pg.MaxReplicaLag = TimeSpan.FromMinutes(4); // options of its own: runtimes are shared by equal options
            });
            var runtime = ctx.FindPgDisciplineRuntime()!;
            for (var round = 0; round < 5; round++)
            {
                // Everything before this round is flushed (a synchronous commit) and replayed, and the replicas are in.
                await ClusterFixture.ScalarAsync(cluster.Primary, "create table if not exists async_probe (id int); insert into async_probe values (1)");
                var position = (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_current_wal_lsn()::text"))!;
                foreach (var replica in cluster.Replicas)
                {
                    await LocalCluster.WaitReplayedAsync(replica, position, Eventually.DefaultTimeout);
                }

                await InRotationAsync(runtime);
                var marker = await InsertAsync(ctx, "async");
                Assert.Equal(1, await ctx.Items.ReadFromReplica().CountAsync(x => x.Name == marker));
            }
        }
        finally
        {
            await ClusterFixture.ScalarAsync(cluster.Primary, "alter system reset wal_writer_delay");
            await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_reload_conf()");
        }
    }

    [Fact]
    public async Task A_long_transaction_writing_wal_without_commits_does_not_eject_replicas_that_keep_up()
    {
        // A bulk load, a long transaction or a vacuum writes WAL for seconds without a commit record: the commit-time
        // bound grows, and the replicas (replaying as it streams) must stay in rotation. 2 s of allowed lag: a replica that
        // keeps up on a loaded 2-core machine can still be a second behind a bulk load.
        var maxLag = TimeSpan.FromSeconds(2);
        await using var ctx = await Create(pg => { pg.HealthCheckInterval = TimeSpan.FromMinutes(10); pg.MaxReplicaLag = maxLag; });
        var runtime = ctx.FindPgDisciplineRuntime()!;
        await InsertAsync(ctx, "bulk"); // the runtime now knows the primary
        var position = (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_current_wal_lsn()::text"))!;
        foreach (var replica in cluster.Replicas)
        {
            await LocalCluster.WaitReplayedAsync(replica, position, Eventually.DefaultTimeout);
        }

        await InRotationAsync(runtime);
        // The bulk load runs until the test lets it stop: it ends when it can take the advisory lock the test holds.
        const long StopLock = 731_031;
        await using var stopper = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.Primary) { Pooling = false }.ConnectionString);
        await stopper.OpenAsync();
        await using (var hold = new NpgsqlCommand($"select pg_advisory_lock({StopLock})", stopper))
        {
            await hold.ExecuteNonQueryAsync();
        }

        await using var writer = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.Primary) { Pooling = false }.ConnectionString);
        await writer.OpenAsync();
        await using var tx = await writer.BeginTransactionAsync();
        // A bulk load in one transaction (100 rows every 10 ms, about 1.5 MB of WAL a second; at most a minute), rolled back
        // at the end. (Much slower trickles fill a WAL page slower than MaxReplicaLag: the primary flushes whole pages only
        // while nothing commits, so the tail record is not replayable anywhere — see docs/configuration.md.)
        await using var bulkCommand = new NpgsqlCommand(
            $$$"""
            do $$ begin
              for i in 1..6000 loop
                exit when pg_try_advisory_lock_shared({{{StopLock}}});
                insert into probe_items (name, qty) select repeat('x', 100), -1 from generate_series(1, 100);
                perform pg_sleep(0.01);
              end loop;
            end $$
            """,
            writer, tx);
        var bulk = bulkCommand.ExecuteNonQueryAsync();
        async Task<double> SinceLastReplayedCommitAsync()
            => (double)(await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select extract(epoch from now() - pg_last_xact_replay_timestamp())::float8"))!;
        try
        {
            // No commit replayed for longer than MaxReplicaLag: the commit-time bound alone would eject the replicas.
            await Eventually.UntilAsync(async () => await SinceLastReplayedCommitAsync() > maxLag.TotalSeconds + 0.2,
                "the bulk load to run longer than MaxReplicaLag without a commit", poll: TimeSpan.FromMilliseconds(100));
            for (var round = 0; round < 3; round++)
            {
                var sinceCommit = await SinceLastReplayedCommitAsync();
                Assert.True(sinceCommit > maxLag.TotalSeconds, $"precondition: no commit replayed for {sinceCommit:0.00} s");
                Assert.False(bulk.IsCompleted, "precondition: the long transaction is still writing");
                await runtime.CheckReplicasNowAsync();
                foreach (var replica in runtime.Replicas)
                {
                    Assert.True(replica.IsInRotation, $"round {round}, {replica.Name}: {replica.Health.Status}");
                    Assert.True(replica.Health.Lag <= maxLag, $"round {round}, {replica.Name}: lag {replica.Health.Lag}");
                }

                // The next round once the replica has replayed more of the load (not after a fixed pause).
                var replayed = (string)(await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_last_wal_replay_lsn()::text"))!;
                await Eventually.UntilAsync(async () => (bool)(await ClusterFixture.ScalarAsync(cluster.Replicas[0], $"select pg_last_wal_replay_lsn() > '{replayed}'::pg_lsn"))!,
                    "replica 1 to replay more of the bulk load", poll: TimeSpan.FromMilliseconds(50));
            }
        }
        finally
        {
            await using (var release = new NpgsqlCommand($"select pg_advisory_unlock({StopLock})", stopper))
            {
                await release.ExecuteNonQueryAsync();
            }

            await bulk;
            await tx.RollbackAsync();
        }
    }

    [Fact]
    public async Task Read_your_writes_across_two_contexts_by_passing_the_session_token()
    {
        foreach (var replica in cluster.Replicas)
        {
            await ClusterFixture.PauseReplayAsync(replica);
        }

        try
        {
            await using var writer = await Create(pg => pg.MaxReplicaLag = TimeSpan.FromMinutes(5));
            var marker = await InsertAsync(writer, "token");
            var token = await writer.GetPgDisciplineSession().GetTokenAsync();
            Assert.StartsWith("pgd2.1.", token, StringComparison.Ordinal); // the primary's timeline, then the position

            // Another context (think: the next request, on another instance) without the token reads stale data ...
            await using var stranger = await Create(pg => pg.MaxReplicaLag = TimeSpan.FromMinutes(5));
            Assert.Equal(0, await stranger.Items.ReadFromReplica().CountAsync(x => x.Name == marker));

            // ... and with the token it reads its writes (from the primary, since no replica has replayed them).
            await using var reader = await Create(pg => pg.MaxReplicaLag = TimeSpan.FromMinutes(5));
            reader.GetPgDisciplineSession().Token = token;
            Assert.Equal(1, await reader.Items.ReadFromReplica().CountAsync(x => x.Name == marker));
            Assert.Equal(cluster.PrimaryPort, await Port(reader.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()));

            foreach (var replica in cluster.Replicas)
            {
                await ClusterFixture.ScalarAsync(replica, "select pg_wal_replay_resume()");
            }

            // Once a replica has replayed the write (and the monitor has seen it), reads go back to replicas.
            var runtime = reader.FindPgDisciplineRuntime()!;
            var port = 0;
            await Eventually.UntilAsync(async () =>
            {
                await runtime.CheckReplicasNowAsync();
                port = await Port(reader.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica());
                return port != cluster.PrimaryPort;
            }, "a session read served by a replica again after replay resumed", state: () => Describe(runtime));

            Assert.Contains(port, cluster.ReplicaPorts);
            Assert.Equal(1, await reader.Items.ReadFromReplica().CountAsync(x => x.Name == marker));
        }
        finally
        {
            foreach (var replica in cluster.Replicas)
            {
                await ClusterFixture.ScalarAsync(replica, "select pg_wal_replay_resume()");
            }
        }
    }

    [Fact]
    public async Task Session_reads_right_after_a_write_use_a_replica_that_has_replayed_it_without_waiting_for_a_health_check()
    {
        // Health checks every 10 minutes: after the ones in Create, only freshness probes can tell the router that a
        // replica has replayed a write made a moment ago. The test waits (outside the runtime) until the replicas have
        // replayed each write, so every read has a replica that can take it: none may go to the primary.
        await using var ctx = await Create(pg => { pg.HealthCheckInterval = TimeSpan.FromMinutes(10); pg.MaxReplicaLag = TimeSpan.FromMinutes(5); });
        var runtime = ctx.FindPgDisciplineRuntime()!;
        var ports = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            var marker = await InsertAsync(ctx, "fresh");
            await ReplayedAsync(cluster.Replicas);
            Assert.Equal(1, await ctx.Items.ReadFromReplica().CountAsync(x => x.Name == marker)); // never stale
            ports.Add(await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()));
        }

        Assert.True(!ports.Contains(cluster.PrimaryPort), "reads on the primary: " + string.Join(",", ports));
        Assert.True(cluster.ReplicaPorts.Order().SequenceEqual(ports.Where(p => p != cluster.PrimaryPort).Distinct().Order()),
            $"reads ran on {string.Join(",", ports)}; " + string.Join("; ", runtime.Part<PgDiscipline.Routing.ReplicaSet>().All.Select(r => $"{r.Name}: {(r.IsInRotation ? "in" : "out")}, {r.Health.Status}, ejected {r.EjectionCount}× (last {r.LastEjected:HH:mm:ss.fff}), now {DateTimeOffset.UtcNow:HH:mm:ss.fff}")));

        // One replica's replay paused: session reads after each write go to the other one (or the primary), never to it.
        await ClusterFixture.PauseReplayAsync(cluster.Replicas[0]);
        try
        {
            var after = new List<int>();
            for (var i = 0; i < 10; i++)
            {
                var marker = await InsertAsync(ctx, "half");
                await ReplayedAsync([cluster.Replicas[1]]);
                Assert.Equal(1, await ctx.Items.ReadFromReplica().CountAsync(x => x.Name == marker));
                after.Add(await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()));
            }

            Assert.DoesNotContain(cluster.ReplicaPorts[0], after);
            Assert.Contains(cluster.ReplicaPorts[1], after);

            // Both paused: the primary answers, and the statistics say why.
            await ClusterFixture.PauseReplayAsync(cluster.Replicas[1]);
            var last = await InsertAsync(ctx, "both");
            Assert.Equal(1, await ctx.Items.ReadFromReplica().CountAsync(x => x.Name == last));
            Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()));
            var reasons = await RuntimeSnapshots.FallbackReasonsAsync(runtime);
            Assert.True(reasons.GetValueOrDefault("behind_session") >= 2, string.Join(",", reasons));
            Assert.False(reasons.ContainsKey("no_replica_in_rotation"), string.Join(",", reasons));
        }
        finally
        {
            foreach (var replica in cluster.Replicas)
            {
                await ClusterFixture.ScalarAsync(replica, "select pg_wal_replay_resume()");
            }
        }
    }

    [Fact]
    public async Task Replica_killed_during_a_stream_of_reads_causes_zero_failed_reads_and_is_readmitted_after_restart()
    {
        await using var ctx = await Create();
        var runtime = ctx.FindPgDisciplineRuntime()!;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var ports = new System.Collections.Concurrent.ConcurrentQueue<int>();
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    ports.Enqueue(await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()));
                }
                catch (Exception ex)
                {
                    failures.Enqueue(ex);
                }
            }
        });
        try
        {
            await Eventually.UntilAsync(() => ports.Contains(cluster.ReplicaPorts[0]) && ports.Count >= 20, "reads served by replica 1 before it dies");
            await cluster.StopServerAsync("replica1");
            await Eventually.UntilAsync(() => !runtime.Replicas[0].IsInRotation, "the stopped replica to leave rotation", state: () => Describe(runtime));
            var before = ports.Count;
            await Eventually.UntilAsync(() => ports.Count >= before + 50, "50 more reads after replica 1 left rotation");
        }
        finally
        {
            await stop.CancelAsync();
            await load;
            await cluster.StartServerAsync("replica1");
        }

        Assert.Empty(failures);
        Assert.True(ports.Count > 50, $"only {ports.Count} reads ran");
        Assert.Contains(cluster.ReplicaPorts[0], ports); // it did serve reads before it died

        await cluster.WaitForStreamingAsync(Eventually.DefaultTimeout);
        await InRotationAsync(runtime);
    }

    [Fact]
    public async Task Primary_down_replica_reads_keep_working_writes_fail_fast_and_all_recovers_after_restart()
    {
        await using var ctx = await Create();
        Assert.Contains(await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()), cluster.ReplicaPorts);
        await cluster.StopServerAsync("primary");
        try
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Contains(await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()), cluster.ReplicaPorts);
            }

            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<Exception>(() => ctx.Items.Where(i => i.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(i => i.Qty, i => i.Qty)));
            // A refused connection fails in milliseconds; 10 s (a wide bound for a loaded machine) still tells failing fast
            // from waiting out a timeout.
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"the write took {sw.Elapsed} to fail");
        }
        finally
        {
            await cluster.StartServerAsync("primary");
        }

        // Same app, same runtime: writes work again once the primary is back (stale pooled connections are retried).
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                return await ctx.Items.Where(i => i.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(i => i.Qty, i => i.Qty)) == 1;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or DbUpdateException)
            {
                return false;
            }
        }, "a write to succeed after the primary restarted", poll: TimeSpan.FromMilliseconds(200));
        await cluster.WaitForStreamingAsync(Eventually.DefaultTimeout);
    }

    [Fact]
    public async Task Pools_priorities_and_route_rules_choose_where_reads_go_and_pool_timeouts_apply()
    {
        const string Report = WhereAmI + " where 1 = 1";
        var reportFingerprint = PgDiscipline.Sql.SqlFingerprint.Compute(Report).ToString();
        await using var ctx = ProbeContext.Create(cluster.Primary, pg =>
        {
            pg.AddReplica(cluster.Replicas[0]);
            var low = pg.AddReplica(cluster.Replicas[1], pool: "low");
            low.Timeouts.Statement = TimeSpan.FromSeconds(42);
            pg.Timeouts.Statement = TimeSpan.FromSeconds(5);
            pg.Rules.Add(new QueryRule { Id = "reports-to-low", Fingerprint = reportFingerprint, Action = QueryRuleAction.Route, RouteTo = "low" });
            pg.Rules.Add(new QueryRule { Id = "audit-to-primary", Tag = "audit", Action = QueryRuleAction.Route, RouteTo = "primary" });
        });
        await ctx.FindPgDisciplineRuntime()!.CheckReplicasNowAsync();

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(cluster.ReplicaPorts[0], await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI)));
            Assert.Equal(cluster.ReplicaPorts[1], await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).WithPriority(QueryPriority.Low)));
            Assert.Equal(cluster.ReplicaPorts[1], await Port(ctx.Database.SqlQueryRaw<int>(Report)));
            Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).TagWith("audit")));
        }

        Assert.Equal("42s", (await ctx.Database.SqlQueryRaw<string>("select current_setting('statement_timeout') as \"Value\"").WithPriority(QueryPriority.Low).ToListAsync()).Single());
        Assert.Equal("5s", (await ctx.Database.SqlQueryRaw<string>("select current_setting('statement_timeout') as \"Value\"").ToListAsync()).Single());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Session_consistency_costs_at_most_one_extra_round_trip_per_write_transaction(bool pipelined)
    {
        await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_stat_statements_reset()");
        await using var ctx = await Create(pg =>
        {
            pg.Consistency = ReadConsistency.Session;
            pg.PipelineWritePosition = pipelined;
        });
        var session = ctx.GetPgDisciplineSession();

        // 5 autocommit writes, each followed by 3 replica reads. Pipelined: each write carries its capture (the session has
        // it before any read runs); otherwise the first read after it captures. Never one per read.
        for (var w = 0; w < 5; w++)
        {
            var marker = await InsertAsync(ctx, "cost");
            Assert.Equal(!pipelined, session.HasUncapturedWrite);
            for (var r = 0; r < 3; r++)
            {
                Assert.Equal(1, await ctx.Items.ReadFromReplica().CountAsync(x => x.Name == marker));
            }
        }

        // 3 writes in a row and then one read: lazily, still one capture (positions only move forward).
        for (var w = 0; w < 3; w++)
        {
            await InsertAsync(ctx, "burst");
        }

        await ctx.Items.ReadFromReplica().CountAsync();

        // A write transaction is captured by the next read, pipelined or not (its commit is not a command).
        await using (var tx = await ctx.Database.BeginTransactionAsync())
        {
            await InsertAsync(ctx, "tx");
            await tx.CommitAsync();
        }

        Assert.True(session.HasUncapturedWrite);
        await ctx.Items.ReadFromReplica().CountAsync();

        // Lazily, a write that no read follows costs nothing; pipelined, it costs a statement in its own round trip.
        await InsertAsync(ctx, "tail");

        var captures = (long)(await ClusterFixture.ScalarAsync(cluster.Primary,
            "select coalesce(sum(calls), 0)::bigint from pg_stat_statements where query like '%pgdiscipline_session_position%' and query not like '%pg_stat_statements%'"))!;
        Assert.Equal(pipelined ? 5 + 3 + 1 + 1 : 5 + 1 + 1, captures);
    }

    public static TheoryData<string> PoolerModes => new() { "Direct", "PgBouncerTransaction" };

    [Theory]
    [MemberData(nameof(PoolerModes))]
    public async Task An_autocommit_write_reads_its_commit_position_in_its_own_round_trip(string mode)
    {
        var (connectionString, pooler) = mode == "Direct" ? (cluster.Primary, PoolerMode.Direct) : (cluster.PgBouncer, PoolerMode.PgBouncerTransaction);
        await using var ctx = ProbeContext.Create(connectionString, pg =>
        {
            pg.AddReplica(cluster.Replicas[0]);
            pg.AddReplica(cluster.Replicas[1]);
            pg.Pooler = pooler;
            pg.Timeouts.Statement = TimeSpan.FromSeconds(7); // a timeout prefix in PgBouncer mode
            pg.HealthCheckInterval = TimeSpan.FromMilliseconds(250);
            pg.MaxReplicaLag = TimeSpan.FromSeconds(3); // options of its own: runtimes are shared by equal options
        });
        var session = ctx.GetPgDisciplineSession();
        Assert.Null(session.Token);

        // SaveChanges (EF Core reads INSERT … RETURNING id through a reader).
        var marker = await InsertAsync(ctx, "pipelined");
        Assert.False(session.HasUncapturedWrite);
        var afterInsert = Position(session);

        // UPDATE … RETURNING through SqlQuery: the position the write sees inside its own transaction is below the captured
        // one, which is read after the write's commit record (the error barrier ends the write's transaction first).
        var inside = (await ctx.Database.SqlQuery<string>(
            $"update probe_items set qty = 0 where name = {marker} returning pg_current_wal_insert_lsn()::text as \"Value\"").ToListAsync()).Single();
        Assert.False(session.HasUncapturedWrite);
        var afterUpdate = Position(session);
        Assert.True(afterUpdate > NpgsqlTypes.NpgsqlLogSequenceNumber.Parse(inside), $"captured {afterUpdate}, inside the write {inside}");
        Assert.True(afterUpdate > afterInsert);

        // Non-query writes, async and sync: their row counts are the application statement's alone.
        Assert.Equal(1, await ctx.Items.Where(i => i.Name == marker).ExecuteUpdateAsync(u => u.SetProperty(i => i.Qty, 0)));
        Assert.False(session.HasUncapturedWrite);
        Assert.Equal(1, ctx.Items.Where(i => i.Name == marker).ExecuteUpdate(u => u.SetProperty(i => i.Qty, 0)));
        Assert.False(session.HasUncapturedWrite);
        Assert.Equal(1, ctx.Database.ExecuteSql($"update probe_items set qty = 0 where name = {marker}"));
        var afterSync = Position(session);
        Assert.True(afterSync > afterUpdate);

        // The write runs with its statement timeout (in PgBouncer mode the prefix shares the write's transaction).
        Assert.Equal("7s", (await ctx.Database.SqlQuery<string>(
            $"update probe_items set qty = 0 where name = {marker} returning current_setting('statement_timeout') as \"Value\"").ToListAsync()).Single());

        // A failing write surfaces its own error, not one of the batch's. The capture still runs after the barrier (its
        // position is after everything the session wrote, so it is still a valid one).
        var error = await Assert.ThrowsAsync<PostgresException>(() => ctx.Database.ExecuteSqlAsync($"update probe_items set qty = 1 / (qty - qty) where name = {marker}"));
        Assert.Equal(PostgresErrorCodes.DivisionByZero, error.SqlState);
        Assert.True(Position(session) >= afterSync);

        // The session's reads see the writes on a replica.
        Assert.Equal(1, await ctx.Items.ReadFromReplica().CountAsync(x => x.Name == marker && x.Qty == 0));
        Assert.False(session.HasUncapturedWrite);
    }

    [Fact]
    public async Task Without_plpgsql_the_write_position_is_captured_the_old_way_and_no_write_fails()
    {
        // A hardened database that revoked USAGE on plpgsql from PUBLIC: the DO block would fail after the write has
        // committed. PgDiscipline asks once, then captures positions in a round trip of their own.
        const string Role = "pgd_no_plpgsql";
        if (await ClusterFixture.ScalarAsync(cluster.Primary, $"select count(*)::int from pg_database where datname = '{Role}'") is 0)
        {
            await ClusterFixture.ScalarAsync(cluster.Primary, $"create database {Role}");
        }

        await ClusterFixture.ScalarAsync(cluster.Primary, $"""
            do $$ begin
                if not exists (select from pg_roles where rolname = '{Role}') then create role {Role} login password 'pgd'; end if;
            end $$
            """);
        var admin = new NpgsqlConnectionStringBuilder(cluster.Primary) { Database = Role }.ConnectionString;
        await ProbeContext.EnsureTableAsync(admin);
        await ClusterFixture.ScalarAsync(admin, $"revoke usage on language plpgsql from public; alter table probe_items owner to {Role}");
        var position = (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_current_wal_lsn()::text"))!;
        foreach (var replica in cluster.Replicas)
        {
            await LocalCluster.WaitReplayedAsync(replica, position, Eventually.DefaultTimeout);
        }

        string As(string server) => new NpgsqlConnectionStringBuilder(server) { Database = Role, Username = Role, Password = "pgd" }.ConnectionString;
        await using var ctx = ProbeContext.Create(As(cluster.Primary), pg =>
        {
            pg.AddReplica(As(cluster.Replicas[0]));
            pg.AddReplica(As(cluster.Replicas[1]));
            pg.HealthCheckInterval = TimeSpan.FromMilliseconds(250);
            pg.MaxReplicaLag = TimeSpan.FromSeconds(2); // options of its own
        });
        await Assert.ThrowsAsync<PostgresException>(() => ctx.Database.ExecuteSqlRawAsync(WritePositionCapture.ProbeSql)); // the premise

        for (var i = 0; i < 3; i++)
        {
            var marker = await InsertAsync(ctx, "no-plpgsql");
            Assert.True(ctx.GetPgDisciplineSession().HasUncapturedWrite); // not pipelined, and the write did not fail
            Assert.Equal(1, await ctx.Items.ReadFromReplica().CountAsync(x => x.Name == marker)); // captured lazily: read-your-writes holds
        }
    }

    private static NpgsqlTypes.NpgsqlLogSequenceNumber Position(PgDisciplineSession session)
        => session.RequiredPosition;

    [Fact]
    public async Task Synchronous_ef_calls_keep_read_your_writes()
    {
        foreach (var replica in cluster.Replicas)
        {
            await ClusterFixture.PauseReplayAsync(replica);
        }

        try
        {
            await using var ctx = await Create(pg => pg.MaxReplicaLag = TimeSpan.FromMinutes(5));
            var marker = $"sync-{Guid.NewGuid():N}";
            ctx.Items.Add(new Item { Name = marker, Qty = 0 });
            ctx.SaveChanges(); // synchronous write
            Assert.Equal(1, ctx.Items.ReadFromReplica().Count(x => x.Name == marker)); // synchronous read: the write is visible
            Assert.StartsWith("pgd2.1.", ctx.GetPgDisciplineSession().Token, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var replica in cluster.Replicas)
            {
                await ClusterFixture.ScalarAsync(replica, "select pg_wal_replay_resume()");
            }
        }
    }

    [Fact]
    public async Task Reads_are_counted_per_target_in_metrics()
    {
        var targets = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PgDisciplineTelemetry.Name && instrument.Name == "pgdiscipline.reads")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "pgdiscipline.target")
                {
                    targets.Add((string)tag.Value!);
                }
            }
        });
        listener.Start();

        await using var ctx = await Create(pg => pg.DefaultRead = ReadRouting.Replica);
        for (var i = 0; i < 20; i++)
        {
            await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI));
        }

        await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromPrimary("test"));
        Assert.Contains("primary", targets);
        Assert.Contains(targets, t => t.EndsWith(":" + cluster.ReplicaPorts[0], StringComparison.Ordinal));
        Assert.Contains(targets, t => t.EndsWith(":" + cluster.ReplicaPorts[1], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fresh_runtime_sends_no_replica_safe_read_to_the_primary_async_and_sync()
    {
        // A new configuration is a new runtime that has checked nothing yet: its first reads wait for the first round of
        // health checks instead of going to the primary while the replicas are still out of rotation. The replicas are
        // healthy first, whatever earlier tests did to them (restarted ones have replayed a commit since).
        await cluster.ReplicasReplayedACommitAsync();
        foreach (var sync in new[] { false, true })
        {
            var name = "cold-" + Guid.NewGuid().ToString("N")[..8];
            await using var ctx = ProbeContext.Create(cluster.Primary, pg =>
            {
                pg.AddReplica(cluster.Replicas[0]).Name = name + "-a";
                pg.AddReplica(cluster.Replicas[1]).Name = name + "-b";
                pg.DefaultRead = ReadRouting.Primary;
            });
            var ports = new List<int>();
            for (var i = 0; i < 40; i++)
            {
                var query = ctx.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica();
                ports.Add(sync ? query.AsEnumerable().Single() : await Port(query));
            }

            Assert.True(ports.All(p => cluster.ReplicaPorts.Contains(p)), $"{(sync ? "sync" : "async")}: reads ran on {string.Join(",", ports)}");
        }
    }

    [Fact]
    public async Task Read_your_writes_waits_for_a_replica_instead_of_falling_back_when_one_replica_is_paused()
    {
        // A wait budget of seconds: the claim is that the read waits for replica 2 rather than falling back, and on a
        // loaded machine its replay can take longer than the 50 ms default.
        await using var ctx = await Create(pg => pg.ReadYourWritesWait = TimeSpan.FromSeconds(5));
        var runtime = ctx.FindPgDisciplineRuntime()!;
        await ClusterFixture.PauseReplayAsync(cluster.Replicas[0]);
        try
        {
            var ports = new List<int>();
            for (var i = 0; i < 30; i++)
            {
                var marker = await InsertAsync(ctx, "wait");
                ports.Add(await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI + " from probe_items where name = {0}", marker).ReadFromReplica()));
            }

            Assert.DoesNotContain(cluster.ReplicaPorts[0], ports); // never the paused one
            Assert.True(ports.Count(p => p == cluster.ReplicaPorts[1]) >= 29, "reads ran on " + string.Join(",", ports));
        }
        finally
        {
            await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_wal_replay_resume()");
        }

        // The wait is in the statistics: reads that waited, how many the replica then served, and for how long.
        var snapshot = runtime.Statistics!.ToSnapshot();
        var waited = snapshot.Queries.Where(q => q.SessionWaits > 0).ToList();
        Assert.True(waited.Sum(q => q.SessionWaitsServed) <= waited.Sum(q => q.SessionWaits));
        Assert.All(waited, q => Assert.True(q.SessionWaitMs >= 0));
    }

    [Fact]
    public async Task Read_your_writes_without_a_wait_budget_falls_back_to_the_primary_when_the_replicas_are_behind()
    {
        await using var ctx = await Create(pg => pg.ReadYourWritesWait = TimeSpan.Zero);
        foreach (var replica in cluster.Replicas)
        {
            await ClusterFixture.PauseReplayAsync(replica);
        }

        try
        {
            var marker = await InsertAsync(ctx, "nowait");
            Assert.Equal(cluster.PrimaryPort, await Port(ctx.Database.SqlQueryRaw<int>(WhereAmI + " from probe_items where name = {0}", marker).ReadFromReplica()));
            Assert.Equal(0, ctx.FindPgDisciplineRuntime()!.Statistics!.ToSnapshot().Queries.Sum(q => q.SessionWaits));
        }
        finally
        {
            foreach (var replica in cluster.Replicas)
            {
                await ClusterFixture.ScalarAsync(replica, "select pg_wal_replay_resume()");
            }
        }
    }

    [Fact]
    public async Task Replicas_added_removed_and_re_added_while_reads_run_fail_no_read_and_serve_no_stale_session_read()
    {
        // A third replica comes from build/cluster.sh add-replica: the local backend only (on the container backend it
        // would be added to another cluster, or fail when none runs).
        Assert.False(cluster.Env.GetValueOrDefault("PGD_BACKEND") == "testcontainers",
            "this test adds a replica with build/cluster.sh add-replica: run it on PGD_BACKEND=local");

        // A steady read-your-writes load (write, then read the row back from a replica) while the replica set changes:
        // a third replica is added, an original one removed, the third removed, and both brought back.
        await using var ctx = await Create(pg => pg.HealthCheckInterval = TimeSpan.FromMilliseconds(200));
        var runtime = ctx.FindPgDisciplineRuntime()!;
        ReplicaOptions Replica(string cs, string name) => new() { ConnectionString = cs, Name = name };
        var original = new[] { Replica(cluster.Replicas[0], "r1"), Replica(cluster.Replicas[1], "r2") };
        runtime.SetReplicas(original);

        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var reads = 0;
        var portsSeen = new HashSet<int>();
        var load = Task.Run(async () =>
        {
            var options = new DbContextOptionsBuilder<ProbeContext>().UseNpgsql(cluster.Primary).UsePgDiscipline(runtime).Options;
            while (!stop.IsCancellationRequested)
            {
                await using var db = new ProbeContext(options);
                try
                {
                    var marker = await InsertAsync(db, "live");
                    var port = (await db.Database.SqlQueryRaw<int>(WhereAmI + " from probe_items where name = {0}", marker).ReadFromReplica().ToListAsync()).SingleOrDefault();
                    if (port == 0)
                    {
                        lock (failures) { failures.Add("stale: the read did not see the session's write"); }
                    }
                    else
                    {
                        lock (portsSeen) { portsSeen.Add(port); }
                    }

                    Interlocked.Increment(ref reads);
                }
                catch (Exception ex)
                {
                    lock (failures) { failures.Add(ex.GetType().Name + ": " + ex.Message); }
                }
            }
        });

        var added = await LocalCluster.AddReplicaAsync("replica3");
        try
        {
            var port3 = new NpgsqlConnectionStringBuilder(added).Port;
            runtime.SetReplicas([.. original, Replica(added, "r3")]);
            await WaitUntil(() => runtime.Replicas.Any(r => r.Name == "r3" && r.IsInRotation), "r3 admitted");
            await WaitUntil(() => { lock (portsSeen) { return portsSeen.Contains(port3); } }, "a read served by r3");

            runtime.SetReplicas([original[1], Replica(added, "r3")]);           // r1 removed while reads run
            Assert.DoesNotContain(runtime.Replicas, r => r.Name == "r1");
            var before = Volatile.Read(ref reads);
            await WaitUntil(() => Volatile.Read(ref reads) > before + 20, "reads go on without r1");

            runtime.SetReplicas(original);                                      // r3 removed, r1 back
            await LocalCluster.RemoveReplicaAsync("replica3");                  // and its server gone
            await WaitUntil(() => runtime.Replicas.All(r => r.IsInRotation), "r1 re-admitted");
            before = Volatile.Read(ref reads);
            await WaitUntil(() => Volatile.Read(ref reads) > before + 20, "reads go on after the changes");
        }
        finally
        {
            await stop.CancelAsync();
            await load;
            if (Directory.Exists(Path.Combine(cluster.Env["PGD_CLUSTER_DIR"], "replica3")))
            {
                await LocalCluster.RemoveReplicaAsync("replica3");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {reads} reads failed or were stale: " + string.Join("; ", failures.Distinct().Take(5)));
        Assert.True(reads > 60, $"only {reads} reads ran");
        Assert.Equal(["r1", "r2"], runtime.Replicas.Select(r => r.Name));
        Assert.Contains("r3", runtime.Statistics!.Targets); // counted under its own target while it served
    }

    private static Task WaitUntil(Func<bool> condition, string what) => Eventually.UntilAsync(condition, what, poll: TimeSpan.FromMilliseconds(50));

    [Fact]
    public async Task A_read_your_writes_read_waits_for_a_replica_when_the_primary_is_unreachable()
    {
        // A failover in progress: the session wrote on the old primary, which is down now, and the replicas have not
        // replayed the write yet. The read must not fail because the primary it would fall back to is gone.
        foreach (var replica in cluster.Replicas)
        {
            await ClusterFixture.PauseReplayAsync(replica);
        }

        try
        {
            await using var writer = await Create(pg => pg.MaxReplicaLag = TimeSpan.FromMinutes(5));
            var marker = await InsertAsync(writer, "primary-down");
            var token = await writer.GetPgDisciplineSession().GetTokenAsync();
            var closedPort = ClosedPort();
            var deadPrimary = new NpgsqlConnectionStringBuilder(cluster.Primary) { Port = closedPort, Timeout = 2 }.ConnectionString;

            ProbeContext Down(TimeSpan maxLag) => ProbeContext.Create(deadPrimary, pg =>
            {
                pg.AddReplica(cluster.Replicas[0]);
                pg.AddReplica(cluster.Replicas[1]);
                pg.HealthCheckInterval = TimeSpan.FromMilliseconds(250);
                pg.MaxReplicaLag = maxLag;
            });

            // Replay stays paused: after MaxReplicaLag of waiting the primary's own connection error surfaces.
            await using (var down = Down(TimeSpan.FromMilliseconds(800)))
            {
                down.GetPgDisciplineSession().Token = token;
                var sw = Stopwatch.StartNew();
                // EF Core's execution strategy wraps the transient connection failure.
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => down.Items.ReadFromReplica().CountAsync(x => x.Name == marker));
                Assert.IsType<System.Net.Sockets.SocketException>(Assert.IsType<NpgsqlException>(error.InnerException).InnerException);
                // A lower bound: a loaded machine only makes it later.
                Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(700), $"gave up after {sw.Elapsed}: it did not wait for a replica");
            }

            // Replay resumes 600 ms into the wait: the read is served by the replica that replayed the write. (The wait
            // budget is 30 s so that a slow resume on a loaded machine still lands inside it.)
            await using (var down = Down(TimeSpan.FromSeconds(30)))
            {
                down.GetPgDisciplineSession().Token = token;
                var resume = Task.Run(async () =>
                {
                    await Task.Delay(600);
                    foreach (var replica in cluster.Replicas)
                    {
                        await ClusterFixture.ScalarAsync(replica, "select pg_wal_replay_resume()");
                    }
                });
                var sw = Stopwatch.StartNew();
                Assert.Equal(1, await down.Items.ReadFromReplica().CountAsync(x => x.Name == marker));
                await resume;
                Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(500), $"answered after {sw.Elapsed}, before any replica could have replayed the write");
                Assert.Contains(await Port(down.Database.SqlQueryRaw<int>(WhereAmI).ReadFromReplica()), cluster.ReplicaPorts);
            }
        }
        finally
        {
            foreach (var replica in cluster.Replicas)
            {
                await ClusterFixture.ScalarAsync(replica, "select pg_wal_replay_resume()");
            }
        }
    }

    [Fact]
    public async Task A_read_no_replica_can_take_while_the_primary_is_unreachable_runs_on_the_primary_once_it_is_back()
    {
        // Seen in the promotion test (1 failed read in ~16 runs): the session wrote on the new primary, the replicas were
        // being re-pointed (none could replay the write within MaxReplicaLag), and the primary had refused the read's
        // first open. After waiting for the replicas the read now tries the primary once more.
        foreach (var replica in cluster.Replicas)
        {
            await ClusterFixture.PauseReplayAsync(replica);
        }

        using var forwarderStop = new CancellationTokenSource();
        Task? forwarder = null;
        try
        {
            await using var writer = await Create(pg => pg.MaxReplicaLag = TimeSpan.FromMinutes(5));
            var marker = await InsertAsync(writer, "primary-back");
            var token = await writer.GetPgDisciplineSession().GetTokenAsync();
            // The "primary" is a loopback port that refuses connections until a forwarder to the real primary opens on it.
            var port = ClosedPort();
            var flaky = new NpgsqlConnectionStringBuilder(cluster.Primary) { Port = port, Timeout = 2, Pooling = false }.ConnectionString;
            await using var reader = ProbeContext.Create(flaky, pg =>
            {
                pg.AddReplica(cluster.Replicas[0]);
                pg.AddReplica(cluster.Replicas[1]);
                pg.HealthCheckInterval = TimeSpan.FromMilliseconds(250);
                pg.MaxReplicaLag = TimeSpan.FromSeconds(3); // the wait for the replicas: seconds around the forwarder's opening
            });
            reader.GetPgDisciplineSession().Token = token;
            // Health checks done first: a fresh runtime's first read waits for them, and the primary must still be down
            // when the read first tries it.
            await reader.FindPgDisciplineRuntime()!.CheckReplicasNowAsync();
            await reader.FindPgDisciplineRuntime()!.CheckReplicasNowAsync();
            var back = Task.Run(async () =>
            {
                // After the read's first try of the primary (milliseconds in), well within its 3 s wait for the replicas.
                await Task.Delay(1000);
                forwarder = ForwardAsync(port, cluster.PrimaryPort, forwarderStop.Token);
            });
            var sw = Stopwatch.StartNew();
            Assert.Equal(1, await reader.Items.ReadFromReplica().CountAsync(x => x.Name == marker));
            await back;
            // A lower bound (a loaded machine only makes it later): it waited out the replicas before the primary again.
            Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(2.5), $"answered after {sw.Elapsed}: it did not wait for the replicas first");
        }
        finally
        {
            await forwarderStop.CancelAsync();
            if (forwarder is not null)
            {
                await forwarder;
            }

            foreach (var replica in cluster.Replicas)
            {
                await ClusterFixture.ScalarAsync(replica, "select pg_wal_replay_resume()");
            }
        }
    }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> and forwards each connection to <paramref name="target"/>.</summary>
    private static async Task ForwardAsync(int port, int target, CancellationToken ct)
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        listener.Start();
        var pipes = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(ct);
                pipes.Add(Task.Run(async () =>
                {
                    using (client)
                    using (var server = new System.Net.Sockets.TcpClient())
                    {
                        await server.ConnectAsync(System.Net.IPAddress.Loopback, target, ct);
                        var a = client.GetStream().CopyToAsync(server.GetStream(), ct);
                        var b = server.GetStream().CopyToAsync(client.GetStream(), ct);
                        await Task.WhenAny(a, b);
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            listener.Stop();
            try
            {
                await Task.WhenAll(pipes);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.Sockets.SocketException)
            {
            }
        }
    }

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task<string> InsertAsync(ProbeContext ctx, string prefix)
    {
        var marker = $"{prefix}-{Guid.NewGuid():N}";
        ctx.Items.Add(new Item { Name = marker, Qty = 0 });
        await ctx.SaveChangesAsync();
        return marker;
    }
}
