namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD308: <c>src/PgDiscipline.Sql/Migrations/Rules/CheckConstraintValidated.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class CheckConstraintValidatedTests
{
    [Theory]
    [InlineData("ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0)")]
    [InlineData("BEGIN; ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT ck; COMMIT;")]
    public void Reported(string sql) => RuleCase.Reported("PGD308", sql);

    [Theory]
    [InlineData("ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT ck")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD308", sql);
}
