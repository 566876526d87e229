namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD331: <c>src/PgDiscipline.Sql/Migrations/Rules/DomainConstraintAdded.cs</c>.</summary>
public sealed class DomainConstraintAddedTests
{
    [Theory]
    [InlineData("ALTER DOMAIN positive ADD CONSTRAINT gt0 CHECK (VALUE > 0)")]
    public void Reported(string sql) => RuleCase.Reported("PGD331", sql);

    [Theory]
    [InlineData("ALTER DOMAIN positive ADD CONSTRAINT gt0 CHECK (VALUE > 0) NOT VALID")]
    [InlineData("ALTER DOMAIN positive VALIDATE CONSTRAINT gt0")]
    [InlineData("ALTER DOMAIN positive SET NOT NULL")]
    public void Not_reported(string sql) => RuleCase.NotReported("PGD331", sql);
}
