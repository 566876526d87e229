namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD333: <c>src/PgDiscipline.Sql/Migrations/Rules/ColumnNamedTwice.cs</c>.</summary>
public sealed class ColumnNamedTwiceTests
{
    [Theory]
    [InlineData("UPDATE t SET a = 1, a = 2 WHERE id = 1")]
    [InlineData("UPDATE t SET (a, b) = (1, 2), a = 3 WHERE id = 1")]
    [InlineData("INSERT INTO t (a, a) VALUES (1, 2)")]
    [InlineData("CREATE TABLE t (a int, a int)")]
    [InlineData("CREATE VIEW v (a, a) AS SELECT 1, 2")]
    [InlineData("CREATE VIEW v AS SELECT t.a, u.a FROM t, u")]
    public void Reported(string sql) => RuleCase.Reported("PGD333", sql);

    [Theory]
    [InlineData("UPDATE t SET a.x = 1, a.y = 2 WHERE id = 1")]
    [InlineData("INSERT INTO t (a, b) VALUES (1, 2)")]
    [InlineData("CREATE VIEW v AS SELECT t.a, u.a AS b FROM t, u")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD333", sql);
}
