namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD307: <c>src/PgDiscipline.Sql/Migrations/Rules/UniqueConstraintBuild.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class UniqueConstraintBuildTests
{
    [Theory]
    [InlineData("ALTER TABLE t ADD CONSTRAINT uq UNIQUE (c)")]
    [InlineData("ALTER TABLE t ADD PRIMARY KEY (id)")]
    [InlineData("ALTER TABLE t ADD COLUMN c text UNIQUE")]
    public void Reported(string sql) => RuleCase.Reported("PGD307", sql);

    [Theory]
    [InlineData("ALTER TABLE t ADD CONSTRAINT uq UNIQUE USING INDEX ix")]
    [InlineData("CREATE TABLE n (c int); ALTER TABLE n ADD PRIMARY KEY (c)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD307", sql);
}
