namespace PgDiscipline.Sql;

/// <summary>Options of <see cref="MigrationLint"/>.</summary>
public sealed class MigrationLintOptions
{
    /// <summary>The PostgreSQL version (major) the script will run on when it is not said otherwise: 15, the oldest
    /// major still supported by the PostgreSQL project on 2026-12-05 (and the version this project tests against).</summary>
    public const int DefaultPostgresVersion = 15;

    private readonly HashSet<string> _excluded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _enabled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RuleSeverity> _severities = new(StringComparer.Ordinal);
    private HashSet<string>? _included;

    /// <summary>PGD311: the database is closed to new tables.</summary>
    public bool ClosedToNewTables { get; set; }

    /// <summary>PGD315: require <c>SET lock_timeout</c> before statements that take a lock the application waits for. Default true.</summary>
    public bool RequireLockTimeout { get; set; } = true;

    /// <summary>The PostgreSQL major version the script runs on. What it changes: a constant column default is a rewrite
    /// before 11; SET NOT NULL uses a validated <c>CHECK (col IS NOT NULL)</c> from 12; <c>DETACH PARTITION
    /// CONCURRENTLY</c> exists from 14. Default <see cref="DefaultPostgresVersion"/>.</summary>
    public int PostgresVersion { get; set; } = DefaultPostgresVersion;

    /// <summary>The script runs inside one transaction from its first statement (most migration runners wrap each file
    /// in one): CONCURRENTLY operations fail, and a VALIDATE after an ADD … NOT VALID holds the ADD's lock.</summary>
    public bool AssumeInTransaction { get; set; }

    /// <summary>Only these rules are reported (null: every rule).</summary>
    public IReadOnlyCollection<string>? IncludedRules
    {
        get => _included;
        set => _included = value is null ? null : new HashSet<string>(value, StringComparer.Ordinal);
    }

    /// <summary>Rules never reported.</summary>
    public ICollection<string> ExcludedRules => _excluded;

    /// <summary>Rules that are off by default (<see cref="RuleDescriptor.EnabledByDefault"/>) turned on. Naming a rule in
    /// <see cref="IncludedRules"/> or <see cref="Severities"/> turns it on too.</summary>
    public ICollection<string> EnabledRules => _enabled;

    /// <summary>Severity overrides by rule id (the catalog's severity otherwise).</summary>
    public IDictionary<string, RuleSeverity> Severities => _severities;

    /// <summary>Whether findings of <paramref name="id"/> are left out.</summary>
    public bool IsExcluded(string id)
        => _excluded.Contains(id) || (_included is not null && !_included.Contains(id))
            || (RuleCatalog.Find(id) is { EnabledByDefault: false } && !_enabled.Contains(id) && !_severities.ContainsKey(id) && _included?.Contains(id) != true);

    /// <summary>The severity a finding of <paramref name="id"/> gets.</summary>
    public RuleSeverity SeverityOf(string id)
        => _severities.TryGetValue(id, out var severity) ? severity : RuleCatalog.SeverityOf(id);
}
