using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgDiscipline.Testing;
using Xunit.Abstractions;

namespace PgDiscipline.HighAvailabilityTests;

public sealed class HaWrite
{
    public long Id { get; set; }

    public int Writer { get; set; }
}

/// <summary>One table, <c>ha_writes</c>: every acknowledged write is one row, so a lost write is a missing id.</summary>
public sealed class HaContext(DbContextOptions<HaContext> options) : DbContext(options)
{
    public DbSet<HaWrite> Writes => Set<HaWrite>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<HaWrite>(e =>
        {
            e.ToTable("ha_writes");
            e.Property(w => w.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(w => w.Writer).HasColumnName("writer");
        });

    public static HaContext Create(string primary, Action<PgDisciplineOptions> pg)
        => new(new DbContextOptionsBuilder<HaContext>().UseNpgsql(primary).UsePgDiscipline(pg).Options);
}

/// <summary>
/// Failover on the real topology (<c>build/cluster.sh start --standby --cascade</c>: a primary, a synchronous hot
/// standby, replica1, replica2, and a cascading replica streaming from replica1), driven the way an HA controller drives
/// it (<c>build/cluster.sh failover</c>: the primary stopped like a crash, the standby promoted, the replicas and
/// PgBouncer re-pointed). The application gives its primary as both hosts (<c>PGD_HA_PRIMARY</c>:
/// <c>Host=primary,standby;Target Session Attributes=read-write</c>). Each test starts a fresh cluster of its own (about
/// 4 s): a failover uses it up.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string ClusterDir = Path.Combine(Path.GetTempPath(), "pgdiscipline-ha-" + Environment.ProcessId);
    private static readonly string EnvFile = Path.Combine(RepoPaths.RepoRoot, "artifacts", "cluster-ha", "cluster.env");
    private LocalCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await LocalCluster.StartFreshAsync(ClusterDir, EnvFile, "--standby", "--cascade");
        await LocalCluster.ScalarAsync(_cluster.Primary, "create table ha_writes (id bigint primary key, writer int not null, at timestamptz not null default clock_timestamp())");
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await LocalCluster.StopAsync(ClusterDir, EnvFile);
    }

    // Npgsql skips a host it found down for Host Recheck Seconds (default 10): 1 s here, so that the returned old
    // primary is tried again within the test, as it is ten seconds later with the default.
    private string HaPrimary => _cluster.Env["PGD_HA_PRIMARY"] + ";Host Recheck Seconds=1";

    private void Routing(PgDisciplineOptions pg, TimeSpan? interval = null)
    {
        pg.AddReplica(_cluster.Env["PGD_REPLICA1"]);
        pg.AddReplica(_cluster.Env["PGD_REPLICA2"]);
        pg.AddReplica(_cluster.Env["PGD_CASCADE"]);
        pg.HealthCheckInterval = interval ?? TimeSpan.FromMilliseconds(200);
        pg.MaxReplicaLag = TimeSpan.FromSeconds(1);
    }

    [Fact]
    public async Task Promotion_under_load_resumes_writes_on_the_standby_without_losing_an_acknowledged_write_or_serving_a_stale_read()
    {
        var acked = new ConcurrentDictionary<long, long>(); // id -> Stopwatch timestamp of the acknowledgement
        long nextId = 0, failedWrites = 0, staleReads = 0, failedReads = 0, reads = 0;
        var clock = Stopwatch.StartNew();
        var readErrors = new ConcurrentDictionary<string, int>();
        void ReadFailed(Exception ex)
        {
            Interlocked.Increment(ref failedReads);
            var e = ex is DbUpdateException or InvalidOperationException && ex.InnerException is { } inner ? inner : ex;
            readErrors.AddOrUpdate($"{e.GetType().Name} {(e as PostgresException)?.SqlState} {e.Message[..Math.Min(120, e.Message.Length)]} @{clock.ElapsedMilliseconds} ms", 1, (_, n) => n + 1);
        }
        using var stop = new CancellationTokenSource();

        async Task WriterAsync(int writer)
        {
            while (!stop.IsCancellationRequested)
            {
                var id = Interlocked.Increment(ref nextId);
                await using var db = HaContext.Create(HaPrimary, pg => Routing(pg));
                db.Writes.Add(new HaWrite { Id = id, Writer = writer });
                try
                {
                    await db.SaveChangesAsync();
                }
#pragma warning disable CA1031 // counting every failure is the point
                catch (Exception)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref failedWrites);
                    await Task.Delay(20);
                    continue;
                }

                acked[id] = clock.ElapsedTicks;
                // Read-your-writes: the same context's next read must see its write (replica or primary).
                try
                {
                    if (!await db.Writes.AsNoTracking().AnyAsync(w => w.Id == id))
                    {
                        Interlocked.Increment(ref staleReads);
                    }
                }
#pragma warning disable CA1031
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    ReadFailed(ex);
                }
            }
        }

        async Task ReaderAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                await using var db = HaContext.Create(HaPrimary, pg => Routing(pg));
                try
                {
                    _ = await db.Writes.AsNoTracking().Where(w => w.Id > 0).CountAsync();
                    Interlocked.Increment(ref reads);
                }
