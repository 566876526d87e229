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

    private static DiagnosticResult D(string id, int location, params object[] args) => V.Diagnostic(id).WithLocation(location).WithArguments(args);

    [Fact]
    public Task Index_rules_respect_concurrency_and_tables_created_in_the_same_migration() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.CreateTable(name: "reactions", columns: t => new { id = t.Column<int>(nullable: false) });
                migrationBuilder.CreateIndex(name: "ix_reactions_id", table: "reactions", column: "id");
                migrationBuilder.{|#0:CreateIndex|}(name: "ix_messages_author", table: "messages", column: "author_id");
                migrationBuilder.CreateIndex(name: "ix_messages_body", table: "messages", column: "body").Annotation("Npgsql:CreatedConcurrently", true);
                migrationBuilder.{|#1:DropIndex|}(name: "ix_old", table: "messages");
            }

            protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropIndex(name: "ix_messages_author", table: "messages");
        }
        """, D("PGD304", 0, "ix_messages_author", ".messages"), D("PGD305", 1, "ix_old", ".messages"));

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
        D("PGD301", 0, "id", ".messages", "integer", "bigint"),
        D("PGD303", 1, "author_id", ".messages"),
        D("PGD302", 2, "token", ".messages", "default gen_random_uuid()"),
        D("PGD313", 3, "seq", ".messages"));

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
        D("PGD306", 0, "fk_messages_users", ".messages"),
        D("PGD307", 1, "uq_users_email", ".users"),
        D("PGD308", 2, "ck_len", ".messages"),
        D("PGD309", 3, ".users"),
        D("PGD310", 4, "column legacy of .users"));

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
                migrationBuilder.Sql("ALTER TABLE messages VALIDATE CONSTRAINT fk");
            }
        }
        """,
        V.Diagnostic("PGD312").WithLocation(0).WithArguments("PGD312", "UPDATE without WHERE on users touches every row in one transaction: backfill in batches outside the migration."),
        D("PGD314", 1));

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
        """, D("PGD304", 0, "ix_b", ".settings"));

    [Fact]
    public Task Closed_database_option_reports_new_tables() => V.AnalyzerAsync(Usings + """
        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
                => migrationBuilder.{|#0:CreateTable|}(name: "things", columns: t => new { id = t.Column<int>(nullable: false) });
        }
        """, "pgdiscipline.PGD311.enabled = true", D("PGD311", 0, ".things"));

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
    public void Binary_coercible_safe_list(string oldType, string newType, bool safe)
        => Assert.Equal(safe, MigrationSafetyAnalyzer.BinaryCoercible(oldType, newType));
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
        [Verify<MigrationSafetyAnalyzer>.Diagnostic("PGD304").WithLocation(0).WithArguments("IX_Messages_AuthorId", ".Messages")]);

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
        [Verify<MigrationSafetyAnalyzer>.Diagnostic("PGD306").WithLocation(0).WithArguments("FK_Messages_Users_AuthorId", ".Messages")]);

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
        [Verify<MigrationSafetyAnalyzer>.Diagnostic("PGD308").WithLocation(0).WithArguments("CK_Messages_Body", "chat.Messages")]);
}
