namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD329: <c>src/PgDiscipline.Sql/Migrations/Rules/IdentifierTooLong.cs</c>.</summary>
public sealed class IdentifierTooLongTests
{
    [Theory]
    [InlineData("CREATE TABLE table_very_long_very_long_very_long_very_long_very_long_very_long (id bigint)")]
    [InlineData("CREATE INDEX \"ix_very_long_very_long_very_long_very_long_very_long_very_long_x\" ON t (c)")]
    public void Reported(string sql) => RuleCase.Reported("PGD329", sql);

    [Theory]
    [InlineData("CREATE TABLE table_very_long_very_long_very_long_very_long_very_long_very_lo (id bigint)")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD329", sql);
}
