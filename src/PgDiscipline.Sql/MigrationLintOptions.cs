namespace PgDiscipline.Sql;

/// <summary>Options of <see cref="MigrationLint"/>.</summary>
public sealed class MigrationLintOptions
{
    /// <summary>PGD311: the database is closed to new tables.</summary>
    public bool ClosedToNewTables { get; set; }

    /// <summary>PGD315: require <c>SET lock_timeout</c> before DDL on existing tables. Default true.</summary>
    public bool RequireLockTimeout { get; set; } = true;
}
