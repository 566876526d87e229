using PgDiscipline.Sql;

namespace PgDiscipline.Sql.Tests;

/// <summary>Issue 19: every miss and false alarm found by running squawk's own rule tests through the lint, minimised.</summary>
public sealed class MigrationLintSquawkTests
{
    private static readonly MigrationLintOptions NoTimeoutRule = new() { RequireLockTimeout = false };

    /// <summary>The findings of the rules these tests are about (PGD301–PGD317); the rules added for squawk's have their own tests.</summary>
    private static string[] Ids(string sql, MigrationLintOptions? options = null)
        => MigrationLint.Lint(sql, options ?? NoTimeoutRule).Select(f => f.RuleId).Where(id => string.CompareOrdinal(id, "PGD317") <= 0).ToArray();

    private static MigrationLintOptions Pg(int version, bool lockTimeout = false, bool inTransaction = false)
        => new() { PostgresVersion = version, RequireLockTimeout = lockTimeout, AssumeInTransaction = inTransaction };

    [Fact]
    public void Add_column_references_is_a_validated_foreign_key_only_with_a_value_in_every_row()
    {
        Assert.Contains("PGD306", Ids("ALTER TABLE emails ADD COLUMN user_id int DEFAULT 1 REFERENCES users (id)"));
        Assert.Contains("PGD306", Ids("ALTER TABLE emails ADD COLUMN user_id bigserial REFERENCES users (id)"));
        // NULL in every row and no default: no validation scan, but the referenced table is locked: a lock_timeout is needed.
        Assert.DoesNotContain("PGD306", Ids("ALTER TABLE emails ADD COLUMN user_id int REFERENCES users (id)"));
        // Any explicit default, even NULL, makes PostgreSQL check every row (issue 34: 119 ms against 0.8 ms on 1M rows, PostgreSQL 15).
        Assert.Contains("PGD306", Ids("ALTER TABLE emails ADD COLUMN user_id int DEFAULT NULL REFERENCES users (id)"));
        Assert.Equal(["PGD315"], Ids("ALTER TABLE emails ADD COLUMN user_id int REFERENCES users (id)", new MigrationLintOptions()));
    }

    [Theory]
    [InlineData("ALTER TABLE foo ADD COLUMN bar text UNIQUE", "PGD307")]
    [InlineData("ALTER TABLE foo ADD COLUMN bar text CONSTRAINT foo_bar_unique UNIQUE", "PGD307")]
    [InlineData("ALTER TABLE foo ADD UNIQUE (bar)", "PGD307")]
    [InlineData("ALTER TABLE foo ADD CHECK (bar > 0)", "PGD308")]
    [InlineData("ALTER TABLE foo ADD COLUMN id serial PRIMARY KEY", "PGD307")]
    [InlineData("ALTER TABLE foo ADD COLUMN id serial PRIMARY KEY", "PGD313")]
    public void Inline_and_unnamed_constraints_are_constraints(string sql, string id) => Assert.Contains(id, Ids(sql));

    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN c jsonb DEFAULT myjsonb()", true)] // user-defined: VOLATILE unless declared otherwise
    [InlineData("ALTER TABLE t ADD COLUMN c uuid DEFAULT uuid()", true)]
    [InlineData("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now() - random() * interval '1 month'", true)]
    [InlineData("CREATE FUNCTION myjsonb() RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ select '{}'::jsonb $$; ALTER TABLE t ADD COLUMN c jsonb DEFAULT myjsonb()", false)]
    [InlineData("CREATE OR REPLACE FUNCTION public.tenant() RETURNS int STABLE LANGUAGE sql AS 'select 1'; ALTER TABLE t ADD COLUMN c int DEFAULT public.tenant()", false)]
    [InlineData("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1'; ALTER TABLE t ADD COLUMN c int DEFAULT f()", true)] // VOLATILE by default
    [InlineData("ALTER TABLE t ADD COLUMN c double precision[] DEFAULT array[]::double precision[]", false)]
    [InlineData("ALTER TABLE t ADD COLUMN c bigint[] DEFAULT cast(array[] as bigint[])", false)]
    [InlineData("ALTER TABLE t ADD COLUMN c character varying(20) DEFAULT 'x'::character varying(20)", false)]
    [InlineData("ALTER TABLE t ADD COLUMN c numeric(10, 2) DEFAULT CAST(0 AS numeric(10, 2))", false)]
    [InlineData("ALTER TABLE t ADD COLUMN c int DEFAULT coalesce(nullif(1, 2), 3)", false)]
    [InlineData("ALTER TABLE t ADD COLUMN c text DEFAULT lower(upper('x'))", false)]
    [InlineData("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT current_timestamp", false)]
    public void Volatile_defaults_are_any_function_not_known_to_be_immutable_or_stable(string sql, bool rewrites)
        => Assert.Equal(rewrites, Ids(sql).Contains("PGD302"));

