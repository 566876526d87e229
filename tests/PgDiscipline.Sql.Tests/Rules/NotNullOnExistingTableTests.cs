namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD303: <c>src/PgDiscipline.Sql/Migrations/Rules/NotNullOnExistingTable.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class NotNullOnExistingTableTests
{
    [Theory]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET NOT NULL")]
    [InlineData("ALTER TABLE t ADD COLUMN c int NOT NULL")]
    [InlineData("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT NULL")]
    public void Reported(string sql) => RuleCase.Reported("PGD303", sql);

    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0")]
    [InlineData("ALTER TABLE t ADD COLUMN IF NOT EXISTS c text NULL")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT c_nn CHECK (c IS NOT NULL) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT c_nn; ALTER TABLE t ALTER COLUMN c SET NOT NULL")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD303", sql);
}
