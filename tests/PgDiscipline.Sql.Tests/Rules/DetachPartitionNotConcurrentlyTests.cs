namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD316: <c>src/PgDiscipline.Sql/Migrations/Rules/DetachPartitionNotConcurrently.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class DetachPartitionNotConcurrentlyTests
{
    [Theory]
    [InlineData("ALTER TABLE events DETACH PARTITION events_2025")]
    public void Reported(string sql) => RuleCase.Reported("PGD316", sql);

    [Theory]
    [InlineData("ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY")]
    [InlineData("ALTER TABLE events DETACH PARTITION events_2025 FINALIZE")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD316", sql);
}
