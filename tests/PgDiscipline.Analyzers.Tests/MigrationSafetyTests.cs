using Microsoft.CodeAnalysis.Testing;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.MigrationSafetyAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

public sealed class MigrationSafetyTests
{
    private const string Usings = """
        using System;
        using Microsoft.EntityFrameworkCore.Migrations;
        using PgDiscipline;

        """;

    /// <summary>A finding on a typed call. The message is the rule's own (the lint writes it too); <paramref name="parts"/>
    /// are names it must mention.</summary>
    /// <summary>A finding on a typed call, with the rule's own message (the lint writes the same rule's message for SQL).</summary>
    private static DiagnosticResult D(string id, int location, string message) => V.Diagnostic(id).WithLocation(location).WithArguments(message);

    private static DiagnosticResult Raw(string id, int location, string message)
        => new DiagnosticResult(MigrationDescriptors.RawSql[id]).WithLocation(location).WithArguments(message);

    [Fact]
    public Task Index_rules_respect_concurrency_and_tables_created_in_the_same_migration() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.CreateTable(name: "reactions", columns: t => new { id = t.Column<long>(nullable: false) });
                migrationBuilder.CreateIndex(name: "ix_reactions_id", table: "reactions", column: "id");
                migrationBuilder.{|#0:CreateIndex|}(name: "ix_messages_author", table: "messages", column: "author_id");
                migrationBuilder.CreateIndex(name: "ix_messages_body", table: "messages", column: "body").Annotation("Npgsql:CreatedConcurrently", true);
                migrationBuilder.{|#1:DropIndex|}(name: "ix_old", table: "messages");
            }

            protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropIndex(name: "ix_messages_author", table: "messages");
        }
        """, D("PGD304", 0, "Index 'ix_messages_author' on existing table messages is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)"), D("PGD305", 1, "Dropping index 'ix_old' of messages takes ACCESS EXCLUSIVE: use Sql(\"DROP INDEX CONCURRENTLY …\", suppressTransaction: true)"));

    [Fact]
    public Task Column_changes_use_old_and_new_types_and_nullability() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.AlterColumn<string>(name: "body", table: "messages", type: "character varying(400)", maxLength: 400, nullable: true,
                    oldClrType: typeof(string), oldType: "character varying(200)", oldMaxLength: 200, oldNullable: true);
                migrationBuilder.AlterColumn<string>(name: "title", table: "messages", type: "text", nullable: true, oldClrType: typeof(string), oldType: "character varying(200)", oldNullable: true);
                migrationBuilder.{|#0:AlterColumn|}<long>(name: "id", table: "messages", type: "bigint", nullable: false, oldClrType: typeof(int), oldType: "integer", oldNullable: false);
                migrationBuilder.{|#1:AlterColumn|}<int>(name: "author_id", table: "messages", type: "integer", nullable: false, oldClrType: typeof(int), oldType: "integer", oldNullable: true);
                migrationBuilder.AddColumn<DateTime>(name: "created", table: "messages", type: "timestamp with time zone", nullable: false, defaultValueSql: "now()");
                migrationBuilder.{|#2:AddColumn|}<Guid>(name: "token", table: "messages", type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()");
                migrationBuilder.{|#3:AddColumn|}<long>(name: "seq", table: "messages", type: "bigint", nullable: false)
                    .Annotation("Npgsql:ValueGenerationStrategy", "IdentityByDefaultColumn");
            }
        }
        """,
        D("PGD301", 0, "Changing column 'id' of messages from integer to bigint rewrites the table and its indexes under ACCESS EXCLUSIVE: add a new column, backfill, switch, drop the old one"),
        D("PGD303", 1, "Making 'author_id' of messages NOT NULL scans the whole table under ACCESS EXCLUSIVE: add CHECK (… IS NOT NULL) NOT VALID, VALIDATE it, then set NOT NULL"),
        D("PGD302", 2, "Adding column 'token' to messages with default gen_random_uuid() rewrites the table: add it without default, set the default, backfill in batches"),
        D("PGD313", 3, "Adding identity column 'seq' to existing table messages rewrites the table: add a nullable column, backfill in batches, then add the default"));

    [Fact]
    public Task Constraints_renames_and_drops() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:AddForeignKey|}(name: "fk_messages_users", table: "messages", column: "author_id", principalTable: "users", principalColumn: "id");
                migrationBuilder.{|#1:AddUniqueConstraint|}(name: "uq_users_email", table: "users", column: "email");
                migrationBuilder.{|#2:AddCheckConstraint|}(name: "ck_len", table: "messages", sql: "length(body) < 10000");
                migrationBuilder.{|#3:RenameColumn|}(name: "mail", table: "users", newName: "email");
                migrationBuilder.{|#4:DropColumn|}(name: "legacy", table: "users");
            }
        }
        """,
        D("PGD306", 0, "Foreign key 'fk_messages_users' on existing table messages validates every row while blocking writes: add it with Sql(\"… NOT VALID\") and VALIDATE CONSTRAINT in a later step"),
        D("PGD307", 1, "Constraint 'uq_users_email' on existing table users builds its index under ACCESS EXCLUSIVE: create a unique index concurrently, then add the constraint USING INDEX"),
        D("PGD308", 2, "Check constraint 'ck_len' on existing table messages scans the table under ACCESS EXCLUSIVE: add it NOT VALID with Sql(…), then VALIDATE CONSTRAINT"),
        D("PGD309", 3, "Renaming in users breaks the running version of the app: add the new name, copy, switch the code, then drop the old one"),
        D("PGD310", 4, "Dropping column legacy of users loses data and breaks the running version of the app: stop using it in one release, drop it in a later one"));

    [Fact]
    public Task Raw_sql_goes_through_the_lint_and_safe_multi_step_patterns_pass() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:Sql|}("UPDATE users SET email = lower(email)");
                migrationBuilder.{|#1:Sql|}("CREATE INDEX CONCURRENTLY ix_users_email ON users (email)");
                migrationBuilder.Sql("CREATE INDEX CONCURRENTLY ix_users_name ON users (name)", suppressTransaction: true);
                migrationBuilder.Sql("ALTER TABLE messages ADD CONSTRAINT fk FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID");
                migrationBuilder.Sql("ALTER TABLE messages VALIDATE CONSTRAINT fk", suppressTransaction: true);
                migrationBuilder.Sql("ALTER TABLE posts ADD CONSTRAINT fk2 FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID");
                migrationBuilder.{|#2:Sql|}("ALTER TABLE posts VALIDATE CONSTRAINT fk2");
            }
        }
        """,
        Raw("PGD312", 0, "UPDATE without WHERE on users touches every row in one transaction: backfill in batches outside the migration (`pgdiscipline backfill run`, or BackfillRunner in the app)."),
        Raw("PGD314", 1, "CONCURRENTLY cannot run inside a transaction block: run this statement outside BEGIN/COMMIT (EF Core: suppressTransaction: true; a migration runner that wraps each file in a transaction needs the statement in a file of its own, or its no-transaction setting)."),
        // EF Core runs a migration in one transaction: validating there holds the ADD's locks through the scan.
        Raw("PGD306", 2, "VALIDATE CONSTRAINT fk2 in the transaction that added it NOT VALID: the validation scan runs while the ADD's lock on posts is still held (until COMMIT). Validate in a transaction of its own."));

    [Fact]
    public Task AllowUnsafeMigration_needs_a_reason() => V.AnalyzerAsync(Usings + """
        [AllowUnsafeMigration("PGD304", Reason = "200-row table")]
        public class Allowed : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
                => migrationBuilder.CreateIndex(name: "ix_a", table: "settings", column: "key");
        }

        [AllowUnsafeMigration("PGD304", Reason = "")]
        public class NoReason : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
                => migrationBuilder.{|#0:CreateIndex|}(name: "ix_b", table: "settings", column: "key");
        }
        """, D("PGD304", 0, "Index 'ix_b' on existing table settings is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)"));

    [Fact]
    public Task Closed_database_option_reports_new_tables() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
                => migrationBuilder.{|#0:CreateTable|}(name: "things", columns: t => new { id = t.Column<long>(nullable: false) });
        }
        """, "pgdiscipline.PGD311.enabled = true", D("PGD311", 0, "Table things would be created in a database closed to new tables (pgdiscipline.PGD311.enabled)"));

    // Regression tests from real apps' migrations (issue 18), minimised.

    [Fact]
    public Task Raw_sql_findings_carry_their_own_rule_ids_and_warnings_are_not_dropped() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:Sql|}("ALTER TABLE \"Cipher\" ALTER COLUMN \"Data\" TYPE jsonb USING \"Data\"::jsonb;");
                migrationBuilder.{|#1:Sql|}("DROP TABLE \"Grant\";");
                migrationBuilder.{|#2:Sql|}("ALTER TABLE \"User\" DROP COLUMN \"Premium\";");
                migrationBuilder.{|#3:Sql|}("ALTER TABLE \"User\" RENAME COLUMN \"Mail\" TO \"Email\";");
                migrationBuilder.{|#4:Sql|}("CREATE INDEX \"IX_Cipher_UserId\" ON \"Cipher\" (\"UserId\");");
                migrationBuilder.{|#5:Sql|}("ALTER TABLE \"Cipher\" ADD CONSTRAINT \"FK_Cipher_User\" FOREIGN KEY (\"UserId\") REFERENCES \"User\" (\"Id\");");
            }
        }
        """,
        Raw("PGD301", 0, "Changing a column type in Cipher rewrites the table and its indexes under ACCESS EXCLUSIVE unless the change is binary-coercible (varchar length increase or removal, varchar -> text, citext <-> text, numeric precision increase at the same scale, timestamp/time/interval precision increase, cidr -> inet; timestamp -> timestamptz only with TimeZone UTC)."),
        Raw("PGD310", 1, "DROP TABLE Grant loses data and breaks the running version of the app: stop using it in one release, drop it in a later one."),
        Raw("PGD310", 2, "DROP COLUMN on User breaks the running version of the app (and loses data): stop using the column first, drop it in a later release."),
        Raw("PGD309", 3, "Renaming a column of User breaks the running version of the app: add the new name, copy, switch the code, then drop the old one."),
        Raw("PGD304", 4, "CREATE INDEX on existing table Cipher without CONCURRENTLY blocks writes for the whole build: use CREATE INDEX CONCURRENTLY (outside a transaction)."),
        Raw("PGD306", 5, "Adding a foreign key to Cipher validates every row while blocking writes on both tables: add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction."));

    [Fact]
    public Task One_suppression_meaning_AllowUnsafeMigration_names_the_inner_rule_and_sql_comments_need_a_reason() => V.AnalyzerAsync(Usings + """
        [AllowUnsafeMigration("PGD304", Reason = "settings has 40 rows")]
        public class AllowedByAttribute : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.Sql("CREATE INDEX ix_a ON settings (key);");
                migrationBuilder.CreateIndex(name: "ix_b", table: "settings", column: "key");
            }
        }

        [AllowUnsafeMigration("PGD312", Reason = "the wrapper id no longer allows the inner rule")]
        public class WrapperIdAllowsNothing : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
                => migrationBuilder.{|#0:Sql|}("CREATE INDEX ix_c ON settings (key);");
        }

        public class AllowedByComment : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.Sql("-- pgdiscipline-ignore PGD304: settings has 40 rows\nCREATE INDEX ix_d ON settings (key);");
                migrationBuilder.{|#1:Sql|}("-- pgdiscipline-ignore PGD304\nCREATE INDEX ix_e ON settings (key);");
            }
        }
        """,
        Raw("PGD304", 0, "CREATE INDEX on existing table settings without CONCURRENTLY blocks writes for the whole build: use CREATE INDEX CONCURRENTLY (outside a transaction)."),
        Raw("PGD304", 1, "CREATE INDEX on existing table settings without CONCURRENTLY blocks writes for the whole build: use CREATE INDEX CONCURRENTLY (outside a transaction)."));

    [Fact]
    public Task Migrations_marked_auto_generated_are_analysed() => V.AnalyzerAsync("""
        // <auto-generated />
        using Microsoft.EntityFrameworkCore.Migrations;

        public partial class AddIndex : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
                => migrationBuilder.{|#0:CreateIndex|}(name: "IX_Send_UserId", table: "Send", column: "UserId");
        }
        """, D("PGD304", 0, "Index 'IX_Send_UserId' on existing table Send is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)"));

    [Fact]
    public Task Existing_column_turned_into_an_identity_is_reported() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:AlterColumn|}<long>(name: "Id", table: "Event", type: "bigint", nullable: false, oldClrType: typeof(long), oldType: "bigint")
                    .Annotation("Npgsql:ValueGenerationStrategy", "IdentityByDefaultColumn");
                migrationBuilder.AlterColumn<int>(name: "Id", table: "Device", type: "integer", nullable: false, oldClrType: typeof(int), oldType: "integer")
                    .Annotation("Npgsql:ValueGenerationStrategy", "IdentityByDefaultColumn")
                    .OldAnnotation("Npgsql:ValueGenerationStrategy", "SerialColumn");
            }
        }
        """, D("PGD313", 0, "Turning existing column 'Id' of Event into an identity starts its sequence at 1 below the existing values (duplicate keys on the next inserts) and locks the table: restart the identity above max(Id) in the same migration, or keep the existing default"));

    [Fact]
    public Task Length_changes_without_store_types_are_judged_from_the_facets() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:AlterColumn|}<string>(name: "Name", table: "Organization", maxLength: 50, nullable: true, oldClrType: typeof(string), oldMaxLength: 500, oldNullable: true);
                migrationBuilder.AlterColumn<string>(name: "Email", table: "Organization", maxLength: 500, nullable: true, oldClrType: typeof(string), oldMaxLength: 256, oldNullable: true);
                migrationBuilder.AlterColumn<string>(name: "Notes", table: "Organization", nullable: true, oldClrType: typeof(string), oldMaxLength: 256, oldNullable: true);
                migrationBuilder.{|#1:AlterColumn|}<string>(name: "Key", table: "Organization", maxLength: 30, nullable: true, oldClrType: typeof(string), oldNullable: true);
            }
        }
        """,
        D("PGD301", 0, "Changing column 'Name' of Organization from character varying(500) to character varying(50) rewrites the table and its indexes under ACCESS EXCLUSIVE: add a new column, backfill, switch, drop the old one"),
        D("PGD301", 1, "Changing column 'Key' of Organization from text to character varying(30) rewrites the table and its indexes under ACCESS EXCLUSIVE: add a new column, backfill, switch, drop the old one"));

    [Fact]
    public Task Not_null_column_without_a_default_on_an_existing_table_is_reported() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:AddColumn|}<string>(name: "Key", table: "Installation", type: "text", nullable: false);
                migrationBuilder.{|#1:AddColumn|}<int>(name: "Type", table: "Installation", type: "integer");
                migrationBuilder.AddColumn<string>(name: "Email", table: "Installation", type: "text", nullable: false, defaultValue: "");
                migrationBuilder.AddColumn<int>(name: "Seats", table: "Installation", type: "integer", nullable: false, defaultValue: 0);
                migrationBuilder.AddColumn<string>(name: "Note", table: "Installation", type: "text", nullable: true);
                migrationBuilder.AddColumn<string>(name: "Search", table: "Installation", type: "text", nullable: false, computedColumnSql: "lower(\"Email\")", stored: false);
                migrationBuilder.CreateTable(name: "Fresh", columns: t => new { id = t.Column<long>(nullable: false) });
                migrationBuilder.AddColumn<string>(name: "Key", table: "Fresh", type: "text", nullable: false);
            }
        }
        """,
        D("PGD303", 0, "Adding NOT NULL column 'Key' without a default to existing table Installation fails as soon as the table has a row: give it a constant default, or add it nullable, backfill in batches, then set NOT NULL"),
        D("PGD303", 1, "Adding NOT NULL column 'Type' without a default to existing table Installation fails as soon as the table has a row: give it a constant default, or add it nullable, backfill in batches, then set NOT NULL"));

    [Fact]
    public Task Timestamp_to_timestamptz_says_when_it_does_not_rewrite_and_volatile_calls_are_found_anywhere_in_a_default() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:AlterColumn|}<DateTime>(name: "CreationDate", table: "public.Send", schema: null, type: "timestamp with time zone", nullable: false,
                    oldClrType: typeof(DateTime), oldType: "timestamp without time zone");
                migrationBuilder.{|#1:AddColumn|}<DateTime>(name: "Expires", table: "Send", type: "timestamp with time zone", nullable: false, defaultValueSql: "now() + random() * interval '1 day'");
                migrationBuilder.AddColumn<DateTime>(name: "Seen", table: "Send", type: "timestamp with time zone", nullable: false, defaultValueSql: "statement_timestamp()");
            }
        }
        """,
        D("PGD301", 0, "Changing column 'CreationDate' of public.Send from timestamp without time zone to timestamp with time zone rewrites the table and its indexes under ACCESS EXCLUSIVE (on PostgreSQL 12+ this change skips the rewrite only when the session TimeZone is UTC (SET LOCAL timezone = 'UTC' before it); otherwise every row is rewritten): add a new column, backfill, switch, drop the old one"),
        D("PGD302", 1, "Adding column 'Expires' to Send with default now() + random() * interval '1 day' rewrites the table: add it without default, set the default, backfill in batches"));

    [Fact]
    public async Task Migration_rules_are_errors_by_default_and_editorconfig_can_lower_them()
    {
        const string Source = Usings + """
            public class M : Migration
            {
                protected override void Up(MigrationBuilder migrationBuilder)
                    => migrationBuilder.{|#0:CreateIndex|}(name: "ix", table: "t", column: "c");
            }
            """;
        await V.AnalyzerAsync(Source, D("PGD304", 0, "Index 'ix' on existing table t is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)").WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        await V.AnalyzerAsync(Source, "dotnet_diagnostic.PGD304.severity = warning", D("PGD304", 0, "Index 'ix' on existing table t is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)").WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning));
    }

    [Theory]
    [InlineData("character varying(10)", "character varying(20)", true)]
    [InlineData("character varying(20)", "character varying(10)", false)]
    [InlineData("character varying(20)", "character varying", true)]
    [InlineData("varchar(20)", "text", true)]
    [InlineData("numeric(10,2)", "numeric(12,2)", true)]
    [InlineData("numeric(10,2)", "numeric(12,3)", false)]
    [InlineData("timestamp(3) with time zone", "timestamp(6) with time zone", true)]
    [InlineData("cidr", "inet", true)]
    [InlineData("integer", "bigint", false)]
    [InlineData("text", "character varying(100)", false)]
    [InlineData("text", "character varying", true)]
    [InlineData("numeric(10,2)", "numeric", true)]
    [InlineData("numeric", "numeric(10,2)", false)]
    [InlineData("timestamp without time zone", "timestamp with time zone", false)]
    [InlineData("timestamp(3) without time zone", "timestamp without time zone", true)]
    [InlineData("varchar(20)", "character varying(20)", true)]
    public void Binary_coercible_safe_list(string oldType, string newType, bool safe)
        => Assert.Equal(safe, PostgresFacts.IsBinaryCoercible(oldType, newType));
}

