namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD301: <c>src/PgDiscipline.Sql/Migrations/Rules/AlterColumnTypeRewrite.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class AlterColumnTypeRewriteTests
{
    [Theory]
    [InlineData("ALTER TABLE t ALTER COLUMN c TYPE bigint")]
    [InlineData("ALTER TABLE t ALTER COLUMN c TYPE text COLLATE \"C\"")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET DATA TYPE text USING c::text")]
    public void Reported(string sql) => RuleCase.Reported("PGD301", sql);

    [Theory]
    [InlineData("CREATE TABLE n (c int); ALTER TABLE n ALTER COLUMN c TYPE bigint")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET NOT NULL")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD301", sql);
}
