namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD323: <c>src/PgDiscipline.Sql/Migrations/Rules/NotRerunnable.cs</c>.</summary>
public sealed class NotRerunnableTests
{
    [Theory]
    [InlineData("SELECT 1; CREATE TABLE t (id bigint);")]
    [InlineData("ALTER TABLE t ADD COLUMN c text")]
    [InlineData("DROP INDEX CONCURRENTLY ix")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET NOT NULL")]
    public void Reported(string sql) => RuleCase.Reported("PGD323", sql);

    [Theory]
    [InlineData("BEGIN; CREATE TABLE t (id bigint); COMMIT;")]
    [InlineData("CREATE TABLE IF NOT EXISTS t (id bigint)")]
    [InlineData("ALTER TABLE t ADD COLUMN IF NOT EXISTS c text")]
    [InlineData("CREATE INDEX CONCURRENTLY ON t (c)")]
    [InlineData("ALTER TABLE t DROP CONSTRAINT IF EXISTS c; ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX ix;")]
    [InlineData("CREATE TEMP TABLE x (id int) ON COMMIT DROP")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD323", sql);
}
