namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD306: <c>src/PgDiscipline.Sql/Migrations/Rules/ForeignKeyValidated.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class ForeignKeyValidatedTests
{
    [Theory]
    [InlineData("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES u (id)")]
    [InlineData("ALTER TABLE t ADD COLUMN c int DEFAULT NULL REFERENCES u (id)")]
    [InlineData("BEGIN; ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES u (id) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT fk; COMMIT;")]
    public void Reported(string sql) => RuleCase.Reported("PGD306", sql);

    [Theory]
    [InlineData("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES u (id) NOT VALID")]
    [InlineData("ALTER TABLE t ADD COLUMN c int REFERENCES u (id)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD306", sql);
}