    [Fact]
    public void Validating_in_the_transaction_that_added_the_constraint_holds_its_lock_through_the_scan()
    {
        const string fk = "ALTER TABLE app_email ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES app_user (id) NOT VALID; ALTER TABLE app_email VALIDATE CONSTRAINT fk_user;";
        Assert.Equal(["PGD306"], Ids("BEGIN; " + fk + " COMMIT;"));
        Assert.Empty(Ids(fk)); // autocommit: two transactions
        Assert.Equal(["PGD306"], Ids(fk, Pg(15, inTransaction: true))); // the runner wraps the file
        Assert.Empty(Ids("BEGIN; ALTER TABLE a ADD CONSTRAINT c CHECK (x > 0) NOT VALID; COMMIT; BEGIN; ALTER TABLE a VALIDATE CONSTRAINT c; COMMIT;"));
        Assert.Equal(["PGD308"], Ids("BEGIN; ALTER TABLE a ADD CONSTRAINT c CHECK (x > 0) NOT VALID; ALTER TABLE a VALIDATE CONSTRAINT c; COMMIT;"));
    }

    [Theory]
    [InlineData("VACUUM (FULL) t", true)]
    [InlineData("VACUUM (FULL, ANALYZE) t", true)]
    [InlineData("VACUUM (FULL true) t", true)]
    [InlineData("VACUUM (FULL false) t", false)]
    [InlineData("VACUUM (ANALYZE) t", false)]
    [InlineData("REINDEX (CONCURRENTLY false) INDEX ix", true)]
    [InlineData("REINDEX (CONCURRENTLY) TABLE t", false)]
    [InlineData("REINDEX SYSTEM mydb", false)] // cannot be concurrent: no safer form to point to
    [InlineData("LOCK TABLE t IN ACCESS SHARE MODE", false)]
    [InlineData("LOCK TABLE t IN ROW EXCLUSIVE MODE", false)]
    [InlineData("LOCK TABLE t IN SHARE MODE", true)]
    [InlineData("LOCK t", true)] // ACCESS EXCLUSIVE by default
    public void Options_lists_and_lock_modes_are_read(string sql, bool reported) => Assert.Equal(reported, Ids(sql).Contains("PGD312"));

    [Fact]
    public void Detach_partition_needs_concurrently_from_postgresql_14()
    {
        Assert.Equal(["PGD316"], Ids("ALTER TABLE events DETACH PARTITION events_2025", Pg(14)));
        Assert.Empty(Ids("ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY", Pg(14)));
        Assert.Empty(Ids("ALTER TABLE events DETACH PARTITION events_2025 FINALIZE", Pg(14)));
        Assert.Empty(Ids("ALTER TABLE events DETACH PARTITION events_2025", Pg(13))); // no CONCURRENTLY before 14
        Assert.Equal(["PGD314"], Ids("BEGIN; ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY; COMMIT;", Pg(14)));
    }

