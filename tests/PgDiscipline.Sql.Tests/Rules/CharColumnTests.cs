namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD328: <c>src/PgDiscipline.Sql/Migrations/Rules/CharColumn.cs</c>.</summary>
public sealed class CharColumnTests
{
    [Theory]
    [InlineData("CREATE TABLE t (code char(2))")]
    [InlineData("CREATE TABLE t (code character(3))")]
    [InlineData("ALTER TABLE t ADD COLUMN flag char")]
    [InlineData("CREATE TABLE t (c bpchar)")]
    public void Reported(string sql) => RuleCase.Reported("PGD328", sql);

    [Theory]
    [InlineData("CREATE TABLE t (code varchar(2), v character varying(5), x text)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD328", sql);
}
