using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests;

/// <summary>Issue 34: every class of wrong finding measured on three projects' migration folders, minimised. The PostgreSQL
/// facts were checked on PostgreSQL 15 (relfilenodes before and after, pg_locks inside the transaction, timings).</summary>
public sealed class MigrationLintRegressionTests
{
    private static string[] Ids(string sql, bool lockTimeout = false)
        => MigrationLint.Lint(sql, new MigrationLintOptions { RequireLockTimeout = lockTimeout }).Select(f => f.RuleId).Where(id => string.CompareOrdinal(id, "PGD317") <= 0).ToArray();

    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN IF NOT EXISTS c text NULL")]
    [InlineData("ALTER TABLE t ADD COLUMN IF NOT EXISTS c text")]
    [InlineData("ALTER TABLE t ADD IF NOT EXISTS c text NULL DEFAULT NULL")]
    public void If_not_exists_is_not_a_not_null_constraint(string sql) => Assert.Empty(Ids(sql));

    [Fact]
    public void If_not_exists_with_a_real_not_null_is_still_reported()
        => Assert.Equal(["PGD303"], Ids("ALTER TABLE t ADD COLUMN IF NOT EXISTS c text NOT NULL"));

    [Theory]
    [InlineData("DROP VIEW active_users")]
    [InlineData("DROP VIEW IF EXISTS active_users, other_view")]
    [InlineData("CREATE OR REPLACE VIEW active_users AS SELECT id FROM users WHERE active")]
    [InlineData("DROP MATERIALIZED VIEW user_stats")]
    public void Views_the_application_queries_are_locked_until_commit(string sql)
    {
        Assert.Equal(["PGD315"], Ids(sql, lockTimeout: true)); // ACCESS EXCLUSIVE on the view (pg_locks, PostgreSQL 15)
        Assert.Empty(Ids("SET lock_timeout = '2s'; " + sql, lockTimeout: true));
    }

    [Fact]
    public void A_view_created_in_the_same_script_is_not_an_existing_one()
        => Assert.Empty(Ids("CREATE VIEW v AS SELECT 1 AS a; CREATE OR REPLACE VIEW v AS SELECT 2 AS a; DROP VIEW v;", lockTimeout: true));

    [Fact]
    public void Column_types_follow_table_renames()
    {
        Assert.Empty(Ids("""
            CREATE TABLE user_ (id bigint, name varchar(20));
            ALTER TABLE user_ RENAME TO person;
            ALTER TABLE person ALTER COLUMN name TYPE varchar(40);
            ALTER TABLE person RENAME COLUMN name TO full_name;
            ALTER TABLE person ALTER COLUMN full_name TYPE text;
            """));
        var first = new MigrationLintState();
        MigrationLint.Lint("CREATE TABLE user_ (name varchar(20)); ALTER TABLE user_ RENAME TO person;", new MigrationLintOptions { RequireLockTimeout = false }, first);
        Assert.Empty(MigrationLint.Lint("ALTER TABLE person ALTER COLUMN name TYPE varchar(40);", new MigrationLintOptions { RequireLockTimeout = false }, first.ForNextScript(false)));
    }

    [Fact]
    public void Citext_to_text_keeps_the_table_and_rebuilds_only_indexes_on_the_column()
    {
        // PostgreSQL 15: the table's relfilenode is kept both ways; an index on the column is rebuilt (other operator class).
        var state = new MigrationLintState();
        var options = new MigrationLintOptions { RequireLockTimeout = false };
        MigrationLint.Lint("CREATE TABLE accounts (email citext, handle citext);", options, state);
        var next = state.ForNextScript(false);
        Assert.Empty(MigrationLint.Lint("ALTER TABLE accounts ALTER COLUMN email TYPE text;", options, next));
        MigrationLint.Lint("CREATE INDEX accounts_handle ON accounts (handle);", options, next);
        var rebuilt = Assert.Single(MigrationLint.Lint("ALTER TABLE accounts ALTER COLUMN handle TYPE text;", options, next.ForNextScript(false)));
        Assert.Equal("PGD301", rebuilt.RuleId);
        Assert.Contains("rebuilds the indexes", rebuilt.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c::text", false)]
    [InlineData("\"c\"::text", false)]
    [InlineData("(c)::text", false)]
    [InlineData("CAST(c AS text)", false)]
    [InlineData("c", false)]
    [InlineData("lower(c)", true)]
    [InlineData("c::varchar(5)", true)]
    public void Using_that_only_casts_the_column_converts_like_no_using(string usingExpression, bool rewrites)
    {
        // PostgreSQL 15, 200k rows: varchar(20) -> text USING c::text keeps the table's and the index's relfilenode.
        var state = new MigrationLintState();
        var options = new MigrationLintOptions { RequireLockTimeout = false };
        MigrationLint.Lint("CREATE TABLE t (c varchar(20));", options, state);
        var ids = MigrationLint.Lint($"ALTER TABLE t ALTER COLUMN c TYPE text USING {usingExpression};", options, state.ForNextScript(false)).Select(f => f.RuleId);
        Assert.Equal(rewrites, ids.Contains("PGD301"));
    }

    [Fact]
    public void Text_to_a_bounded_varchar_rewrites()
    {
        var state = new MigrationLintState();
        var options = new MigrationLintOptions { RequireLockTimeout = false };
        MigrationLint.Lint("CREATE TABLE t (c text);", options, state);
        Assert.Equal(["PGD301"], MigrationLint.Lint("ALTER TABLE t ALTER COLUMN c TYPE varchar(100);", options, state.ForNextScript(false)).Select(f => f.RuleId).ToArray());
    }

    [Fact]
    public void Many_create_tables_lint_in_one_pass()
    {
        // Issue 34: the lint was quadratic in the number of CREATE TABLE statements (a list of every table seen). The
        // benchmark is in docs/benchmarks.md; this only checks the result on a script of that shape.
        var sql = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"CREATE TABLE t{i} (id bigint PRIMARY KEY, v text);\nCREATE INDEX ix{i} ON t{i} (v);\n"));
        Assert.Empty(MigrationLint.Lint(sql, new MigrationLintOptions { RequireLockTimeout = true }));
    }

    [Theory]
    [InlineData("DROP SCHEMA r CASCADE")]
    [InlineData("DROP FUNCTION community_aggregates_activity CASCADE")]
    [InlineData("DROP TYPE mood CASCADE")]
    public void Drop_cascade_locks_the_tables_whose_objects_it_drops(string sql)
    {
        // LemmyNet/lemmy, minimised: a trigger function's schema dropped with CASCADE drops the triggers on the app's
        // tables, each under ACCESS EXCLUSIVE; the script does not name those tables.
        Assert.Equal(["PGD315"], Ids(sql, lockTimeout: true));
        Assert.Empty(Ids(sql.Replace(" CASCADE", string.Empty, StringComparison.Ordinal), lockTimeout: true));
    }
}
