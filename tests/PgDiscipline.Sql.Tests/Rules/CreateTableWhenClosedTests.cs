namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>PGD311: <c>src/PgDiscipline.Sql/Migrations/Rules/CreateTableWhenClosed.cs</c>.</summary>
public sealed class CreateTableWhenClosedTests
{
    private static string[] Findings(string sql, bool closed)
        => MigrationLint.Lint(sql, new MigrationLintOptions { IncludedRules = ["PGD311"], ClosedToNewTables = closed }).Select(f => f.RuleId).ToArray();

    [Fact]
    public void Reported_only_when_the_database_is_closed_to_new_tables()
    {
        Assert.Equal(["PGD311"], Findings("CREATE TABLE n (id bigint)", closed: true));
        Assert.Empty(Findings("CREATE TABLE n (id bigint)", closed: false));
        Assert.Empty(Findings("CREATE TEMP TABLE n (id bigint)", closed: true));
    }
}