#pragma warning disable CA1031
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    ReadFailed(ex);
                }
            }
        }

        var tasks = Enumerable.Range(1, 4).Select(WriterAsync).Concat(Enumerable.Range(0, 4).Select(_ => ReaderAsync())).ToList();
        int before;
        long failoverStarted, failoverDone;
        string script;
        try
        {
            // The load runs (writes acknowledged, reads answered) before the failover, and after it until writes have
            // resumed on the promoted standby and reads go on: states waited for, not fixed pauses.
            await Eventually.UntilAsync(() => acked.Count >= 20 && Interlocked.Read(ref reads) >= 20, "the load to run before the failover",
                state: () => $"{acked.Count} writes acknowledged, {Interlocked.Read(ref reads)} reads");
            before = acked.Count;
            failoverStarted = clock.ElapsedTicks;
            script = await _cluster.ClusterCommandAsync("failover");
            failoverDone = clock.ElapsedTicks;
            var readsAtDone = Interlocked.Read(ref reads);
            await Eventually.UntilAsync(() => acked.Values.Count(t => t > failoverDone) >= 20 && Interlocked.Read(ref reads) >= readsAtDone + 20,
                "writes and reads to go on after the failover",
                state: () => $"{acked.Values.Count(t => t > failoverDone)} writes acknowledged since, {Interlocked.Read(ref reads) - readsAtDone} reads; failed writes {Interlocked.Read(ref failedWrites)}, failed reads {Interlocked.Read(ref failedReads)}");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(tasks);
        }

        var afterFailover = acked.Where(a => a.Value > failoverStarted).Select(a => a.Value).DefaultIfEmpty(long.MaxValue).Min();
        // Write unavailability: the longest time without any acknowledged write, while the failover ran.
        var ackTimes = acked.Values.Where(t => t >= failoverStarted).Prepend(failoverStarted).Order().ToArray();
        var longestGap = ackTimes.Zip(ackTimes.Skip(1), (x, y) => y - x).DefaultIfEmpty(0).Max() * 1000.0 / Stopwatch.Frequency;
        var ids = acked.Keys.ToArray();
        await using var conn = new NpgsqlConnection(_cluster.Primary); // the promoted standby now
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select count(*) from ha_writes where id = any($1)", conn) { Parameters = { new() { Value = ids } } };
        var present = (long)(await cmd.ExecuteScalarAsync())!;
        var timeline = (string)(await new NpgsqlCommand("select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)", conn).ExecuteScalarAsync())!;

        output.WriteLine(script.Trim().Split('\n').Last());
        output.WriteLine($"acknowledged writes: {acked.Count} ({before} before the failover), failed writes: {failedWrites}, found on the new primary: {present}");
        output.WriteLine($"longest time without an acknowledged write during the failover: {longestGap:0} ms (the failover script took {(failoverDone - failoverStarted) * 1000.0 / Stopwatch.Frequency:0} ms, re-pointing the replicas included)");
        output.WriteLine($"replica/primary reads: {reads}, failed reads: {failedReads}, stale read-your-writes reads: {staleReads}");
        output.WriteLine($"failover started at {failoverStarted * 1000 / Stopwatch.Frequency} ms");
        foreach (var (error, count) in readErrors.OrderBy(e => e.Key, StringComparer.Ordinal).Take(20))
        {
            output.WriteLine($"  read failure × {count}: {error}");
        }

        Assert.Equal("00000002", timeline);
        Assert.True(before > 0, "no write was acknowledged before the failover");
        Assert.True(afterFailover != long.MaxValue, "no write was acknowledged after the failover: writes did not resume on the promoted standby");
        Assert.Equal(acked.Count, present); // synchronous standby: not one acknowledged write lost
        Assert.Equal(0, staleReads);
        Assert.Equal(0, failedReads);
    }

    [Fact]
    public async Task An_old_primary_that_returns_unfenced_receives_no_write_and_another_instance_learns_the_timeline_from_a_session_token()
    {
        // Instance A writes before and after the failover: it sees timeline 1, then 2.
        var a = (PgDisciplineOptions pg) => Routing(pg);
        await WriteAsync(a, 1);
        await _cluster.ClusterCommandAsync("failover");
        NpgsqlConnection.ClearAllPools();
        await WriteWithRetryAsync(a, 2);
        string token;
        await using (var db = HaContext.Create(HaPrimary, a))
        {
            db.Writes.Add(new HaWrite { Id = 3, Writer = 1 });
            await db.SaveChangesAsync();
            token = (await db.GetPgDisciplineSession().GetTokenAsync())!;
            Assert.Equal(2, db.FindPgDisciplineRuntime()!.PrimaryTimeline);
        }

        Assert.StartsWith("pgd2.2.", token, StringComparison.Ordinal);

        // After the failover, before the old primary returns: one writer on timeline 2, the replicas under it.
        var (healthyCode, healthy) = await DoctorTopologyAsync();
        output.WriteLine("doctor after the failover: " + healthy.GetProperty("detail").GetString());
        Assert.Equal("warn", healthy.GetProperty("status").GetString()); // the old primary is listed and down
        Assert.Contains("1 primary (timeline 2)", healthy.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, healthyCode);

        // The old primary comes back as it was: writable, timeline 1, listed first in the application's hosts.
        await _cluster.ClusterCommandAsync("revive-old-primary");
        var oldPrimary = _cluster.Env["PGD_OLD_PRIMARY"];
        var oldHost = "127.0.0.1:" + _cluster.Env["PGD_OLD_PRIMARY_PORT"];
        var oldPort = int.Parse(_cluster.Env["PGD_OLD_PRIMARY_PORT"], System.Globalization.CultureInfo.InvariantCulture);
        // Npgsql skips a host it found down for Host Recheck Seconds (1 s here): wait until it takes the old primary again
        // (new physical connections each time: Npgsql takes the first writable host).
        await Eventually.UntilAsync(async () =>
        {
            NpgsqlConnection.ClearAllPools();
            await using var probe = new NpgsqlConnection(HaPrimary);
            await probe.OpenAsync();
            return probe.Port == oldPort;
        }, "Npgsql to connect to the revived old primary again (past Host Recheck Seconds)", poll: TimeSpan.FromMilliseconds(200));
        NpgsqlConnection.ClearAllPools();

        // pgdiscipline doctor sees two writable servers: a failed check naming both timelines.
        var (code, topology) = await DoctorTopologyAsync();
        output.WriteLine("doctor: " + topology.GetProperty("detail").GetString());
        Assert.NotEqual(0, code);
        Assert.Equal("fail", topology.GetProperty("status").GetString());
        Assert.Contains("2 servers accept writes", topology.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(oldHost + " (timeline 1)", topology.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, topology.GetProperty("data").EnumerateArray().Count(n => n.GetProperty("role").GetString() == "primary"));

        // Without PgDiscipline the application's next write goes to the old primary (the fault is real).
        await using (var plain = new NpgsqlConnection(HaPrimary))
        {
            await plain.OpenAsync();
            Assert.Equal(int.Parse(_cluster.Env["PGD_OLD_PRIMARY_PORT"], System.Globalization.CultureInfo.InvariantCulture), plain.Port);
        }

        NpgsqlConnection.ClearAllPools();
        for (var i = 0; i < 20; i++)
        {
            await WriteAsync(a, 100 + i);
        }

        await using (var db = HaContext.Create(HaPrimary, a))
        {
            var runtime = db.FindPgDisciplineRuntime()!;
            Assert.Equal(1, Assert.Contains(oldHost, runtime.RefusedPrimaries));
        }

        // Instance B never saw timeline 2 itself: the session token from A tells it.
        var b = (PgDisciplineOptions pg) => Routing(pg, TimeSpan.FromMilliseconds(300));
        NpgsqlConnection.ClearAllPools();
        for (var i = 0; i < 20; i++)
        {
            await using var db = HaContext.Create(HaPrimary, b);
            db.GetPgDisciplineSession().Token = token;
            db.Writes.Add(new HaWrite { Id = 200 + i, Writer = 2 });
            await db.SaveChangesAsync();
        }

        // A single-host connection string to the old primary has no other host to go to: a typed error naming both timelines.
        await using (var db = HaContext.Create(oldPrimary, pg => Routing(pg, TimeSpan.FromMilliseconds(400))))
        {
            db.GetPgDisciplineSession().Token = token;
            db.Writes.Add(new HaWrite { Id = 999, Writer = 3 });
            var update = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            var ex = Assert.IsType<StalePrimaryException>(update.InnerException);
            Assert.Equal(1, ex.Timeline);
            Assert.Equal(2, ex.NewestTimeline);
            Assert.Equal(oldHost, ex.Host);
            Assert.False(ex.IsTransient);
            Assert.Contains("timeline 1", ex.Message, StringComparison.Ordinal);
            Assert.Contains("timeline 2", ex.Message, StringComparison.Ordinal);
        }

        var onOld = (long)(await LocalCluster.ScalarAsync(oldPrimary, "select count(*) from ha_writes where id >= 100"))!;
        var onNew = (long)(await LocalCluster.ScalarAsync(_cluster.Primary, "select count(*) from ha_writes where id >= 100"))!;
        output.WriteLine($"after the old primary returned: {onOld} writes on it, {onNew} on the promoted standby");
        Assert.Equal(0, onOld);
        Assert.Equal(40, onNew);
    }

    [Fact]
    public async Task A_cascading_replica_is_measured_against_the_primary_leaves_rotation_when_its_upstream_dies_and_returns_after()
    {
        // 3 s of allowed lag: a cascade behind a loaded 2-core machine's replica1 can trail by a second while streaming.
        var maxLag = TimeSpan.FromSeconds(3);
        var options = (PgDisciplineOptions pg) =>
        {
            pg.AddReplica(_cluster.Env["PGD_CASCADE"]);
            pg.HealthCheckInterval = TimeSpan.FromMilliseconds(200);
            pg.MaxReplicaLag = maxLag;
        };
        using var stop = new CancellationTokenSource();
        long nextId = 1000, stale = 0, sessionReads = 0;
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = Interlocked.Increment(ref nextId);
                await using var db = HaContext.Create(_cluster.Primary, options);
                db.Writes.Add(new HaWrite { Id = id, Writer = 9 });
                await db.SaveChangesAsync();
                Interlocked.Increment(ref sessionReads);
                if (!await db.Writes.AsNoTracking().AnyAsync(w => w.Id == id))
                {
                    Interlocked.Increment(ref stale);
                }

                await Task.Delay(10);
            }
        });

        PgDisciplineRuntime runtime;
        await using (var db = HaContext.Create(_cluster.Primary, options))
        {
            runtime = db.FindPgDisciplineRuntime()!;
        }

        var admitted = await WaitForAsync(() => runtime.Replicas[0].IsInRotation, Eventually.DefaultTimeout);
        Assert.True(admitted, "the cascading replica was never admitted: " + runtime.Replicas[0].Health.Status);
        var lagStreaming = runtime.Replicas[0].Health.Lag;

        var sw = Stopwatch.StartNew();
        await _cluster.StopServerAsync("replica1");
        var ejected = await WaitForAsync(() => !runtime.Replicas[0].IsInRotation, Eventually.DefaultTimeout);
        var ejectedAfter = sw.Elapsed;
        var reason = runtime.Replicas[0].Health.Status;
        Assert.True(ejected, "the cascading replica stayed in rotation after its upstream died");

        sw.Restart();
        await _cluster.StartServerAsync("replica1");
        var back = await WaitForAsync(() => runtime.Replicas[0].IsInRotation, Eventually.DefaultTimeout);
        var backAfter = sw.Elapsed;
        await stop.CancelAsync();
        await writer;

        output.WriteLine($"cascade lag while streaming: {lagStreaming?.TotalMilliseconds:0} ms; ejected {ejectedAfter.TotalMilliseconds:0} ms after replica1 stopped ({reason}); back in rotation {backAfter.TotalMilliseconds:0} ms after replica1 started");
        output.WriteLine($"read-your-writes reads: {sessionReads}, stale: {stale}");
        Assert.True(lagStreaming <= maxLag, $"lag {lagStreaming}");
        Assert.True(back, "the cascading replica did not return to rotation after replica1 came back");
        Assert.Equal(0, stale);
    }

    /// <summary><c>pgdiscipline doctor</c> over the application's primary hosts and every replica: its exit code and topology check.</summary>
    private async Task<(int Code, System.Text.Json.JsonElement Topology)> DoctorTopologyAsync()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await PgDiscipline.Cli.CliApp.RunAsync(
            ["doctor", "--format", "json", "--connection", _cluster.Env["PGD_HA_PRIMARY"],
             "--replica", _cluster.Env["PGD_REPLICA1"], "--replica", _cluster.Env["PGD_REPLICA2"], "--replica", _cluster.Env["PGD_CASCADE"]],
            stdout, stderr, CancellationToken.None);
        var checks = System.Text.Json.JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("checks");
        return (code, checks.EnumerateArray().Single(c => c.GetProperty("check").GetString() == "topology").Clone());
    }

    private async Task WriteAsync(Action<PgDisciplineOptions> pg, long id)
    {
        await using var db = HaContext.Create(HaPrimary, pg);
        db.Writes.Add(new HaWrite { Id = id, Writer = 1 });
        await db.SaveChangesAsync();
    }

    /// <summary>Retries a write right after the failover (stale pooled connections, Npgsql's host states) for up to a minute.</summary>
    private async Task WriteWithRetryAsync(Action<PgDisciplineOptions> pg, long id)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await WriteAsync(pg, id);
                return;
            }
            catch (Exception) when (Stopwatch.GetElapsedTime(started) < Eventually.DefaultTimeout)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return condition();
    }
}
