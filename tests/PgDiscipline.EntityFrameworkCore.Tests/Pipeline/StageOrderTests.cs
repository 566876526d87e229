using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>The order of the stages, and that the timeouts hold on every path a read can take. Servers that do not answer
/// are loopback sockets that accept and never reply; time is a fake clock.</summary>
public sealed class StageOrderTests
{
    [Fact]
    public void The_stages_run_in_the_documented_order()
    {
        var options = new PgDisciplineOptions();
        options.AddReplica("Host=replica.invalid");
        using var runtime = PgDisciplineRuntime.Create(options);
        Assert.Equal(
            ["RuleStage", "RouteStage", "CoalescingStage", "ReplicaStage", "MigrationGuard", "PrimaryStage"],
            runtime.Get<CommandPipeline>().Stages.Select(s => s.GetType().Name));
    }

    [Fact]
    public void A_command_runs_only_the_stages_that_can_apply_to_its_plan()
    {
        const string Read = "select * from messages where id = @p0";
        const string Write = "update messages set body = @p1 where id = @p0";
        const string Blocked = "select * from audit where id = @p0";
        var plain = new PgDisciplineOptions();
        plain.Migrations.Enabled = false;
        plain.Rules.Block(PgDiscipline.Sql.SqlFingerprint.Compute(Blocked).ToString(), "incident 7");
        using var direct = PgDisciplineRuntime.Create(plain);
        Assert.Equal(["PrimaryStage"], Names(direct, Read, ExecutionKind.Reader));
        Assert.Equal(["PrimaryStage"], Names(direct, Write, ExecutionKind.NonQuery));
        Assert.Equal(["RuleStage", "PrimaryStage"], Names(direct, Blocked, ExecutionKind.Reader));

        var replicated = new PgDisciplineOptions();
        replicated.AddReplica("Host=replica.invalid");
        using var routed = PgDisciplineRuntime.Create(replicated);
        Assert.Equal(["RouteStage", "ReplicaStage", "PrimaryStage"], Names(routed, Read, ExecutionKind.Reader));
        Assert.Equal(["RouteStage", "CoalescingStage", "ReplicaStage", "PrimaryStage"], Names(routed, "-- pgdiscipline:coalesce\n\n" + Read, ExecutionKind.Reader));
        Assert.Equal(["ReplicaStage", "MigrationGuard", "PrimaryStage"], Names(routed, Write, ExecutionKind.NonQuery));
        Assert.Equal(["ReplicaStage", "PrimaryStage"], Names(routed, "select count(*) from messages", ExecutionKind.Scalar));

        static string[] Names(PgDisciplineRuntime runtime, string sql, ExecutionKind kind)
        {
            var pipeline = runtime.Get<CommandPipeline>();
            var command = Events.Command(sql);
            var execution = pipeline.Begin(command, Events.Executing(command), kind, sync: true);
            var names = execution.Stages.Select(s => s.GetType().Name).ToArray();
            execution.Complete(0);
            return names;
        }
    }

    [Fact]
    public async Task A_blocked_read_opens_no_connection_and_touches_no_replica()
    {
        var options = new PgDisciplineOptions();
        options.AddReplica("Host=replica.invalid");
        const string Sql = "select * from messages where id = @p0";
        options.Rules.Block(PgDiscipline.Sql.SqlFingerprint.Compute(Sql).ToString(), "incident 7");
        await using var runtime = PgDisciplineRuntime.Create(options);
        var connection = new FakeConnection();
        var command = Events.Command(Sql, connection);

        await Assert.ThrowsAsync<QueryBlockedException>(async () =>
            await ((DbCommandInterceptor)runtime.Interceptors[0]).ReaderExecutingAsync(command, Events.Executing(command), default));
        Assert.Equal(0, connection.Opens);
        Assert.All(runtime.Replicas, r => Assert.Equal(0, r.InFlight));
        Assert.Equal("not checked yet", runtime.Replicas[0].Health.Status); // the health checks were not even started
    }

