namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD315: <c>src/PgDiscipline.Sql/Migrations/Rules/LockWithoutTimeout.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class LockWithoutTimeoutTests
{
    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN c text")]
    [InlineData("DROP VIEW v")]
    [InlineData("CREATE TABLE n (u_id bigint REFERENCES u (id))")]
    [InlineData("DROP SCHEMA s CASCADE")]
    public void Reported(string sql) => RuleCase.Reported("PGD315", sql);

    [Theory]
    [InlineData("SET lock_timeout = '2s'; ALTER TABLE t ADD COLUMN c text")]
    [InlineData("COMMENT ON TABLE t IS 'x'")]
    [InlineData("CREATE TABLE n (id bigint)")]
    [InlineData("CREATE INDEX CONCURRENTLY ix ON t (c)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD315", sql);
}
