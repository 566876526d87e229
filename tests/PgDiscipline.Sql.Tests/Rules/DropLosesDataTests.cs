namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD310: <c>src/PgDiscipline.Sql/Migrations/Rules/DropLosesData.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class DropLosesDataTests
{
    [Theory]
    [InlineData("ALTER TABLE t DROP COLUMN c")]
    [InlineData("DROP TABLE t")]
    [InlineData("ALTER TABLE t DROP c")]
    public void Reported(string sql) => RuleCase.Reported("PGD310", sql);

    [Theory]
    [InlineData("ALTER TABLE t DROP CONSTRAINT c")]
    [InlineData("CREATE TABLE n (c int); DROP TABLE n")]
    [InlineData("DROP VIEW v")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD310", sql);
}
