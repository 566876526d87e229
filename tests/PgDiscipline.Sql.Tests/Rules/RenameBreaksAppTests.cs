namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD309: <c>src/PgDiscipline.Sql/Migrations/Rules/RenameBreaksApp.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class RenameBreaksAppTests
{
    [Theory]
    [InlineData("ALTER TABLE t RENAME COLUMN a TO b")]
    [InlineData("ALTER TABLE t RENAME TO u")]
    public void Reported(string sql) => RuleCase.Reported("PGD309", sql);

    [Theory]
    [InlineData("ALTER TABLE t RENAME CONSTRAINT a TO b")]
    [InlineData("CREATE TABLE n (a int); ALTER TABLE n RENAME COLUMN a TO b")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD309", sql);
}