public sealed class MigrationCodeFixTests
{
    private const string Usings = """
        using System;
        using Microsoft.EntityFrameworkCore.Migrations;

        """;

    [Fact]
    public Task CreateIndex_becomes_concurrent() => VerifyFix<MigrationSafetyAnalyzer, PgDiscipline.Analyzers.CodeFixes.MigrationCodeFixes>.CodeFixAsync(
        Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:CreateIndex|}(name: "IX_Messages_AuthorId", table: "Messages", column: "AuthorId");
            }
        }
        """,
        Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.CreateIndex(name: "IX_Messages_AuthorId", table: "Messages", column: "AuthorId").Annotation("Npgsql:CreatedConcurrently", true);
            }
        }
        """,
        [Verify<MigrationSafetyAnalyzer>.Diagnostic("PGD304").WithLocation(0).WithArguments("Index 'IX_Messages_AuthorId' on existing table Messages is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)")]);

    // EF Core 10 warns 20410 for a non-transactional command in a migration with other operations (either form: the
    // annotation and Sql(…, suppressTransaction: true) generate the same command): the fix says so where it acts.
    [Fact]
    public Task CreateIndex_among_other_operations_becomes_concurrent_with_a_note_on_a_migration_of_its_own() => VerifyFix<MigrationSafetyAnalyzer, PgDiscipline.Analyzers.CodeFixes.MigrationCodeFixes>.CodeFixAsync(
        Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.AddColumn<int>(name: "Rank", table: "Messages", type: "integer", nullable: true);
                migrationBuilder.{|#0:CreateIndex|}(name: "IX_Messages_AuthorId", table: "Messages", column: "AuthorId");
            }
        }
        """,
        Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.AddColumn<int>(name: "Rank", table: "Messages", type: "integer", nullable: true);
                // CONCURRENTLY runs outside the migration's transaction; with other operations in this migration EF Core warns (20410)
                // and a failure part-way leaves it half applied: move this index to a migration of its own (dotnet ef migrations add).
                migrationBuilder.CreateIndex(name: "IX_Messages_AuthorId", table: "Messages", column: "AuthorId").Annotation("Npgsql:CreatedConcurrently", true);
            }
        }
        """,
        [Verify<MigrationSafetyAnalyzer>.Diagnostic("PGD304").WithLocation(0).WithArguments("Index 'IX_Messages_AuthorId' on existing table Messages is built without CONCURRENTLY and blocks writes for the whole build: add .Annotation(\"Npgsql:CreatedConcurrently\", true)")]);

    [Fact]
    public Task AddForeignKey_becomes_not_valid_then_validate() => VerifyFix<MigrationSafetyAnalyzer, PgDiscipline.Analyzers.CodeFixes.MigrationCodeFixes>.CodeFixAsync(
        Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:AddForeignKey|}(name: "FK_Messages_Users_AuthorId", table: "Messages", column: "AuthorId", principalTable: "Users", principalColumn: "Id", onDelete: ReferentialAction.Cascade);
            }
        }
        """,
        Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.Sql("ALTER TABLE \"Messages\" ADD CONSTRAINT \"FK_Messages_Users_AuthorId\" FOREIGN KEY (\"AuthorId\") REFERENCES \"Users\" (\"Id\") ON DELETE CASCADE NOT VALID;");
                migrationBuilder.Sql("ALTER TABLE \"Messages\" VALIDATE CONSTRAINT \"FK_Messages_Users_AuthorId\";", suppressTransaction: true);
            }
        }
        """,
        [Verify<MigrationSafetyAnalyzer>.Diagnostic("PGD306").WithLocation(0).WithArguments("Foreign key 'FK_Messages_Users_AuthorId' on existing table Messages validates every row while blocking writes: add it with Sql(\"… NOT VALID\") and VALIDATE CONSTRAINT in a later step")]);

    [Fact]
    public Task AddCheckConstraint_becomes_not_valid_then_validate() => VerifyFix<MigrationSafetyAnalyzer, PgDiscipline.Analyzers.CodeFixes.MigrationCodeFixes>.CodeFixAsync(
        Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:AddCheckConstraint|}(name: "CK_Messages_Body", table: "Messages", schema: "chat", sql: "length(\"Body\") < 10000");
            }
        }
        """,
        Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.Sql("ALTER TABLE \"chat\".\"Messages\" ADD CONSTRAINT \"CK_Messages_Body\" CHECK (length(\"Body\") < 10000) NOT VALID;");
                migrationBuilder.Sql("ALTER TABLE \"chat\".\"Messages\" VALIDATE CONSTRAINT \"CK_Messages_Body\";", suppressTransaction: true);
            }
        }
        """,
        [Verify<MigrationSafetyAnalyzer>.Diagnostic("PGD308").WithLocation(0).WithArguments("Check constraint 'CK_Messages_Body' on existing table chat.Messages scans the table under ACCESS EXCLUSIVE: add it NOT VALID with Sql(…), then VALIDATE CONSTRAINT")]);
}
