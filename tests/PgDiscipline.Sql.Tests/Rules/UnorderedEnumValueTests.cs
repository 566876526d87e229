namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD330: <c>src/PgDiscipline.Sql/Migrations/Rules/UnorderedEnumValue.cs</c>.</summary>
public sealed class UnorderedEnumValueTests
{
    [Theory]
    [InlineData("ALTER TYPE mood ADD VALUE 'calm'")]
    [InlineData("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'calm'")]
    public void Reported(string sql) => RuleCase.Reported("PGD330", sql);

    [Theory]
    [InlineData("ALTER TYPE mood ADD VALUE 'calm' BEFORE 'happy'")]
    [InlineData("ALTER TYPE mood ADD VALUE 'calm' AFTER 'sad'")]
    [InlineData("ALTER TYPE mood RENAME VALUE 'a' TO 'b'")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD330", sql);
}
