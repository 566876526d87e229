namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD319: <c>src/PgDiscipline.Sql/Migrations/Rules/NotNullDropped.cs</c>.</summary>
public sealed class NotNullDroppedTests
{
    [Theory]
    [InlineData("ALTER TABLE users ALTER COLUMN email DROP NOT NULL")]
    public void Reported(string sql) => RuleCase.Reported("PGD319", sql);

    [Theory]
    [InlineData("CREATE TABLE t (c text NOT NULL); ALTER TABLE t ALTER COLUMN c DROP NOT NULL")]
    [InlineData("ALTER TABLE users ALTER COLUMN email SET NOT NULL")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD319", sql);
}
