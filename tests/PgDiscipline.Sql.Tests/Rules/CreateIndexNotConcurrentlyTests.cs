namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD304: <c>src/PgDiscipline.Sql/Migrations/Rules/CreateIndexNotConcurrently.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class CreateIndexNotConcurrentlyTests
{
    [Theory]
    [InlineData("CREATE INDEX ix ON t (c)")]
    [InlineData("CREATE UNIQUE INDEX IF NOT EXISTS ix ON ONLY public.t USING btree (c)")]
    public void Reported(string sql) => RuleCase.Reported("PGD304", sql);

    [Theory]
    [InlineData("CREATE INDEX CONCURRENTLY ix ON t (c)")]
    [InlineData("CREATE TABLE n (c int); CREATE INDEX ix ON n (c)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD304", sql);
}
