namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD326: <c>src/PgDiscipline.Sql/Migrations/Rules/LimitedVarchar.cs</c>.</summary>
public sealed class LimitedVarcharTests
{
    [Theory]
    [InlineData("CREATE TABLE t (name varchar(100))")]
    [InlineData("ALTER TABLE t ADD COLUMN code character varying(20)")]
    [InlineData("CREATE TABLE t (tags varchar(10)[])")]
    public void Reported(string sql) => RuleCase.Reported("PGD326", sql);

    [Theory]
    [InlineData("CREATE TABLE t (name varchar)")]
    [InlineData("CREATE TABLE t (name text)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD326", sql);
}
