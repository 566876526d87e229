namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD322: <c>src/PgDiscipline.Sql/Migrations/Rules/StatementWithoutTimeout.cs</c>.</summary>
public sealed class StatementWithoutTimeoutTests
{
    [Theory]
    [InlineData("CREATE INDEX CONCURRENTLY ix ON t (c)")]
    [InlineData("ALTER TABLE t VALIDATE CONSTRAINT c")]
    [InlineData("UPDATE t SET c = 1")]
    public void Reported(string sql) => RuleCase.Reported("PGD322", sql);

    [Theory]
    [InlineData("SET statement_timeout = '5min'; CREATE INDEX CONCURRENTLY ix ON t (c)")]
    [InlineData("CREATE TABLE t (id bigint)")]
    [InlineData("SELECT 1")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD322", sql);
}
