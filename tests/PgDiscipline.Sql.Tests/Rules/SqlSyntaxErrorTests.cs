namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD317: <c>src/PgDiscipline.Sql/Migrations/Rules/SqlSyntaxError.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class SqlSyntaxErrorTests
{
    [Theory]
    [InlineData("SELEC 1")]
    [InlineData("SELECT 1)")]
    [InlineData("UPDATE t SET c = (1 WHERE id = 2")]
    [InlineData("ALTER TABLE t ADD COLUMN")]
    [InlineData("ALTER TABLE t ADD COLUMN c int,")]
    [InlineData("SELECT 'never closed")]
    public void Reported(string sql) => RuleCase.Reported("PGD317", sql);

    [Theory]
    [InlineData("SELECT 1")]
    [InlineData("(SELECT 1) UNION (SELECT 2)")]
    [InlineData("DO $$ BEGIN PERFORM 1; END $$")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD317", sql);
}
