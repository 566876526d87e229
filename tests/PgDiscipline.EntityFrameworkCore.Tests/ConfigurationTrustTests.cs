using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PgDiscipline.EntityFrameworkCore.Tests;

/// <summary>Issue 32, items 4 and 5: every bad configuration value fails startup naming its key — inside collections too —
/// and every duration is checked against what PostgreSQL and .NET accept.</summary>
public sealed class ConfigurationTrustTests
{
    private static string StartupError(Dictionary<string, string?> values)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddPgDiscipline(config.GetSection("PgDiscipline"));
        using var provider = services.BuildServiceProvider();
        // The runtime: options (bound, validated) first, then the rules under PgDiscipline:Rules.
        var ex = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<PgDisciplineRuntime>());
        return ex is OptionsValidationException v ? string.Join("\n", v.Failures) : ex.Message;
    }

    [Fact]
    public void A_typo_inside_one_replica_fails_startup_naming_every_bad_key_instead_of_dropping_the_replica()
    {
        var error = StartupError(new()
        {
            ["PgDiscipline:Replicas:0:ConnectionString"] = "Host=r0",
            ["PgDiscipline:Replicas:1:ConnectionString"] = "Host=r1",
            ["PgDiscipline:Replicas:1:Weight"] = "2x",
            ["PgDiscipline:Replicas:2:ConnectionString"] = "Host=r2",
            ["PgDiscipline:Replicas:2:Timeouts:Statement"] = "2s",
            ["PgDiscipline:Replicas:2:Pool"] = "reports",
            ["PgDiscipline:Timeouts:Lock"] = "Password=s3cret",
        });
        Assert.Contains("'PgDiscipline:Replicas:1:Weight'", error, StringComparison.Ordinal);
        Assert.Contains("'PgDiscipline:Replicas:2:Timeouts:Statement'", error, StringComparison.Ordinal);
        Assert.Contains("'PgDiscipline:Timeouts:Lock'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("2x", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Good_replicas_bind_all_of_them()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgDiscipline:Replicas:0:ConnectionString"] = "Host=r0",
            ["PgDiscipline:Replicas:1:ConnectionString"] = "Host=r1",
            ["PgDiscipline:Replicas:1:Weight"] = "2",
            ["PgDiscipline:Replicas:1:Timeouts:Statement"] = "00:00:05",
        }).Build();
        var services = new ServiceCollection();
        services.AddPgDiscipline(config.GetSection("PgDiscipline"));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptionsMonitor<PgDisciplineOptions>>().CurrentValue;
        Assert.Equal(2, options.Replicas.Count);
        Assert.Equal((2, TimeSpan.FromSeconds(5)), (options.Replicas[1].Weight, options.Replicas[1].Timeouts.Statement));
    }

    [Theory]
    [InlineData("PgDiscipline:Timeouts:Statement", "30.00:00:00")] // 22023 on every query
    [InlineData("PgDiscipline:Timeouts:Lock", "30.00:00:00")] // FATAL on connect
    [InlineData("PgDiscipline:Timeouts:IdleInTransaction", "25.00:00:00")]
    [InlineData("PgDiscipline:Replicas:0:Timeouts:Statement", "30.00:00:00")]
    [InlineData("PgDiscipline:Migrations:LockTimeout", "30.00:00:00")]
    [InlineData("PgDiscipline:Migrations:StatementTimeout", "30.00:00:00")]
    [InlineData("PgDiscipline:HealthCheckInterval", "30.00:00:00")] // Task.Wait(TimeSpan) on the first reads
    [InlineData("PgDiscipline:Statistics:SnapshotInterval", "60.00:00:00")] // PeriodicTimer
    [InlineData("PgDiscipline:DatabaseRules:PollInterval", "30.00:00:00")] // NpgsqlConnection.WaitAsync
    [InlineData("PgDiscipline:Migrations:RetryBackoff", "60.00:00:00")] // Task.Delay
    [InlineData("PgDiscipline:MaxReplicaLag", "60.00:00:00")]
    public void A_duration_past_what_postgresql_or_dotnet_accept_fails_startup_naming_its_key(string key, string value)
    {
        var values = new Dictionary<string, string?> { ["PgDiscipline:Replicas:0:ConnectionString"] = "Host=r0", [key] = value };
        var error = StartupError(values);
        Assert.Contains(key, error, StringComparison.Ordinal);
        Assert.Contains("at most", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("24.20:31:23.647", true)] // INT_MAX ms: PostgreSQL's largest timeout
    [InlineData("24.20:31:23.648", false)]
    [InlineData("00:00:00.0001", true)] // rounded up to 1 ms
    [InlineData("00:00:00", false)]
    public void Server_timeouts_stop_at_int_max_milliseconds(string value, bool valid)
    {
        var options = new PgDisciplineOptions();
        options.Timeouts.Statement = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(valid, PgDisciplineOptionsValidator.Collect(options, "PgDiscipline").Count == 0);
    }

    [Fact]
    public void A_bad_value_in_a_configured_rule_names_its_key()
    {
        var error = StartupError(new()
        {
            ["PgDiscipline:Rules:0:Id"] = "slow",
            ["PgDiscipline:Rules:0:Tag"] = "x",
            ["PgDiscipline:Rules:0:Action"] = "Timeout",
            ["PgDiscipline:Rules:0:Timeout"] = "30.00:00:00",
            ["PgDiscipline:Rules:1:Id"] = "queue",
            ["PgDiscipline:Rules:1:Tag"] = "y",
            ["PgDiscipline:Rules:1:Action"] = "Concurrency",
            ["PgDiscipline:Rules:1:MaxConcurrency"] = "2",
            ["PgDiscipline:Rules:1:MaxQueueTime"] = "2s",
        });
        Assert.Contains("PgDiscipline:Rules:0 (rule 'slow'): Timeout must be at most", error, StringComparison.Ordinal);
        Assert.Contains("PgDiscipline:Rules:1:MaxQueueTime", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(BackfillOptions.LockTimeout))]
    [InlineData(nameof(BackfillOptions.StatementTimeout))]
    [InlineData(nameof(BackfillOptions.CheckInterval))]
    public void Backfill_durations_past_what_they_end_up_in_are_refused_naming_the_option(string name)
    {
        var options = new BackfillOptions();
        var days = TimeSpan.FromDays(60);
        _ = name switch
        {
            nameof(BackfillOptions.LockTimeout) => options.LockTimeout = TimeSpan.FromDays(30),
            nameof(BackfillOptions.StatementTimeout) => options.StatementTimeout = TimeSpan.FromDays(30),
            _ => options.CheckInterval = days,
        };
        Assert.Contains(options.Validate(), e => e.StartsWith(name + " must be at most", StringComparison.Ordinal));
    }
}