    [Theory]
    [InlineData("CREATE INDEX ix ON t (c)")]
    [InlineData("DROP INDEX ix")]
    [InlineData("DROP TRIGGER trg ON t")]
    [InlineData("CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()")]
    [InlineData("DROP TABLE t")]
    [InlineData("LOCK TABLE t")]
    [InlineData("TRUNCATE t")]
    [InlineData("REINDEX TABLE t")]
    [InlineData("ALTER TABLE t ALTER COLUMN c SET DEFAULT 0")]
    public void Every_statement_the_application_would_queue_behind_needs_a_lock_timeout(string sql)
    {
        Assert.Contains("PGD315", Ids(sql, new MigrationLintOptions()));
        Assert.DoesNotContain("PGD315", Ids("SET lock_timeout = '2s'; " + sql, new MigrationLintOptions()));
        Assert.DoesNotContain("PGD315", Ids("SET SESSION lock_timeout = '2s'; " + sql, new MigrationLintOptions()));
    }

    [Fact]
    public void A_new_tables_foreign_key_locks_the_existing_table_it_references()
    {
        // ory/kratos 20191100000001000003_identities, minimised: CREATE TABLE … REFERENCES identities takes SHARE ROW
        // EXCLUSIVE on identities, so writes to identities queue behind it while it waits.
        Assert.Equal(["PGD315"], Ids("CREATE TABLE creds (id uuid PRIMARY KEY, identity_id uuid NOT NULL REFERENCES identities (id));", new MigrationLintOptions()));
        Assert.Equal(["PGD315"], Ids("CREATE TABLE creds (id uuid, identity_id uuid, CONSTRAINT fk FOREIGN KEY (identity_id) REFERENCES \"identities\" (\"id\"));", new MigrationLintOptions()));
        Assert.Equal(["PGD315"], Ids("CREATE TABLE creds (id uuid, identity_id uuid); ALTER TABLE creds ADD CONSTRAINT fk FOREIGN KEY (identity_id) REFERENCES identities (id);", new MigrationLintOptions()));
        Assert.Empty(Ids("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (a_id int REFERENCES a (id));", new MigrationLintOptions()));
        Assert.Empty(Ids("CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree (id));", new MigrationLintOptions()));
    }

    [Theory]
    [InlineData("CREATE INDEX CONCURRENTLY ix ON t (c)")]
    [InlineData("ALTER TABLE t VALIDATE CONSTRAINT c")] // SHARE UPDATE EXCLUSIVE: reads and writes go on
    [InlineData("COMMENT ON COLUMN t.c IS 'id'")]
    [InlineData("CREATE TYPE mood AS ENUM ('sad', 'ok')")]
    [InlineData("SET foo.lock_timeout = '1s'; SELECT 1")]
    public void Statements_nothing_queues_behind_need_no_lock_timeout(string sql)
        => Assert.DoesNotContain("PGD315", Ids(sql, new MigrationLintOptions()));

    [Fact]
    public void A_set_local_lock_timeout_ends_with_its_transaction()
    {
        Assert.Empty(Ids("BEGIN; SET LOCAL lock_timeout = '1s'; ALTER TABLE t ADD COLUMN c int; COMMIT;", new MigrationLintOptions()));
        Assert.Equal(["PGD315"], Ids("BEGIN; SET LOCAL lock_timeout = '1s'; COMMIT; ALTER TABLE t ADD COLUMN c int;", new MigrationLintOptions()));
        Assert.Equal(["PGD315"], Ids("SET lock_timeout = '1s'; RESET lock_timeout; ALTER TABLE t ADD COLUMN c int;", new MigrationLintOptions()));
    }

    [Fact]
    public void Tables_created_full_are_not_new()
    {
        Assert.Equal(["PGD304"], Ids("CREATE TABLE t2 AS SELECT * FROM t; CREATE INDEX ix ON t2 (c);"));
        Assert.Equal(["PGD306"], Ids("CREATE TABLE t2 AS SELECT * FROM t; ALTER TABLE t2 ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id);"));
        Assert.Equal(["PGD304"], Ids("SELECT * INTO t3 FROM t; CREATE INDEX ix ON t3 (c);"));
        Assert.Empty(Ids("CREATE TABLE t4 (id int, c int); CREATE INDEX ix ON t4 (c);"));
    }

