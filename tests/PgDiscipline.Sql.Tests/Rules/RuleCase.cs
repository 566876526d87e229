using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests.Rules;

/// <summary>Runs one rule (and only it) over SQL, with the rule turned on even when it is off by default.</summary>
internal static class RuleCase
{
    public static string[] Findings(string id, string sql, bool inTransaction = false, int pgVersion = MigrationLintOptions.DefaultPostgresVersion)
    {
        var options = new MigrationLintOptions { IncludedRules = [id], AssumeInTransaction = inTransaction, PostgresVersion = pgVersion, RequireLockTimeout = true };
        return MigrationLint.Lint(sql, options).Select(f => f.RuleId).ToArray();
    }

    public static void Reported(string id, string sql, bool inTransaction = false) => Assert.Contains(id, Findings(id, sql, inTransaction));

    public static void NotReported(string id, string sql, bool inTransaction = false) => Assert.DoesNotContain(id, Findings(id, sql, inTransaction));
}
