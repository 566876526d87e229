using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using PgDiscipline.Operations.Configuration;

namespace PgDiscipline.Configuration;

/// <summary>Validates <see cref="PgDisciplineOptions"/>; every failure names the configuration key at fault
/// (never the value of a connection string, which may hold a password).</summary>
internal sealed class PgDisciplineOptionsValidator : IValidateOptions<PgDisciplineOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PgDisciplineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Collect(options, PgDisciplineOptions.SectionName);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>All problems, each naming its key under <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> Collect(PgDisciplineOptions options, string prefix)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        CheckEnum(options.DefaultRead, $"{prefix}:DefaultRead", errors);
        CheckEnum(options.Consistency, $"{prefix}:Consistency", errors);
        CheckEnum(options.Pooler, $"{prefix}:Pooler", errors);
        // Every duration against what it ends up in: a PostgreSQL setting (INT_MAX ms) or a .NET timer (2^32-2 ms).
        DurationLimits.CheckInterval(options.MaxReplicaLag, $"{prefix}:MaxReplicaLag", errors, allowZero: true);
        if (options.ReadYourWritesWait < TimeSpan.Zero || options.ReadYourWritesWait > TimeSpan.FromSeconds(10))
        {
            errors.Add($"{prefix}:ReadYourWritesWait must be between 0 and 10 seconds.");
        }

        // A check's timeout is the interval + 1 s, waited for with Task.Wait (an int of milliseconds) by the first reads.
        DurationLimits.CheckInterval(options.HealthCheckInterval, $"{prefix}:HealthCheckInterval", errors, max: DurationLimits.Wait - TimeSpan.FromSeconds(1));
        CheckTimeouts(options.Timeouts, $"{prefix}:Timeouts", errors);
        CheckTimeout(options.Migrations.LockTimeout, $"{prefix}:Migrations:LockTimeout", errors);
        CheckTimeout(options.Migrations.StatementTimeout, $"{prefix}:Migrations:StatementTimeout", errors);
        if (options.Migrations.MaxAttempts < 1)
        {
            errors.Add($"{prefix}:Migrations:MaxAttempts must be at least 1.");
        }

        if (options.HighAvailability.RecheckInterval <= TimeSpan.Zero || options.HighAvailability.RecheckInterval > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{prefix}:HighAvailability:RecheckInterval must be positive and at most 10 minutes.");
        }

        DurationLimits.CheckInterval(options.PrimaryReadingInterval, $"{prefix}:PrimaryReadingInterval", errors, max: TimeSpan.FromHours(1));
        if (options.DatabaseRules.FromReplicas && options.Replicas.Count == 0)
        {
            errors.Add($"{prefix}:DatabaseRules:FromReplicas needs at least one replica (or use DatabaseRules:ConnectionString).");
        }

        if (options.DatabaseRules.FromReplicas && options.DatabaseRules.ConnectionString is not null)
        {
            errors.Add($"{prefix}:DatabaseRules:FromReplicas and {prefix}:DatabaseRules:ConnectionString are two ways to read the rules: set one.");
        }

        for (var i = 0; i < options.SessionTokens.SigningKeys.Count; i++)
        {
            if (SessionTokenKeys.Decode(options.SessionTokens.SigningKeys[i]) is null)
            {
                errors.Add($"{prefix}:SessionTokens:SigningKeys:{i} must be base64 of at least {SessionTokenKeys.MinimumBytes} bytes (the value is not shown).");
            }
        }

        if (options.Coalescing.MaxRows is < 1 or > 10_000_000)
        {
            errors.Add($"{prefix}:Coalescing:MaxRows must be between 1 and 10000000.");
        }

        if (options.Coalescing.MaxBytes is < 1024 or > (1L << 34))
        {
            errors.Add($"{prefix}:Coalescing:MaxBytes must be between 1024 and 17179869184 (16 GiB).");
        }

        if (options.Statistics.MaxFingerprints is < 1 or > 1_000_000)
        {
            errors.Add($"{prefix}:Statistics:MaxFingerprints must be between 1 and 1000000.");
        }

        DurationLimits.CheckInterval(options.Statistics.SnapshotInterval, $"{prefix}:Statistics:SnapshotInterval", errors);

        if (options.Statistics.SourceRoot is { } sourceRoot && sourceRoot.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add($"{prefix}:Statistics:SourceRoot is not a valid directory path.");
        }

        if (options.Statistics.SnapshotPath is { } snapshotPath && (snapshotPath.Trim().Length == 0 || snapshotPath.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            errors.Add($"{prefix}:Statistics:SnapshotPath is not a valid file path.");
        }

        DurationLimits.CheckInterval(options.Migrations.RetryBackoff, $"{prefix}:Migrations:RetryBackoff", errors, allowZero: true);

        if (options.DatabaseRules.ConnectionString is { } rulesConnection && !TryParseConnectionString(rulesConnection, out var rulesProblem))
        {
            errors.Add($"{prefix}:DatabaseRules:ConnectionString is not a valid Npgsql connection string ({rulesProblem}).");
        }

        // Npgsql's WaitAsync takes an int of milliseconds.
        DurationLimits.CheckInterval(options.DatabaseRules.PollInterval, $"{prefix}:DatabaseRules:PollInterval", errors, max: DurationLimits.PostgresTimeout);

        CollectReplicas(options.Replicas, prefix, errors);

        // Rules are validated one by one by the rule compiler (QueryRuleCompiler), so that on a live reload a malformed
        // rule is rejected on its own and the other rules keep working; at startup any invalid rule is an error.
        return errors;
    }

    /// <summary>Problems with a replica list (<c>{prefix}:Replicas:N:…</c>): at startup, and when the replica set is
    /// replaced while running (<see cref="PgDisciplineRuntime.SetReplicas"/>).</summary>
    public static void CollectReplicas(IList<ReplicaOptions> replicas, string prefix, List<string> errors)
    {
        for (var i = 0; i < replicas.Count; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"{prefix}:Replicas:{i}");
            var replica = replicas[i];
            if (string.IsNullOrWhiteSpace(replica.ConnectionString))
            {
                errors.Add($"{key}:ConnectionString is empty.");
            }
            else if (!TryParseConnectionString(replica.ConnectionString, out var problem))
            {
                errors.Add($"{key}:ConnectionString is not a valid Npgsql connection string ({problem}).");
            }

            CheckTimeouts(replica.Timeouts, $"{key}:Timeouts", errors);
            if (replica.Weight <= 0)
            {
                errors.Add($"{key}:Weight must be a positive integer.");
            }

            if (string.IsNullOrWhiteSpace(replica.Pool))
            {
                errors.Add($"{key}:Pool must not be empty.");
            }
        }
    }

    private static void CheckEnum<T>(T value, string key, List<string> errors)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            errors.Add($"{key} has an unknown value; expected one of: {string.Join(", ", Enum.GetNames<T>())}.");
        }
    }

    private static void CheckTimeouts(TimeoutOptions timeouts, string key, List<string> errors)
    {
        CheckTimeout(timeouts.Statement, key + ":Statement", errors);
        CheckTimeout(timeouts.Lock, key + ":Lock", errors);
        CheckTimeout(timeouts.IdleInTransaction, key + ":IdleInTransaction", errors);
    }

    private static void CheckTimeout(TimeSpan? value, string key, List<string> errors) => DurationLimits.CheckTimeout(value, key, errors);

    private static bool TryParseConnectionString(string connectionString, out string problem)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                problem = "no Host";
                return false;
            }

            problem = "";
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Name the keyword only, never a value (it may be a password).
            problem = ex is ArgumentException { ParamName: { Length: > 0 } keyword }
                ? $"unknown keyword or invalid value for '{keyword}'"
                : "a setting has an invalid value";
            return false;
        }
    }
}
