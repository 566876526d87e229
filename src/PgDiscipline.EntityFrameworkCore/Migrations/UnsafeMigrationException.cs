namespace PgDiscipline;

/// <summary>Thrown by the migration guard for a migration statement that breaks a migration-safety rule the migration
/// does not allow. The migration's transaction is rolled back, so nothing of it is applied.</summary>
public sealed class UnsafeMigrationException : CommandRefusedException
{
    /// <summary>Creates the exception.</summary>
    public UnsafeMigrationException(string migration, string statement, string ruleId, string problem)
        : base($"Migration {migration} refused by PgDiscipline: {ruleId}: {problem} Statement: {statement}. " +
               $"Use the safe form, or add [AllowUnsafeMigration(\"{ruleId}\", Reason = \"…\")] to the migration.",
            Sql.SqlFingerprint.Compute(statement).ToString(), ruleId)
    {
        Migration = migration;
        Statement = statement;
    }

    /// <summary>The migration id (e.g. <c>20261123101500_AddIndex</c>).</summary>
    public string Migration { get; }

    /// <summary>The refused statement, normalized (no literal values).</summary>
    public string Statement { get; }
}
