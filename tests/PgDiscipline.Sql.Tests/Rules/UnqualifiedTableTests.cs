namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD334: <c>src/PgDiscipline.Sql/Migrations/Rules/UnqualifiedTable.cs</c>.</summary>
public sealed class UnqualifiedTableTests
{
    [Theory]
    [InlineData("CREATE TABLE my_table (id bigint)")]
    [InlineData("ALTER TABLE my_table ADD COLUMN name text")]
    [InlineData("DROP TABLE my_table")]
    [InlineData("CREATE TABLE my_table AS SELECT 1")]
    public void Reported(string sql) => RuleCase.Reported("PGD334", sql);

    [Theory]
    [InlineData("CREATE TABLE public.my_table (id bigint)")]
    [InlineData("ALTER TABLE public.my_table ADD COLUMN name text")]
    [InlineData("CREATE TEMP TABLE x (id int)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD334", sql);
}
