namespace PgDiscipline;

/// <summary>The database rule source. Off unless <see cref="ConnectionString"/> is set.</summary>
public sealed class DatabaseRuleOptions
{
    /// <summary>A direct connection to the primary (not through PgBouncer transaction mode: LISTEN needs a session).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Reload even without a notification this often. Default 30 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Create the table, trigger and schema if missing (idempotent). Default true.</summary>
    public bool CreateTable { get; set; } = true;
}
