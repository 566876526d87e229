// PGD103: the leak test alternates two clients in a loop on purpose.
#pragma warning disable PGD103
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>Server-side timeouts, directly and through PgBouncer in transaction mode.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TimeoutTests(ClusterFixture cluster) : IAsyncLifetime
{
    public Task InitializeAsync() => ProbeContext.EnsureTableAsync(cluster.Primary);

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string> Modes => new() { "Direct", "PgBouncerTransaction" };

    private (string ConnectionString, PoolerMode Mode) Target(string mode) => mode == "Direct"
        ? (cluster.Primary, PoolerMode.Direct)
        : (cluster.PgBouncer, PoolerMode.PgBouncerTransaction);

    private static PostgresException? FindPostgres(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is PostgresException pg)
            {
                return pg;
            }
        }

        return null;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Long_statement_is_cancelled_by_the_server_at_the_statement_timeout(string mode)
    {
        var (cs, pooler) = Target(mode);
        await using var ctx = ProbeContext.Create(cs, pg =>
        {
            pg.Pooler = pooler;
            pg.Timeouts.Statement = TimeSpan.FromMilliseconds(600);
        });

        Assert.Equal("600ms", await ctx.Database.SqlQueryRaw<string>("select current_setting('statement_timeout') as \"Value\"").SingleAsync());

        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => ctx.Database.SqlQueryRaw<int>("select 1 as \"Value\" from pg_sleep(10)").ToListAsync());
        sw.Stop();
        Assert.Equal(PostgresErrorCodes.QueryCanceled, FindPostgres(ex)?.SqlState); // 57014
        Assert.Contains("statement timeout", FindPostgres(ex)!.MessageText, StringComparison.Ordinal);
        // The server's own message says which timeout fired; the wall clock only tells 600 ms from the 10 s sleep, with a
        // bound (8 s) many times the expected value for a loaded machine.
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Timeouts_through_PgBouncer_do_not_leak_to_other_clients_sharing_the_server_connection()
    {
        // PGD_PGBOUNCER_SINGLE has exactly one server connection: every client below shares it.
        await using var a = ProbeContext.Create(cluster.PgBouncerSingle, pg =>
        {
            pg.Pooler = PoolerMode.PgBouncerTransaction;
            pg.Timeouts.Statement = TimeSpan.FromMilliseconds(700);
            pg.Timeouts.Lock = TimeSpan.FromMilliseconds(300);
        });
        await using var b = ProbeContext.Create(cluster.PgBouncerSingle, pg =>
        {
            pg.Pooler = PoolerMode.PgBouncerTransaction;
            pg.Timeouts.Statement = TimeSpan.FromMilliseconds(1300);
        });
        const string Probe = "select current_setting('statement_timeout') || '/' || current_setting('lock_timeout') || '/' || pg_backend_pid() as \"Value\"";
        var seen = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            seen.Add("a:" + await a.Database.SqlQueryRaw<string>(Probe).SingleAsync());
            seen.Add("b:" + await b.Database.SqlQueryRaw<string>(Probe).SingleAsync());
        }

        var pids = seen.Select(s => s.Split('/')[2]).Distinct().ToList();
        Assert.Single(pids); // really one shared server connection
        Assert.All(seen.Where(s => s.StartsWith("a:", StringComparison.Ordinal)), s => Assert.StartsWith("a:700ms/300ms/", s, StringComparison.Ordinal));
        Assert.All(seen.Where(s => s.StartsWith("b:", StringComparison.Ordinal)), s => Assert.StartsWith("b:1300ms/0/", s, StringComparison.Ordinal));

        // A plain client on the same server connection sees the server defaults: nothing leaked.
        var plain = new NpgsqlConnectionStringBuilder(cluster.PgBouncerSingle) { Pooling = false }.ConnectionString;
        await using var conn = new NpgsqlConnection(plain);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select current_setting('statement_timeout') || '/' || current_setting('lock_timeout') || '/' || pg_backend_pid()", conn);
        Assert.Equal($"0/0/{pids[0]}", (string)(await cmd.ExecuteScalarAsync())!);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Lock_wait_gives_up_at_the_lock_timeout(string mode)
    {
        var (cs, pooler) = Target(mode);
        await using var holder = new NpgsqlConnection(cluster.Primary);
        await holder.OpenAsync();
        await using var tx = await holder.BeginTransactionAsync();
        await using (var lockCmd = new NpgsqlCommand("lock table probe_items in access exclusive mode", holder, tx))
        {
            await lockCmd.ExecuteNonQueryAsync();
        }

        await using var ctx = ProbeContext.Create(cs, pg =>
        {
            pg.Pooler = pooler;
            pg.Timeouts.Statement = TimeSpan.FromSeconds(20);
            pg.Timeouts.Lock = TimeSpan.FromMilliseconds(400);
        });
        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => ctx.Items.Where(i => i.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(i => i.Qty, i => i.Qty + 1)));
        sw.Stop();
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, FindPostgres(ex)?.SqlState); // 55P03
        // 400 ms expected; the upper bound is 25 times that (a loaded machine), still far below the 20 s statement timeout.
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10));
        await tx.RollbackAsync();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Transaction_left_idle_is_terminated_by_the_server(string mode)
    {
        var (cs, pooler) = Target(mode);
        await using var ctx = ProbeContext.Create(cs, pg =>
        {
            pg.Pooler = pooler;
            pg.Timeouts.IdleInTransaction = TimeSpan.FromMilliseconds(500);
        });
        await using var tx = await ctx.Database.BeginTransactionAsync();
        var pid = await ctx.Database.SqlQueryRaw<int>("select pg_backend_pid() as \"Value\"").SingleAsync();
        Assert.Equal("500ms", await ctx.Database.SqlQueryRaw<string>("select current_setting('idle_in_transaction_session_timeout') as \"Value\"").SingleAsync());

        // The server ends that backend: it leaves pg_stat_activity (waited for, not assumed after a fixed pause).
        await Eventually.UntilAsync(async () => (long)(await ClusterFixture.ScalarAsync(cluster.Primary, $"select count(*) from pg_stat_activity where pid = {pid}"))! == 0,
            $"the server to end backend {pid}, idle in its transaction", poll: TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<Exception>(() => ctx.Database.SqlQueryRaw<int>("select 1 as \"Value\"").ToListAsync());
    }

    [Fact]
    public async Task ExecuteUpdate_through_the_prefix_reports_rows_affected_and_scalars_still_work()
    {
        await using var ctx = ProbeContext.Create(cluster.PgBouncer, pg =>
        {
            pg.Pooler = PoolerMode.PgBouncerTransaction;
            pg.Timeouts.Statement = TimeSpan.FromSeconds(5);
        });
        var expected = await ctx.Items.CountAsync(i => i.Qty <= 5);
        Assert.True(expected > 0);
        var updated = await ctx.Items.Where(i => i.Qty <= 5).ExecuteUpdateAsync(s => s.SetProperty(i => i.Name, i => i.Name));
        Assert.Equal(expected, updated);
        Assert.Equal(expected, await ctx.Database.ExecuteSqlRawAsync("update probe_items set name = name where qty <= 5"));

        var scalar = ctx.Database.GetService<IRelationalCommandBuilderFactory>().Create().Append("select 41 + 1").Build();
        var value = await scalar.ExecuteScalarAsync(new RelationalCommandParameterObject(
            ctx.Database.GetService<IRelationalConnection>(), null, null, ctx, null));
        Assert.Equal(42, value);
    }

    [Fact]
    public async Task Per_query_statement_timeout_overrides_the_default()
    {
        await using var ctx = ProbeContext.Create(cluster.Primary, pg => pg.Timeouts.Statement = TimeSpan.FromSeconds(30));
        var ex = await Assert.ThrowsAnyAsync<Exception>(() =>
            ctx.Database.SqlQueryRaw<int>("select 1 as \"Value\" from pg_sleep(10)").WithStatementTimeout(TimeSpan.FromMilliseconds(300)).ToListAsync());
        Assert.Equal(PostgresErrorCodes.QueryCanceled, FindPostgres(ex)?.SqlState);
        Assert.Equal("30s", await ctx.Database.SqlQueryRaw<string>("select current_setting('statement_timeout') as \"Value\"").SingleAsync());
    }
}
