using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>The replica set changes while the runtime runs. No server is reached: the hosts do not resolve and nothing
/// is routed. The same on the real cluster under load: RoutingTests.Replicas_added_removed_and_re_added_….</summary>
public sealed class ReplicaSetTests
{
    private static ReplicaOptions Replica(string name) => new() { ConnectionString = $"Host={name}.invalid", Name = name };

    [Fact]
    public async Task Unchanged_replicas_keep_their_endpoint_new_ones_join_out_of_rotation_removed_ones_leave_at_once()
    {
        var options = new PgDisciplineOptions();
        options.Replicas.Add(Replica("a"));
        options.Replicas.Add(Replica("b"));
        await using var runtime = PgDisciplineRuntime.Create(options);
        var a = runtime.Get<ReplicaSet>().All[0];
        var b = runtime.Get<ReplicaSet>().All[1];
        a.Admitted = b.Admitted = true;

        runtime.SetReplicas([Replica("a"), Replica("c")]);

        Assert.Equal(["a", "c"], runtime.Replicas.Select(r => r.Name));
        Assert.Same(a, runtime.Get<ReplicaSet>().All[0]);
        Assert.True(runtime.Replicas[0].IsInRotation);      // kept its state
        Assert.False(runtime.Replicas[1].IsInRotation);     // admitted by the health checks, not before
        Assert.True(b.Removed);
        Assert.False(b.Admitted);
        Assert.DoesNotContain(b, runtime.Get<ReplicaSet>().All);
        Assert.Equal(["primary", "a", "b", "c"], runtime.Statistics!.Targets); // c counted under a target of its own
    }

    [Fact]
    public void A_replicas_reads_have_no_command_timeout_of_npgsqls_own_whatever_the_connection_string_says()
    {
        // Every read sets CommandTimeout = 0 (its bound is kept outside): a different default made Npgsql change the
        // socket's send timeout twice per read.
        var given = new ReplicaEndpoint(new ReplicaOptions { ConnectionString = "Host=r1.invalid;Command Timeout=60" }, 1, TimeSpan.FromSeconds(2));
        var plain = new ReplicaEndpoint(new ReplicaOptions { ConnectionString = "Host=r2.invalid" }, 2);

        Assert.Equal(0, new Npgsql.NpgsqlConnectionStringBuilder(given.DataSource.ConnectionString).CommandTimeout);
        Assert.Equal(0, new Npgsql.NpgsqlConnectionStringBuilder(plain.DataSource.ConnectionString).CommandTimeout);
        Assert.Equal(3, new Npgsql.NpgsqlConnectionStringBuilder(given.DataSource.ConnectionString).Timeout); // connecting stays bounded
        // The health checks' source keeps the configured one: the rule-table poll has it as its own bound.
        Assert.Equal(60, new Npgsql.NpgsqlConnectionStringBuilder(given.Monitor.ConnectionString).CommandTimeout);
        Assert.Equal(30, new Npgsql.NpgsqlConnectionStringBuilder(plain.Monitor.ConnectionString).CommandTimeout);
        Assert.Equal(3, new Npgsql.NpgsqlConnectionStringBuilder(given.Monitor.ConnectionString).Timeout);
    }

    [Fact]
    public async Task An_invalid_replica_set_is_refused_naming_the_key_and_nothing_changes()
    {
        var options = new PgDisciplineOptions();
        options.Replicas.Add(Replica("a"));
        await using var runtime = PgDisciplineRuntime.Create(options);

        var ex = Assert.Throws<OptionsValidationException>(() => runtime.SetReplicas([Replica("a"), new ReplicaOptions { ConnectionString = "Host=x;Password=secret;Bogus=1" }]));
        Assert.Contains("PgDiscipline:Replicas:1:ConnectionString", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => runtime.SetReplicas([]));
        Assert.Equal(["a"], runtime.Replicas.Select(r => r.Name));

        await using var none = PgDisciplineRuntime.Create(new PgDisciplineOptions());
        Assert.Throws<InvalidOperationException>(() => none.SetReplicas([Replica("a")]));
    }

    [Fact]
    public async Task Replicas_reload_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgDiscipline:Replicas:0:ConnectionString"] = "Host=one.invalid",
            ["PgDiscipline:Replicas:0:Name"] = "one",
        }).Build();
        await using var provider = new ServiceCollection().AddPgDiscipline(configuration.GetSection("PgDiscipline")).BuildServiceProvider();
        var runtime = provider.GetRequiredService<PgDisciplineRuntime>();
        Assert.Equal(["one"], runtime.Replicas.Select(r => r.Name));

        configuration["PgDiscipline:Replicas:1:ConnectionString"] = "Host=two.invalid";
        configuration["PgDiscipline:Replicas:1:Name"] = "two";
        configuration.Reload();

        Assert.Equal(["one", "two"], runtime.Replicas.Select(r => r.Name));
    }
}
