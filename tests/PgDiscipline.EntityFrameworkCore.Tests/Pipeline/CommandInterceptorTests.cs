using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>The dispatcher end to end over fake commands and connections: nothing here reaches a server.</summary>
public sealed class CommandInterceptorTests
{
    private static DbCommandInterceptor Interceptor(PgDisciplineRuntime runtime) => (DbCommandInterceptor)runtime.Interceptors[0];

    [Fact]
    public async Task A_primary_read_in_PgBouncer_mode_gets_the_timeout_prefix_a_client_timeout_and_the_deferred_open()
    {
        var options = new PgDisciplineOptions { Pooler = PoolerMode.PgBouncerTransaction };
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        await using var runtime = PgDisciplineRuntime.Create(options);
        var connection = new FakeConnection();
        var command = Events.Command("select * from users where id = @p0", connection);

        var result = await Interceptor(runtime).ReaderExecutingAsync(command, Events.Executing(command), default);

        Assert.False(result.HasResult); // EF Core runs it, on the primary
        Assert.StartsWith(TimeoutSql.Marker + "SELECT set_config('statement_timeout', '2000ms', true);", command.CommandText, StringComparison.Ordinal);
        Assert.EndsWith("select * from users where id = @p0", command.CommandText, StringComparison.Ordinal);
        Assert.Equal(3, command.CommandTimeout);
        Assert.Equal(1, connection.Opens);
        Assert.Equal(1, runtime.Statistics!.Count);
    }

    [Fact]
    public async Task A_blocked_command_throws_before_the_primary_connection_is_opened_sync_and_async()
    {
        var options = new PgDisciplineOptions();
        var fingerprint = PgDiscipline.Sql.SqlFingerprint.Compute("delete from messages where id = @p0").ToString();
        options.Rules.Block(fingerprint, "incident 7", id: "no-deletes");
        await using var runtime = PgDisciplineRuntime.Create(options);
        var connection = new FakeConnection();

        var sync = Events.Command("delete from messages where id = @p0", connection);
        var ex = Assert.Throws<QueryBlockedException>(() => Interceptor(runtime).NonQueryExecuting(sync, Events.Executing(sync, CommandSource.SaveChanges), default));
        Assert.Equal(("no-deletes", fingerprint), (ex.RuleId, ex.Fingerprint));

        var async = Events.Command("delete from messages where id = @p0", connection);
        await Assert.ThrowsAsync<QueryBlockedException>(async () => await Interceptor(runtime).NonQueryExecutingAsync(async, Events.Executing(async, CommandSource.SaveChanges), default));
        Assert.Equal(0, connection.Opens);
        Assert.Equal("delete from messages where id = @p0", async.CommandText);
    }

    [Fact]
    public async Task With_replicas_writes_transactions_migrations_and_primary_tagged_reads_never_touch_a_replica()
    {
        // The replicas do not resolve: a command routed to one would fail or fall back, and the fake primary connection
        // would not be opened by the interceptor.
        var options = new PgDisciplineOptions { FallbackToPrimary = false };
        options.AddReplica("Host=replica-a.invalid;Timeout=1");
        await using var runtime = PgDisciplineRuntime.Create(options);
        var interceptor = Interceptor(runtime);

        foreach (var (text, source, inTransaction) in new[]
        {
            ("update users set name = @p0 where id = @p1", CommandSource.SaveChanges, false),
            ("select * from users where id = @p0", CommandSource.LinqQuery, true),
            ("select \"MigrationId\" from \"__EFMigrationsHistory\"", CommandSource.Migrations, false),
            ("-- pgdiscipline:read=primary balance must be fresh\n\nselect * from accounts", CommandSource.LinqQuery, false),
        })
        {
            var connection = new FakeConnection();
            var command = Events.Command(text, connection);
            if (inTransaction)
            {
                command.Transaction = new FakeTransaction(connection);
            }

            var result = await interceptor.ReaderExecutingAsync(command, Events.Executing(command, source), default);
            Assert.False(result.HasResult, text);
            Assert.Equal(1, connection.Opens);
        }

        Assert.All(runtime.Replicas, r => Assert.Equal(0, r.InFlight));
    }

    [Fact]
    public async Task A_warm_read_on_the_primary_allocates_nothing_in_the_interceptor_sync_and_async()
    {
        // A regression guard, not a timing: a closure in the dispatcher once cost 72 B per command, found by
        // InterceptorHotPathBenchmarks. Counts this thread's allocations only (EF Core's own are not part of it).
        var options = new PgDisciplineOptions();
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        options.Rules.Block(new string('a', 16), "another fingerprint", id: "other");
        await using var runtime = PgDisciplineRuntime.Create(options);
        var connection = new FakeConnection();
        connection.Open();
        const string Sql = "select * from users where id = @p0";
        var command = Events.Command(Sql, connection);
        var executing = Events.Executing(command, CommandSource.LinqQuery);
        var interceptor = Interceptor(runtime);
        for (var i = 0; i < 50; i++)
        {
            command.CommandText = Sql;
            interceptor.ReaderExecuting(command, executing, default);
            await interceptor.ReaderExecutingAsync(command, executing, default);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            command.CommandText = Sql;
            interceptor.ReaderExecuting(command, executing, default);
            var pending = interceptor.ReaderExecutingAsync(command, executing, default);
            Assert.True(pending.IsCompletedSuccessfully);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
