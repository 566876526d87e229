namespace PgDiscipline;

/// <summary>The database rule source (<c>pgdiscipline.query_rules</c>, written by <c>pgdiscipline rules …</c>). Off unless
/// <see cref="FromReplicas"/> or <see cref="ConnectionString"/> is set.</summary>
public sealed class DatabaseRuleOptions
{
    /// <summary>Read the rules through the replicas: each round of health checks asks one replica for the rule table's
    /// version and reads the rules when it changed. No connection of its own and nothing on the primary, so it fits a
    /// fleet of any size; a change reaches every instance within replication lag plus one <c>HealthCheckInterval</c>.
    /// Needs replicas; the table must exist (<c>pgdiscipline rules</c> creates it). Default false.</summary>
    public bool FromReplicas { get; set; }

    /// <summary>Read the rules over a connection of the instance's own to the primary with LISTEN/NOTIFY (a change reaches
    /// it in milliseconds): a direct connection, not through PgBouncer transaction mode (LISTEN needs a session). One
    /// connection per instance: for small fleets; use <see cref="FromReplicas"/> for large ones.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Reload even without a notification this often. Default 30 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Create the table, trigger and schema if missing (idempotent). Default true.</summary>
    public bool CreateTable { get; set; } = true;
}
