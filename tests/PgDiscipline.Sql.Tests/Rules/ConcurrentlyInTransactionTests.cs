namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD314: <c>src/PgDiscipline.Sql/Migrations/Rules/ConcurrentlyInTransaction.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class ConcurrentlyInTransactionTests
{
    [Theory]
    [InlineData("BEGIN; CREATE INDEX CONCURRENTLY ix ON t (c); COMMIT;")]
    [InlineData("BEGIN; DROP INDEX CONCURRENTLY ix; COMMIT;")]
    [InlineData("BEGIN; REINDEX INDEX CONCURRENTLY ix; COMMIT;")]
    public void Reported(string sql) => RuleCase.Reported("PGD314", sql);

    [Theory]
    [InlineData("CREATE INDEX CONCURRENTLY ix ON t (c)")]
    [InlineData("BEGIN; COMMIT; CREATE INDEX CONCURRENTLY ix ON t (c)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD314", sql);
}