    [Fact]
    public void Set_not_null_is_safe_only_for_the_column_whose_check_was_validated_from_postgresql_12()
    {
        const string validated = "ALTER TABLE foo ADD CONSTRAINT baz_nn CHECK (baz IS NOT NULL) NOT VALID; ALTER TABLE foo VALIDATE CONSTRAINT baz_nn; ";
        Assert.Empty(Ids(validated + "ALTER TABLE foo ALTER COLUMN baz SET NOT NULL;"));
        Assert.Equal(["PGD303"], Ids(validated + "ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;"));
        Assert.Equal(["PGD303"], Ids("ALTER TABLE foo ADD CONSTRAINT bar_nn CHECK (bar IS NOT NULL) NOT VALID; ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;"));
        Assert.Equal(["PGD303"], Ids(validated + "ALTER TABLE foo ALTER COLUMN baz SET NOT NULL;", Pg(11)));
        // validated in an earlier migration (its column is not known here): trusted, as squawk does
        Assert.Empty(Ids("ALTER TABLE foo VALIDATE CONSTRAINT foo_bar_nn; ALTER TABLE foo ALTER COLUMN bar SET NOT NULL;"));
    }

    [Fact]
    public void Column_types_declared_earlier_tell_a_type_change_that_needs_no_rewrite()
    {
        // ory/kratos, minimised: pop/fizz re-emits TYPE with every nullability change, usually the type the column has.
        Assert.Empty(Ids("""
            CREATE TABLE "sessions" ("id" UUID NOT NULL, "token" VARCHAR (32), PRIMARY KEY("id"));
            ALTER TABLE "flows" ADD COLUMN "ui" jsonb;
            ALTER TABLE "sessions" ALTER COLUMN "token" TYPE VARCHAR (32), ALTER COLUMN "token" DROP NOT NULL;
            ALTER TABLE "sessions" ALTER COLUMN "token" TYPE varchar(64);
            ALTER TABLE "sessions" ALTER COLUMN "token" TYPE text;
            ALTER TABLE "flows" ALTER COLUMN "ui" TYPE jsonb, ALTER COLUMN "ui" DROP NOT NULL;
            ALTER TABLE "sessions" RENAME COLUMN "id" TO "sid";
            ALTER TABLE "sessions" ALTER COLUMN "sid" TYPE uuid;
            """));
        var created = new MigrationLintState();
        MigrationLint.Lint("CREATE TABLE t (c int);", NoTimeoutRule, created);
        var widened = Assert.Single(MigrationLint.Lint("ALTER TABLE t ALTER COLUMN c TYPE bigint;", NoTimeoutRule, created.ForNextScript(false)));
        Assert.Equal("PGD301", widened.RuleId); // int -> bigint rewrites, and says so with both types
        Assert.Contains("from int to bigint", widened.Message, StringComparison.Ordinal);

        // Across the scripts of one history: the next script sees the types (its tables are existing ones by then).
        var first = new MigrationLintState();
        Assert.Empty(MigrationLint.Lint("CREATE TABLE t (c varchar(10) NOT NULL, n int4);", NoTimeoutRule, first));
        var second = first.ForNextScript(inTransaction: false);
        Assert.Empty(MigrationLint.Lint("ALTER TABLE t ALTER COLUMN c TYPE varchar(20); ALTER TABLE t ALTER COLUMN n TYPE integer;", NoTimeoutRule, second));
        Assert.Equal(["PGD304"], MigrationLint.Lint("CREATE INDEX ix ON t (c);", NoTimeoutRule, second.ForNextScript(false)).Select(f => f.RuleId).ToArray());
    }

    [Fact]
    public void False_alarms_are_gone()
    {
        Assert.Empty(Ids("ALTER TABLE t RENAME CONSTRAINT a TO b"));
        Assert.Equal(["PGD302"], Ids("ALTER TABLE foo ADD COLUMN bar numeric GENERATED ALWAYS AS (bar + baz) STORED NOT NULL"));
        Assert.Empty(Ids("LOCK TABLE t IN ACCESS SHARE MODE"));
    }

