using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace PgDiscipline.EntityFrameworkCore.Tests;

public sealed class OptionsValidationTests
{
    [Fact]
    public void Defaults_are_valid_and_match_the_documented_values()
    {
        var options = new PgDisciplineOptions();
        Assert.Empty(PgDisciplineOptionsValidator.Collect(options, "PgDiscipline"));
        Assert.Equal(ReadRouting.Replica, options.DefaultRead);
        Assert.Equal(ReadConsistency.Session, options.Consistency);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MaxReplicaLag);
        Assert.Equal(PoolerMode.Direct, options.Pooler);
    }

    [Fact]
    public void Negative_lag_is_rejected_naming_the_key()
    {
        var options = new PgDisciplineOptions { MaxReplicaLag = TimeSpan.FromSeconds(-1) };
        var error = Assert.Single(PgDisciplineOptionsValidator.Collect(options, "PgDiscipline"));
        Assert.StartsWith("PgDiscipline:MaxReplicaLag", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(50, true)]
    [InlineData(11_000, false)]
    public void ReadYourWritesWait_is_between_zero_and_ten_seconds(int milliseconds, bool valid)
    {
        var options = new PgDisciplineOptions { ReadYourWritesWait = TimeSpan.FromMilliseconds(milliseconds) };
        var errors = PgDisciplineOptionsValidator.Collect(options, "PgDiscipline");
        Assert.Equal(valid, errors.Count == 0);
        Assert.All(errors, e => Assert.StartsWith("PgDiscipline:ReadYourWritesWait", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_replica_connection_string_is_rejected_naming_the_index_and_never_echoing_the_password()
    {
        var options = new PgDisciplineOptions();
        options.AddReplica("Host=127.0.0.1;Password=s3cret-value;Port=notaport");
        options.AddReplica("Host=127.0.0.1;Bogus=1");
        options.AddReplica("");
        var errors = PgDisciplineOptionsValidator.Collect(options, "PgDiscipline");
        Assert.Equal(3, errors.Count);
        Assert.StartsWith("PgDiscipline:Replicas:0:ConnectionString", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("PgDiscipline:Replicas:1:ConnectionString", errors[1], StringComparison.Ordinal);
        Assert.Contains("bogus", errors[1], StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("PgDiscipline:Replicas:2:ConnectionString is empty", errors[2], StringComparison.Ordinal);
        Assert.DoesNotContain(errors, e => e.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public void A_value_that_cannot_be_converted_fails_at_startup_naming_the_key_but_never_echoing_the_value()
    {
        // Found by fuzzing: the configuration binder quotes the value, and a connection string under the wrong key leaked.
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgDiscipline:Timeouts:Lock"] = "Host=db;Password=s3cret-value",
        }).Build();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddPgDiscipline(config.GetSection("PgDiscipline"));
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var error = Assert.Throws<InvalidOperationException>(() => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<IOptionsMonitor<PgDisciplineOptions>>(provider).CurrentValue);
        Assert.Contains("'PgDiscipline:Timeouts:Lock'", error.Message, StringComparison.Ordinal);
        Assert.Contains("TimeSpan", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Source_root_with_an_invalid_path_character_is_rejected_naming_the_key()
    {
        var options = new PgDisciplineOptions();
        options.Statistics.SourceRoot = "/src/app" + (char)0;
        var error = Assert.Single(PgDisciplineOptionsValidator.Collect(options, "PgDiscipline"));
        Assert.StartsWith("PgDiscipline:Statistics:SourceRoot", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF", false)]
    [InlineData("0123456789abcde", false)]
    [InlineData("0123456789abcdeg", false)]
    [InlineData(null, false)]
    public void Fingerprint_format(string? value, bool valid) => Assert.Equal(valid, PgDiscipline.Sql.SqlFingerprint.IsCanonical(value));

    [Fact]
    public void Binds_from_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgDiscipline:DefaultRead"] = "Primary",
            ["PgDiscipline:Consistency"] = "Eventual",
            ["PgDiscipline:MaxReplicaLag"] = "00:00:02.5",
            ["PgDiscipline:Pooler"] = "PgBouncerTransaction",
            ["PgDiscipline:Timeouts:Statement"] = "00:00:02",
            ["PgDiscipline:Replicas:0:ConnectionString"] = "Host=127.0.0.1;Port=5433",
            ["PgDiscipline:Replicas:0:Pool"] = "low",
            ["PgDiscipline:Replicas:0:Weight"] = "3",
        }).Build();
        var options = new PgDisciplineOptions();
        config.GetSection("PgDiscipline").Bind(options);
        Assert.Equal(ReadRouting.Primary, options.DefaultRead);
        Assert.Equal(ReadConsistency.Eventual, options.Consistency);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), options.MaxReplicaLag);
        Assert.Equal(PoolerMode.PgBouncerTransaction, options.Pooler);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Timeouts.Statement);
        var replica = Assert.Single(options.Replicas);
        Assert.Equal(("low", 3), (replica.Pool, replica.Weight));
    }

    [Fact]
    public void Unknown_enum_value_in_configuration_fails_naming_the_key()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PgDiscipline:Consistency"] = "Sometimes",
        }).Build();
        var ex = Assert.Throws<InvalidOperationException>(() => config.GetSection("PgDiscipline").Bind(new PgDisciplineOptions()));
        Assert.Contains("PgDiscipline:Consistency", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_reports_through_IValidateOptions()
    {
        var result = new PgDisciplineOptionsValidator().Validate(Options.DefaultName, new PgDisciplineOptions { HealthCheckInterval = TimeSpan.Zero });
        Assert.True(result.Failed);
        Assert.Contains("PgDiscipline:HealthCheckInterval", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Blocked_exception_names_fingerprint_rule_and_reason()
    {
        var ex = new QueryBlockedException("0123456789abcdef", "incident-42", "melting the primary");
        Assert.Equal("0123456789abcdef", ex.Fingerprint);
        Assert.Equal("incident-42", ex.RuleId);
        Assert.Contains("0123456789abcdef", ex.Message, StringComparison.Ordinal);
        Assert.Contains("incident-42", ex.Message, StringComparison.Ordinal);
        Assert.Contains("melting the primary", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<PgDisciplineException>(ex);
    }

    [Theory]
    [InlineData(0, 8L << 20, "PgDiscipline:Coalescing:MaxRows")]
    [InlineData(100, 10L, "PgDiscipline:Coalescing:MaxBytes")]
    public void Coalescing_bounds_out_of_range_name_their_key(int maxRows, long maxBytes, string key)
    {
        var options = new PgDisciplineOptions();
        options.Coalescing.MaxRows = maxRows;
        options.Coalescing.MaxBytes = maxBytes;
        var error = Assert.Single(PgDisciplineOptionsValidator.Collect(options, "PgDiscipline"));
        Assert.StartsWith(key + " ", error, StringComparison.Ordinal);
    }
}
