namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD318: <c>src/PgDiscipline.Sql/Migrations/Rules/DatabaseDropped.cs</c>.</summary>
public sealed class DatabaseDroppedTests
{
    [Theory]
    [InlineData("DROP DATABASE analytics")]
    [InlineData("DROP DATABASE IF EXISTS analytics WITH (FORCE)")]
    public void Reported(string sql) => RuleCase.Reported("PGD318", sql);

    [Theory]
    [InlineData("DROP TABLE analytics")]
    [InlineData("DROP SCHEMA analytics")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD318", sql);
}
