namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD302: <c>src/PgDiscipline.Sql/Migrations/Rules/AddColumnVolatileDefault.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class AddColumnVolatileDefaultTests
{
    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()")]
    [InlineData("ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a + b) STORED")]
    [InlineData("ALTER TABLE t ADD COLUMN c int DEFAULT f()")]
    public void Reported(string sql) => RuleCase.Reported("PGD302", sql);

    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()")]
    [InlineData("ALTER TABLE t ADD COLUMN c int DEFAULT 0")]
    [InlineData("ALTER TABLE t ADD COLUMN c int DEFAULT NULL")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD302", sql);
}
