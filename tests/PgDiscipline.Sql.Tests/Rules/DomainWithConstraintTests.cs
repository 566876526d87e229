namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD332: <c>src/PgDiscipline.Sql/Migrations/Rules/DomainWithConstraint.cs</c>.</summary>
public sealed class DomainWithConstraintTests
{
    [Theory]
    [InlineData("CREATE DOMAIN positive AS numeric(15,5) CHECK (VALUE > 0)")]
    [InlineData("CREATE DOMAIN d AS text NOT NULL")]
    public void Reported(string sql) => RuleCase.Reported("PGD332", sql);

    [Theory]
    [InlineData("CREATE DOMAIN name_text AS text")]
    [InlineData("CREATE DOMAIN d AS text DEFAULT NULL")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD332", sql);
}