    [Fact]
    public void A_constant_default_rewrites_before_postgresql_11_only()
    {
        Assert.Equal(["PGD302"], Ids("ALTER TABLE t ADD COLUMN c int DEFAULT 10", Pg(10)));
        Assert.Empty(Ids("ALTER TABLE t ADD COLUMN c int DEFAULT 10", Pg(11)));
        Assert.Empty(Ids("ALTER TABLE t ADD COLUMN c int DEFAULT NULL", Pg(10)));
    }

    [Fact]
    public void Syntax_errors_are_findings_with_their_position()
    {
        var findings = MigrationLint.Lint("ALTER TABLE t ADD COLUMN;\nSELEC 1;", NoTimeoutRule);
        Assert.Equal([("PGD317", 1), ("PGD317", 2)], findings.Select(f => (f.RuleId, f.Line)).ToArray());
        Assert.Equal(RuleSeverity.Error, findings[0].Severity);
        Assert.Contains("'SELEC'", findings[1].Message, StringComparison.Ordinal);
        Assert.Equal(1, findings[1].Column);

        Assert.Equal(["PGD317"], Ids("UPDATE t SET c = (1 WHERE id = 2;"));
        Assert.Equal(["PGD317"], Ids("SELECT 1); "));
        Assert.Equal(["PGD317"], Ids("ALTER TABLE t ADD COLUMN c text; INSERT INTO t VALUES ('unterminated"));
        Assert.Equal(["PGD317"], Ids("SELECT 1; /* never closed"));
        Assert.Equal(["PGD317"], Ids("ALTER TABLE t ADD COLUMN c int,;"));
        Assert.Empty(Ids("\\set ON_ERROR_STOP on\nSELECT 1;")); // psql meta-commands are not SQL
        Assert.Empty(Ids("(SELECT 1) UNION (SELECT 2); DO $$ BEGIN PERFORM 1; END $$; WITH x AS (SELECT 1) SELECT * FROM x; TABLE t; VALUES (1);"));
        Assert.Empty(Ids("SELECT E'it\\'s', 'it''s', $tag$ ' $tag$, U&'\\0041';"));
    }

    [Fact]
    public void A_file_may_ignore_rules_for_all_its_statements_with_a_reason()
    {
        const string Body = "CREATE INDEX a ON t (c); DROP INDEX b;";
        Assert.Equal(["PGD305"], Ids("-- pgdiscipline-ignore-file PGD304: t has 40 rows\n" + Body));
        Assert.Empty(Ids("-- pgdiscipline-ignore-file: a throwaway database\n" + Body));
        Assert.Equal(["PGD304", "PGD305"], Ids("-- pgdiscipline-ignore-file PGD304\n" + Body)); // no reason, no exemption
    }

    [Theory]
    [InlineData("-- pgdiscipline-no-transaction")]
    [InlineData("-- +goose NO TRANSACTION")]
    [InlineData("-- migrate:up transaction:false")]
    [InlineData("-- squawk-disable-assume-in-transaction")]
    public void A_file_its_runner_does_not_wrap_is_not_assumed_to_run_in_a_transaction(string marker)
    {
        const string Body = "\nCREATE INDEX CONCURRENTLY ix ON t (c);";
        Assert.Equal(["PGD314"], Ids(Body, Pg(15, inTransaction: true)));
        Assert.Empty(Ids(marker + Body, Pg(15, inTransaction: true)));
    }

    [Fact]
    public void Include_exclude_and_severity_overrides()
    {
        const string Sql = "CREATE INDEX a ON t (c); ALTER TABLE t RENAME COLUMN x TO y;";
        var only = new MigrationLintOptions { RequireLockTimeout = false, IncludedRules = ["PGD309"] };
        Assert.Equal(["PGD309"], Ids(Sql, only));
        var without = new MigrationLintOptions { RequireLockTimeout = false };
        without.ExcludedRules.Add("PGD304");
        Assert.Equal(["PGD309"], Ids(Sql, without));
        var stricter = new MigrationLintOptions { RequireLockTimeout = false };
        stricter.Severities["PGD309"] = RuleSeverity.Error;
        Assert.All(MigrationLint.Lint(Sql, stricter), f => Assert.Equal(RuleSeverity.Error, f.Severity));
    }
}