    [Fact]
    public async Task A_coalesced_follower_gives_up_at_its_own_statement_timeout_while_its_leader_hangs()
    {
        var time = new FakeTimeProvider();
        var settings = new PgDisciplineOptions();
        settings.Timeouts.Statement = TimeSpan.FromSeconds(2);
        var options = new CurrentOptions(settings);
        var (planner, _) = Parts.Planner(options, null);
        var hang = new TaskCompletionSource<Served>();
        var pipeline = new CommandPipeline(planner, new ExecutionPool(time), [new CoalescingStage(options, new ReadCoalescer(), time), new Hang(hang.Task)]);
        const string Sql = "-- pgdiscipline:coalesce\n\nselect * from profiles where id = 7";

        var leader = Events.Command(Sql);
        var leading = CommandPipeline.ExecuteAsync(pipeline.Begin(leader, Events.Executing(leader), ExecutionKind.Reader, sync: false), default).AsTask();
        var follower = Events.Command(Sql);
        var following = CommandPipeline.ExecuteAsync(pipeline.Begin(follower, Events.Executing(follower), ExecutionKind.Reader, sync: false), default).AsTask();

        time.Advance(TimeSpan.FromSeconds(2.4));
        Assert.False(following.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1)); // statement timeout 2 s + the client margin 0.5 s
        var ex = await Assert.ThrowsAsync<NpgsqlException>(() => following.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("2500 ms", ex.Message, StringComparison.Ordinal);
        Assert.False(leading.IsCompleted);
        hang.SetCanceled();
    }

    [Fact]
    public async Task A_rescue_read_is_bounded_by_the_statement_timeout_on_a_replica_that_does_not_answer()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections (the kernel does) and never answers the startup message
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var time = new FakeTimeProvider();
        var options = new PgDisciplineOptions { MaxReplicaLag = TimeSpan.FromSeconds(1) };
        options.Timeouts.Statement = TimeSpan.FromSeconds(1);
        options.AddReplica($"Host=127.0.0.1;Port={port};Username=app;Password=app;Database=app");
        await using var runtime = PgDisciplineRuntime.Create(options, NullLoggerFactory.Instance, time);
        var replica = runtime.Get<ReplicaSet>().All[0];
        replica.Admitted = true;
        var plan = runtime.Get<CommandPipeline>().Planner.PlanFor("select * from users where id = 1");
        var execution = Parts.Execution(plan, Events.Command(plan.CommandText), time, statementTimeout: options.Timeouts.Statement);
        execution.Route.Pool = ReplicaOptions.DefaultPool;

        var rescue = runtime.Get<ReplicaExecutor>().RescueAsync(execution, ReplicaOptions.DefaultPool, default).AsTask();
        using var accepted = await silent.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromMilliseconds(1400));
        Assert.False(rescue.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(100)); // the replica's bound: 1 s + 0.5 s
        for (var i = 0; i < 100 && !rescue.IsCompleted; i++)
        {
            await Task.Delay(10); // the attempt's cleanup runs on the thread pool; fake time only moves when told
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        var (served, waited) = await rescue.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(served.HasResult);
        Assert.True(waited);
        Assert.False(replica.Admitted);
        Assert.StartsWith("read failed: no answer within 1500 ms", replica.Health.Status, StringComparison.Ordinal);

        // The abandoned try still waits on the silent server; once that server goes away, it gives its slot back.
        Assert.Equal(1, replica.InFlight);
        accepted.Close();
        silent.Stop();
        for (var i = 0; i < 3000 && replica.InFlight > 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, replica.InFlight);
    }

    [Fact]
    public void A_replica_reads_bound_is_the_override_then_the_replicas_own_then_the_configured_statement_timeout()
    {
        var options = new PgDisciplineOptions();
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        var reporting = options.AddReplica("Host=reporting.invalid", pool: "reports");
        reporting.Timeouts.Statement = TimeSpan.FromSeconds(30);
        options.AddReplica("Host=oltp.invalid");
        using var runtime = PgDisciplineRuntime.Create(options);
        var (reports, oltp) = (runtime.Get<ReplicaSet>().All[0], runtime.Get<ReplicaSet>().All[1]);
        var planner = runtime.Get<CommandPipeline>().Planner;
        var plain = Parts.Execution(planner.PlanFor("select 1"), Events.Command("select 1"));
        var tagged = Parts.Execution(planner.PlanFor("-- pgdiscipline:statement_timeout=250ms\n\nselect 1"), Events.Command("select 1"));

        Assert.Equal(TimeSpan.FromSeconds(30.5), ReplicaAttempt.ClientBound(plain, reports));
        Assert.Equal(TimeSpan.FromSeconds(2.5), ReplicaAttempt.ClientBound(plain, oltp));
        Assert.Equal(TimeSpan.FromMilliseconds(750), ReplicaAttempt.ClientBound(tagged, reports));
    }

    /// <summary>A last stage that never answers (a leader whose server hangs).</summary>
    private sealed class Hang(Task<Served> never) : ICommandStage
    {
        public bool AppliesTo(CommandPlan plan, ExecutionKind kind) => true;

        public ValueTask<Served> ExecuteAsync(CommandExecution execution, StageCursor next, CancellationToken cancellationToken) => new(never);
    }
}
