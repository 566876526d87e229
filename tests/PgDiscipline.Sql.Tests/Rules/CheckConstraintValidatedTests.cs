namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD308: <c>src/PgDiscipline.Sql/Migrations/Rules/CheckConstraintValidated.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class CheckConstraintValidatedTests
{
    [Theory]
    [InlineData("ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0)")]
    [InlineData("BEGIN; ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT ck; COMMIT;")]
    [InlineData("ALTER TABLE identities ADD COLUMN external_id text NULL CHECK (external_id IS NULL OR external_id != '')")] // ory/kratos
    [InlineData("ALTER TABLE t ADD COLUMN c int CONSTRAINT c_pos CHECK (c > 0) DEFAULT 1")]
    public void Reported(string sql) => RuleCase.Reported("PGD308", sql);

    [Theory]
    [InlineData("ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID")]
    [InlineData("ALTER TABLE t ADD CONSTRAINT ck CHECK (c > 0) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT ck")]
    [InlineData("ALTER TABLE t ADD COLUMN c int")]
    [InlineData("CREATE TABLE n (c int CHECK (c > 0)); ALTER TABLE n ADD COLUMN d int CHECK (d > 0)")] // a new table: no rows
    public void Not_reported(string sql) => RuleCase.NotReported("PGD308", sql);
}
