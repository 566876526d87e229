// PGD103: the tests poll progress in loops on purpose.
#pragma warning disable PGD103
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgDiscipline.Cli;
using PgDiscipline.Sql;
using PgDiscipline.Testing;
using Xunit.Abstractions;
using PgDiscipline.Operations;

namespace PgDiscipline.IntegrationTests;

/// <summary>The backfill runner on the real cluster: a million rows exactly once across a killed process, replica lag
/// pausing it, its rate limit over a minute, one runner at a time, bad input refused before anything is written, the
/// EF Core form, and the CLI.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BackfillTests(ClusterFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await cluster.WaitForStreamingAsync(Eventually.DefaultTimeout);
        await ClusterFixture.ScalarAsync(cluster.Primary, BackfillTable.CreateSql);
    }

    /// <summary>Big updates leave the replicas replaying for a while: the next test starts with them caught up.</summary>
    public Task DisposeAsync() => CatchUpAsync();

    private async Task CatchUpAsync()
    {
        var position = (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_current_wal_lsn()::text"))!;
        foreach (var replica in cluster.Replicas)
        {
            await ClusterFixture.ScalarAsync(replica, "select pg_wal_replay_resume()");
            await ClusterFixture.WaitReplayedAsync(replica, position, TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>A fresh table of <paramref name="rows"/> rows (id 1..rows, n = 0) and no backfill row under <paramref name="backfill"/>.</summary>
    private async Task CreateTableAsync(string table, int rows, string backfill)
    {
        await ClusterFixture.ScalarAsync(cluster.Primary, $"""
            drop table if exists {table};
            create table {table} (id bigint primary key, n int not null default 0, note text);
            insert into {table} (id) select g from generate_series(1, {rows}) g;
            analyze {table};
            delete from pgdiscipline.backfills where name = '{backfill}';
            """);
    }

    private async Task<long> ScalarLongAsync(string sql) => Convert.ToInt64(await ClusterFixture.ScalarAsync(cluster.Primary, sql), System.Globalization.CultureInfo.InvariantCulture);

    private static BackfillDefinition Increment(string name, string table)
        => BackfillDefinition.FromSql(name, table, "id", $"update {table} set n = n + 1 where id between :lower and :upper");

    private async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["backfill", .. args, "--connection", cluster.Primary], stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task A_million_rows_are_each_updated_exactly_once_across_a_killed_process_and_running_it_again_does_nothing()
    {
        const string table = "bf_million";
        const int rows = 1_000_000;
        await CreateTableAsync(table, rows, "bf-million");

        // The CLI in a process of its own, killed (SIGKILL) a third of the way through.
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "pgdiscipline.dll"), "backfill", "run", "bf-million", "--table", table, "--key", "id",
            "--sql", $"update {table} set n = n + 1 where id between :lower and :upper", "--batch-size", "5000", "--max-batch-size", "50000",
            "--progress-interval", "00:00:00", "--rows-per-second", "150000",
        })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["PGDISCIPLINE_CONNECTION"] = cluster.Primary;
        var sw = Stopwatch.StartNew();
        using (var process = Process.Start(psi)!)
        {
            // Killed from its own progress output the moment it reports a third done (plain lines: output redirected).
            var lines = new ConcurrentQueue<string>();
            var killed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var progressLine = new System.Text.RegularExpressions.Regex(@"^backfill bf-million: running, ([\d,]+)/");
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    killed.TrySetResult("(output ended)");
                    return;
                }

                lines.Enqueue(e.Data);
                if (progressLine.Match(e.Data) is { Success: true } m && long.Parse(m.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture) >= rows / 3)
                {
                    try
                    {
                        process.Kill(entireProcessTree: true);
                    }
                    catch (InvalidOperationException)
                    {
                    }

                    killed.TrySetResult(e.Data);
                }
            };
            process.BeginOutputReadLine();
            var at = await killed.Task.WaitAsync(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync();
            output.WriteLine($"killed after {sw.Elapsed.TotalSeconds:0.0} s at the line: {at}");
            Assert.StartsWith("backfill bf-million: running,", at, StringComparison.Ordinal);
            Assert.NotEqual(0, process.ExitCode);
        }

        var atKill = await ScalarLongAsync("select rows_done from pgdiscipline.backfills where name = 'bf-million'");
        output.WriteLine($"committed when killed: {atKill:N0} rows");
        Assert.InRange(atKill, rows / 4, rows - 1);
        Assert.Equal(atKill, await ScalarLongAsync($"select count(*) from {table} where n = 1")); // progress row and table agree: same transactions
        Assert.Equal(0, await ScalarLongAsync($"select count(*) from {table} where n > 1"));

        // The status shows it stopped (no runner), then it runs again to the end, in this process.
        var (code, text, _) = await CliAsync("status", "bf-million");
        Assert.Equal(0, code);
        Assert.Contains("stopped (its runner ended", text, StringComparison.Ordinal);

        var resumed = Stopwatch.StartNew();
        await using var primary = NpgsqlDataSource.Create(cluster.Primary);
        var result = await new BackfillRunner(primary, Increment("bf-million", table), new BackfillOptions { BatchSize = 5000, MaxBatchSize = 50_000 }).RunAsync();
        output.WriteLine($"resumed and finished in {resumed.Elapsed.TotalSeconds:0.0} s: {result.RowsDone:N0} rows, {result.Batches:N0} batches, last batch size {result.BatchSize}, {result.RowsPerSecond:N0} rows/s");
        Assert.Equal(BackfillState.Done, result.State);
        Assert.Equal(rows, result.RowsDone);
        Assert.Equal(rows, await ScalarLongAsync($"select count(*) from {table} where n = 1")); // every row exactly once
        Assert.Equal(rows, await ScalarLongAsync($"select sum(n) from {table}"));

        // Done is done: running it again changes nothing.
        var again = await new BackfillRunner(primary, Increment("bf-million", table)).RunAsync();
        Assert.Equal(BackfillState.Done, again.State);
        Assert.Equal(rows, await ScalarLongAsync($"select sum(n) from {table}"));
        Assert.Equal(result.Batches, await ScalarLongAsync("select batches from pgdiscipline.backfills where name = 'bf-million'"));
        await ClusterFixture.ScalarAsync(cluster.Primary, $"drop table {table}");
    }

    [Fact]
    public async Task Paused_wal_replay_on_a_replica_pauses_the_backfill_and_it_resumes_after()
    {
        const string table = "bf_lag";
        await CreateTableAsync(table, 80_000, "bf-lag");
        await CatchUpAsync();
        var interval = TimeSpan.FromMilliseconds(250);
        await using var runtime = PgDisciplineRuntime.Create(new PgDisciplineOptions
        {
            Replicas = { new ReplicaOptions { ConnectionString = cluster.Replicas[0], Name = "replica1" }, new ReplicaOptions { ConnectionString = cluster.Replicas[1], Name = "replica2" } },
            HealthCheckInterval = interval,
            MaxReplicaLag = TimeSpan.FromSeconds(30), // the runtime keeps serving reads; the backfill's own bound is lower
        });
        var options = new BackfillOptions { RowsPerSecond = 10_000, BatchSize = 1000, MaxReplicaLag = TimeSpan.FromMilliseconds(500) }.UseRuntime(runtime);
        await using var primary = NpgsqlDataSource.Create(cluster.Primary);
        var states = new ConcurrentQueue<(TimeSpan At, BackfillProgress P)>();
        var clock = Stopwatch.StartNew();
        var run = Task.Run(() => new BackfillRunner(primary, Increment("bf-lag", table), options).RunAsync(new SyncProgress(p => states.Enqueue((clock.Elapsed, p)))));
        try
        {
            await WaitForAsync(() => states.Any(s => s.P.RowsDone >= 20_000), TimeSpan.FromSeconds(60), "the backfill never got going");
            await ClusterFixture.PauseReplayAsync(cluster.Replicas[0]);
            var pausedReplay = clock.Elapsed;

            // When did the runtime's monitor first see the lag past the bound, and when did the backfill pause? (It may
            // already have paused for a moment of lag a loaded machine caused: then it is paused now, and stays so.)
            TimeSpan? exceeded = null;
            await WaitForAsync(() =>
            {
                if (exceeded is null && runtime.Replicas.Any(r => r.Health.Lag > options.MaxReplicaLag || (r.Health.Lag is null && r.Health.LagBytes > 0)))
                {
                    exceeded = clock.Elapsed;
                }

                return exceeded is not null && states.LastOrDefault() is { P.State: BackfillState.Paused, P.PauseReason: BackfillTable.Reasons.ReplicaLag };
            }, TimeSpan.FromSeconds(60), "the backfill did not pause while replica1 lagged", poll: 5);
            var history = states.ToArray();
            var paused = history.Select((s, i) => (s, i)).Last(x => x.s.P.State == BackfillState.Paused && (x.i == 0 || history[x.i - 1].P.State != BackfillState.Paused)).s.At;
            output.WriteLine($"replay paused at {pausedReplay.TotalSeconds:0.00} s; lag past 500 ms seen by the monitor at {exceeded?.TotalSeconds:0.00} s; backfill paused at {paused.TotalSeconds:0.00} s");
            // Expected within one check interval (250 ms) plus a batch; the bound is 5 s, many times that, for a loaded 2-core
            // machine: it still tells pausing at the next check from pausing only when the run ends.
            Assert.True(paused - exceeded!.Value <= TimeSpan.FromSeconds(5), $"paused {(paused - exceeded.Value).TotalMilliseconds:0} ms after the monitor saw the lag (one health interval is {interval.TotalMilliseconds} ms, plus a batch)");

            // Paused means no batch commits: none while the runner looks again and again (not during a fixed pause).
            var during = await ScalarLongAsync("select rows_done from pgdiscipline.backfills where name = 'bf-lag'");
            await RunnerLooksAgainAsync(times: 4);
            Assert.Equal(during, await ScalarLongAsync("select rows_done from pgdiscipline.backfills where name = 'bf-lag'"));
            Assert.Equal("paused", (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select state from pgdiscipline.backfills where name = 'bf-lag'"))!);

            await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_wal_replay_resume()");
            var result = await run.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(BackfillState.Done, result.State);
            Assert.True(result.Pauses.GetValueOrDefault(BackfillTable.Reasons.ReplicaLag) >= 1);
            Assert.True(result.MaxReplicaLagSeen > TimeSpan.FromMilliseconds(500));
            Assert.Equal(80_000, await ScalarLongAsync($"select count(*) from {table} where n = 1"));

            // The runtime's statistics snapshot carries it (and so the report).
            using var snapshot = await RuntimeSnapshots.SnapshotAsync(runtime);
            var entry = Assert.Single(snapshot.RootElement.GetProperty("backfills").EnumerateArray());
            Assert.Equal("done", entry.GetProperty("state").GetString());
            Assert.True(entry.GetProperty("pauses").GetProperty("replica_lag").GetInt64() >= 1);
        }
        finally
        {
            await ClusterFixture.ScalarAsync(cluster.Replicas[0], "select pg_wal_replay_resume()");
            await ClusterFixture.ScalarAsync(cluster.Primary, $"drop table if exists {table}");
        }
    }

    [Fact]
    public async Task The_rate_limit_is_not_exceeded_over_a_minute()
    {
        const string table = "bf_rate";
        const double rate = 1000;
        await CreateTableAsync(table, 100_000, "bf-rate");
        await using var primary = NpgsqlDataSource.Create(cluster.Primary);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new BackfillRunner(primary, Increment("bf-rate", table), new BackfillOptions { RowsPerSecond = rate }).RunAsync(cancellationToken: stop.Token));
        var seconds = sw.Elapsed.TotalSeconds;
        var done = await ScalarLongAsync("select rows_done from pgdiscipline.backfills where name = 'bf-rate'");
        var measured = done / seconds;
        output.WriteLine($"{done:N0} rows in {seconds:0.0} s: {measured:0.0} rows/s against a limit of {rate}");
        // Never above the limit (10%: the first batch is the only burst), whatever the load. Below it only by what a loaded
        // 2-core machine fails to keep up with, so that side is wide; the measured rate is printed (docs/configuration.md).
        Assert.InRange(measured, rate * 0.5, rate * 1.1);
        Assert.Equal(done, await ScalarLongAsync($"select count(*) from {table} where n = 1"));
        Assert.Equal("stopped", (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select state from pgdiscipline.backfills where name = 'bf-rate'"))!);
        await ClusterFixture.ScalarAsync(cluster.Primary, $"drop table {table}");
    }

    [Fact]
    public async Task A_second_runner_refuses_while_the_first_holds_it_or_waits_and_finishes_after_a_cancel()
    {
        const string table = "bf_twice";
        await CreateTableAsync(table, 20_000, "bf-twice");
        await using var primary = NpgsqlDataSource.Create(cluster.Primary);
        var first = new BackfillRunner(primary, Increment("bf-twice", table), new BackfillOptions { RowsPerSecond = 2000, BatchSize = 200 });
        var running = Task.Run(() => first.RunAsync());
        await WaitForAsync(async () => await ScalarLongAsync("select coalesce((select rows_done from pgdiscipline.backfills where name = 'bf-twice'), 0)") > 0, Eventually.DefaultTimeout, "the first runner never committed a batch");

        var refused = await Assert.ThrowsAsync<BackfillLeaseException>(() => new BackfillRunner(primary, Increment("bf-twice", table)).RunAsync());
        Assert.Equal(first.Owner, refused.Owner);
        Assert.Contains(first.Owner, refused.Message, StringComparison.Ordinal);

        // A waiting second runner takes over once the first is cancelled (CLI), and finishes: every row once.
        var tries = await LeaseTriesAsync();
        var second = Task.Run(() => new BackfillRunner(primary, Increment("bf-twice", table), new BackfillOptions { WaitForOtherRunner = true, CheckInterval = TimeSpan.FromMilliseconds(50) }).RunAsync());
        await WaitForAsync(async () => await LeaseTriesAsync() >= tries + 3 || second.IsCompleted, Eventually.DefaultTimeout, "the second runner to try for the lease a few times");
        Assert.False(second.IsCompleted, "the second runner should be waiting for the first: " + (second.IsFaulted ? second.Exception!.InnerException!.Message : second.Status.ToString()));
        var (code, text, _) = await CliAsync("cancel", "bf-twice");
        Assert.Equal(0, code);
        Assert.Contains("cancel requested", text, StringComparison.Ordinal);
        Assert.Equal(BackfillState.Cancelled, (await running.WaitAsync(Eventually.DefaultTimeout)).State);
        var finished = await second.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(BackfillState.Done, finished.State);
        Assert.Equal(20_000, await ScalarLongAsync($"select count(*) from {table} where n = 1"));
        Assert.Equal(20_000, await ScalarLongAsync($"select sum(n) from {table}"));
        await ClusterFixture.ScalarAsync(cluster.Primary, $"drop table {table}");
    }

    [Fact]
    public async Task The_primary_guard_holds_the_backfill_while_it_says_wait()
    {
        const string table = "bf_guard";
        await CreateTableAsync(table, 5_000, "bf-guard");
        await using var primary = NpgsqlDataSource.Create(cluster.Primary);
        var busy = true;
        var asked = 0;
        var options = new BackfillOptions
        {
            BatchSize = 500,
            CheckInterval = TimeSpan.FromMilliseconds(50),
            MaxActiveSessions = 1000, // the built-in guard runs too, and lets it pass
            PrimaryGuard = async (connection, ct) =>
            {
                Interlocked.Increment(ref asked);
                await using var cmd = new NpgsqlCommand("select count(*) from pg_stat_activity", connection); // a real probe on the runner's connection
                _ = await cmd.ExecuteScalarAsync(ct);
                return Volatile.Read(ref busy) ? "queue depth over 100" : null;
            },
        };
        var states = new ConcurrentQueue<BackfillProgress>();
        var run = Task.Run(() => new BackfillRunner(primary, Increment("bf-guard", table), options).RunAsync(new SyncProgress(states.Enqueue)));
        await WaitForAsync(() => states.Any(p => p.State == BackfillState.Paused), Eventually.DefaultTimeout, "the guard did not pause it");
        var held = Stopwatch.StartNew(); // the pause began before this
        Assert.Equal("primary_guard: queue depth over 100", states.First(p => p.State == BackfillState.Paused).PauseReason);
        var askedWhenPaused = Volatile.Read(ref asked);
        await WaitForAsync(() => Volatile.Read(ref asked) >= askedWhenPaused + 3, Eventually.DefaultTimeout, "the guard was not asked again while waiting");
        Assert.Equal(0, await ScalarLongAsync("select rows_done from pgdiscipline.backfills where name = 'bf-guard'"));
        held.Stop(); // before the guard can say go: the runner's own count of the pause covers all of this
        Volatile.Write(ref busy, false);
        var result = await run.WaitAsync(Eventually.DefaultTimeout);
        Assert.Equal(BackfillState.Done, result.State);
        Assert.Equal(1, result.Pauses["primary_guard"]);
        Assert.True(result.Paused >= held.Elapsed, $"paused {result.Paused} by its count; the test held it for {held.Elapsed}");
        Assert.Equal(5_000, await ScalarLongAsync($"select count(*) from {table} where n = 1"));
        await ClusterFixture.ScalarAsync(cluster.Primary, $"drop table {table}");
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_error_before_anything_is_written()
    {
        await ClusterFixture.ScalarAsync(cluster.Primary, """
            drop table if exists bf_bad;
            create table bf_bad (id bigint primary key, grp int not null, maybe int unique, note text);
            insert into bf_bad select g, g % 10, g, null from generate_series(1, 100) g;
            delete from pgdiscipline.backfills where name like 'bf-bad%';
            """);
        await using var primary = NpgsqlDataSource.Create(cluster.Primary);

        async Task<string> Refused(string name, string table, string key, string sql)
        {
            var ex = await Assert.ThrowsAsync<BackfillDefinitionException>(() => new BackfillRunner(primary, BackfillDefinition.FromSql(name, table, key, sql)).RunAsync());
            Assert.Equal(0, await ScalarLongAsync($"select count(*) from pgdiscipline.backfills where name = '{name}'"));
            output.WriteLine(ex.Message);
            return ex.Message;
        }

        const string ok = "update bf_bad set note = 'x' where id between :lower and :upper";
        Assert.Contains("no table bf_nope", await Refused("bf-bad-1", "bf_nope", "id", ok), StringComparison.Ordinal);
        Assert.Contains("has no column nope", await Refused("bf-bad-2", "bf_bad", "nope", ok), StringComparison.Ordinal);
        Assert.Contains("no unique index of its own", await Refused("bf-bad-3", "bf_bad", "grp", ok), StringComparison.Ordinal);
        Assert.Contains("allows nulls", await Refused("bf-bad-4", "bf_bad", "maybe", ok), StringComparison.Ordinal);
        Assert.Contains("42703", await Refused("bf-bad-5", "bf_bad", "id", "update bf_bad set nope = 1 where id between :lower and :upper"), StringComparison.Ordinal);

        // A statement without its bounds is refused when the definition is made.
        var noUpper = Assert.Throws<BackfillDefinitionException>(() => BackfillDefinition.FromSql("bf-bad-6", "bf_bad", "id", "update bf_bad set note = 'x' where id >= :lower"));
        Assert.Contains("no :upper parameter", noUpper.Message, StringComparison.Ordinal);

        // The CLI says the same, exit code 2, and writes nothing either.
        var (code, _, err) = await CliAsync("run", "bf-bad-7", "--table", "bf_bad", "--key", "grp", "--sql", ok);
        Assert.Equal(2, code);
        Assert.Contains("no unique index of its own", err, StringComparison.Ordinal);
        Assert.Equal(0, await ScalarLongAsync("select count(*) from pgdiscipline.backfills where name like 'bf-bad%'"));
        Assert.Equal(0, await ScalarLongAsync("select count(*) from bf_bad where note is not null"));

        // A name is one definition: reusing it for another statement is refused.
        await new BackfillRunner(primary, BackfillDefinition.FromSql("bf-bad-8", "bf_bad", "id", ok)).RunAsync();
        Assert.Contains("already used", (await Assert.ThrowsAsync<BackfillDefinitionException>(() =>
            new BackfillRunner(primary, BackfillDefinition.FromSql("bf-bad-8", "bf_bad", "id", "update bf_bad set note = 'y' where id between :lower and :upper")).RunAsync())).Message, StringComparison.Ordinal);
        await ClusterFixture.ScalarAsync(cluster.Primary, "drop table bf_bad; delete from pgdiscipline.backfills where name like 'bf-bad%'");
    }

    [Fact]
    public async Task The_ef_core_form_runs_execute_update_over_each_key_range_once()
    {
        await ClusterFixture.ScalarAsync(cluster.Primary, """
            drop table if exists bf_items;
            create table bf_items (id int primary key, name text not null, qty int not null);
            insert into bf_items select g, 'item ' || g, 0 from generate_series(1, 30000) g;
            delete from pgdiscipline.backfills where name = 'bf-ef';
            """);
        var options = new DbContextOptionsBuilder<BackfillContext>().UseNpgsql(cluster.Primary).Options;
        var definition = BackfillDefinition.ForEntity<BackfillContext, Item, int>(
            "bf-ef", () => new BackfillContext(options), i => i.Id,
            (range, ct) => range.ExecuteUpdateAsync(s => s.SetProperty(i => i.Qty, i => i.Qty + 1), ct));
        Assert.Equal("\"bf_items\"", definition.Table);
        Assert.Equal("id", definition.KeyColumn);
        await ClusterFixture.ScalarAsync(cluster.Primary, "select pg_stat_statements_reset()");
        await using var primary = NpgsqlDataSource.Create(cluster.Primary);
        var progress = new List<BackfillProgress>();
        var result = await new BackfillRunner(primary, definition, new BackfillOptions { BatchSize = 1000 }).RunAsync(new SyncProgress(progress.Add));
        Assert.Equal(BackfillState.Done, result.State);
        Assert.Equal(30_000, result.RowsDone);
        Assert.Equal(30_000, result.RowsAffected);
        Assert.Equal(30_000, await ScalarLongAsync("select count(*) from bf_items where qty = 1"));
        Assert.True(progress.Count >= 2);

        // pg_stat_statements: every batch was the same statement (bounds are parameters).
        var shapes = await ScalarLongAsync("select count(*) from pg_stat_statements where query like 'UPDATE bf_items%' or query like 'UPDATE \"bf_items\"%'");
        Assert.Equal(1, shapes);
        await ClusterFixture.ScalarAsync(cluster.Primary, "drop table bf_items");
    }

    [Fact]
    public async Task The_cli_runs_pauses_resumes_and_reports_status_as_text_and_json()
    {
        const string table = "bf_cli";
        await CreateTableAsync(table, 30_000, "bf-cli");
        var run = Task.Run(() => CliAsync("run", "bf-cli", "--table", table, "--key", "id", "--sql", $"update {table} set n = n + 1 where id between :lower and :upper",
            "--rows-per-second", "3000", "--batch-size", "300", "--replica", cluster.Replicas[0], "--replica", cluster.Replicas[1], "--progress-interval", "00:00:00.5"));
        await WaitForAsync(async () => await ScalarLongAsync("select coalesce((select rows_done from pgdiscipline.backfills where name = 'bf-cli'), 0)") > 0, Eventually.DefaultTimeout, "the CLI never committed a batch");

        Assert.Equal(0, (await CliAsync("pause", "bf-cli")).Code);
        await WaitForAsync(async () => (string)(await ClusterFixture.ScalarAsync(cluster.Primary, "select state from pgdiscipline.backfills where name = 'bf-cli'"))! == "paused", Eventually.DefaultTimeout, "no pause");
        var (code, text, _) = await CliAsync("status");
        Assert.Equal(0, code);
        Assert.Matches(@"bf-cli\tpaused \(requested\)\t[\d,]+/[\d,]+ \(", text);
        var during = await ScalarLongAsync("select rows_done from pgdiscipline.backfills where name = 'bf-cli'");
        await RunnerLooksAgainAsync(times: 3);
        Assert.Equal(during, await ScalarLongAsync("select rows_done from pgdiscipline.backfills where name = 'bf-cli'"));
        Assert.Equal(0, (await CliAsync("resume", "bf-cli")).Code);

        var (runCode, runOut, runErr) = await run.WaitAsync(TimeSpan.FromMinutes(1));
        output.WriteLine(runOut + runErr);
        Assert.Equal(0, runCode);
        Assert.Contains("backfill bf-cli: paused (requested)", runOut, StringComparison.Ordinal);
        Assert.Contains("backfill bf-cli: done, 30,000/30,000 rows", runOut, StringComparison.Ordinal);
        Assert.Equal(30_000, await ScalarLongAsync($"select count(*) from {table} where n = 1"));

        var (jsonCode, json, _) = await CliAsync("status", "bf-cli", "--format", "json");
        Assert.Equal(0, jsonCode);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(BackfillStatusDocument.CurrentSchema, doc.RootElement.GetProperty("schema").GetString());
        var entry = Assert.Single(doc.RootElement.GetProperty("backfills").EnumerateArray());
        Assert.Equal("done", entry.GetProperty("state").GetString());
        Assert.Equal(30_000, entry.GetProperty("rowsDone").GetInt64());
        Assert.Equal(1, entry.GetProperty("pauses").GetProperty("requested").GetInt64());
        Assert.DoesNotContain("n = n + 1", json, StringComparison.Ordinal); // no statement text (it may hold literal values)
        await ClusterFixture.ScalarAsync(cluster.Primary, $"drop table {table}");
    }

    private static Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what, int poll = 20)
        => Eventually.UntilAsync(condition, what, timeout, poll: TimeSpan.FromMilliseconds(poll));

    private static Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, int poll = 20)
        => Eventually.UntilAsync(condition, what, timeout, poll: TimeSpan.FromMilliseconds(poll));

    /// <summary>How often runners have tried for a backfill's lease (pg_stat_statements on the primary).</summary>
    private Task<long> LeaseTriesAsync()
        => ScalarLongAsync("select coalesce(sum(calls), 0)::bigint from pg_stat_statements where query like 'select pg_try_advisory_lock(hashtext(%'");

    /// <summary>Waits until the (one) running backfill has looked at its request <paramref name="times"/> more times, as
    /// it does after every check interval while paused: a window in which a runner that is not paused commits a batch.</summary>
    private async Task RunnerLooksAgainAsync(int times)
    {
        const string Polls = "select coalesce(sum(calls), 0)::bigint from pg_stat_statements where query = 'select requested from pgdiscipline.backfills where name = $1'";
        var before = await ScalarLongAsync(Polls);
        await WaitForAsync(async () => await ScalarLongAsync(Polls) >= before + times, Eventually.DefaultTimeout, $"the paused runner to look at its request {times} more times");
    }

    /// <summary>Calls back on the reporting thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<BackfillProgress> report) : IProgress<BackfillProgress>
    {
        public void Report(BackfillProgress value) => report(value);
    }
}

/// <summary>The EF Core form's model: <see cref="Item"/> on table <c>bf_items</c>.</summary>
public sealed class BackfillContext(DbContextOptions<BackfillContext> options) : DbContext(options)
{
    public DbSet<Item> Items => Set<Item>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<Item>(e =>
        {
            e.ToTable("bf_items");
            e.Property(i => i.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(i => i.Name).HasColumnName("name");
            e.Property(i => i.Qty).HasColumnName("qty");
        });
}
