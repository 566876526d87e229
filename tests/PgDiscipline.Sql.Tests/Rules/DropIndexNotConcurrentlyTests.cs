namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD305: <c>src/PgDiscipline.Sql/Migrations/Rules/DropIndexNotConcurrently.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class DropIndexNotConcurrentlyTests
{
    [Theory]
    [InlineData("DROP INDEX ix")]
    [InlineData("DROP INDEX IF EXISTS ix, iy")]
    public void Reported(string sql) => RuleCase.Reported("PGD305", sql);

    [Theory]
    [InlineData("DROP INDEX CONCURRENTLY ix")]
    [InlineData("CREATE TABLE n (c int); CREATE INDEX ix ON n (c); DROP INDEX ix")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD305", sql);
}
