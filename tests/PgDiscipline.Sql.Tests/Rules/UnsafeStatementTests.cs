namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD312: <c>src/PgDiscipline.Sql/Migrations/Rules/UnsafeStatement.cs</c> (more cases in MigrationLintTests,
/// MigrationLintSquawkTests and MigrationLintRegressionTests).</summary>
public sealed class UnsafeStatementTests
{
    [Theory]
    [InlineData("VACUUM FULL t")]
    [InlineData("CLUSTER t USING ix")]
    [InlineData("LOCK TABLE t")]
    [InlineData("TRUNCATE t")]
    [InlineData("UPDATE t SET c = 1")]
    [InlineData("DELETE FROM t")]
    [InlineData("UPDATE t SET c = lower(c) WHERE TRUE")] // ory/kratos: every row, as with no WHERE
    [InlineData("UPDATE t SET c = 1 WHERE 1 = 1 RETURNING id")]
    [InlineData("DELETE FROM t WHERE ('a' = 'a')")]
    [InlineData("REINDEX TABLE t")]
    [InlineData("REFRESH MATERIALIZED VIEW mv")]
    public void Reported(string sql) => RuleCase.Reported("PGD312", sql);

    [Theory]
    [InlineData("VACUUM t")]
    [InlineData("LOCK TABLE t IN ACCESS SHARE MODE")]
    [InlineData("UPDATE t SET c = 1 WHERE id = 1")]
    [InlineData("UPDATE t SET c = 1 WHERE 1 = 2")]
    [InlineData("UPDATE t SET c = 1 WHERE true_flag")]
    [InlineData("UPDATE t SET c = 1 WHERE 'A' = 'a'")]
    [InlineData("UPDATE t SET c = 1 WHERE 'a b' = 'ab'")]
    [InlineData("REINDEX INDEX CONCURRENTLY ix")]
    [InlineData("REFRESH MATERIALIZED VIEW CONCURRENTLY mv")]
    [InlineData("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET c = 1")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD312", sql);
}
