using Microsoft.CodeAnalysis.Testing;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.MigrationSafetyAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>Issue 34: the analyzer knows the schema the earlier migrations of the compilation made, in migration-id order,
/// so raw SQL in a later migration is judged against the column's real type.</summary>
public sealed class MigrationHistoryTests
{
    private const string Migrations = """
        using Microsoft.EntityFrameworkCore.Migrations;

        [Migration("20240102000000_Widen")]
        public class Widen : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.Sql("ALTER TABLE person ALTER COLUMN name TYPE character varying(40);");
                migrationBuilder.Sql("ALTER TABLE person ALTER COLUMN email TYPE text USING email::text;");
                migrationBuilder.{|#0:Sql|}("ALTER TABLE person ALTER COLUMN age TYPE bigint;");
                migrationBuilder.Sql("ALTER TABLE person ALTER COLUMN bio TYPE text;");
                migrationBuilder.AlterColumn<string>(name: "nick", table: "person", type: "text", nullable: true, oldNullable: true);
                migrationBuilder.{|#1:AlterColumn|}<string>(name: "nick", table: "person", type: "character varying(10)", nullable: true, oldNullable: true);
            }
        }

        [Migration("20240101000000_Create")]
        public class Create : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.CreateTable(name: "user_", columns: t => new
                {
                    id = t.Column<long>(type: "bigint", nullable: false),
                    name = t.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    email = t.Column<string>(type: "character varying(100)", nullable: true),
                    age = t.Column<int>(type: "integer", nullable: true),
                    nick = t.Column<string>(type: "character varying(30)", nullable: true),
                });
                migrationBuilder.RenameTable(name: "user_", newName: "person");
                migrationBuilder.Sql("ALTER TABLE person ADD COLUMN bio character varying(100);");
            }
        }
        """;

    [Fact]
    public Task Raw_sql_knows_the_types_earlier_migrations_declared_through_renames() => V.AnalyzerAsync(
        Migrations,
        "dotnet_diagnostic.PGD309.severity = none",
        new DiagnosticResult(MigrationDescriptors.RawSql["PGD301"]).WithLocation(0)
            .WithArguments("Changing column age of person from integer to bigint rewrites the table and its indexes under ACCESS EXCLUSIVE: add a new column, backfill in batches, switch, drop the old one."),
        // AlterColumn without oldType: the old type (text, from the AlterColumn before it) comes from the history.
        V.Diagnostic("PGD301").WithLocation(1)
            .WithArguments("Changing column 'nick' of person from text to character varying(10) rewrites the table and its indexes under ACCESS EXCLUSIVE: add a new column, backfill, switch, drop the old one"));

    [Fact]
    public Task Typed_operations_report_narrow_keys_and_timestamps_without_time_zone() => V.AnalyzerAsync("""
        using System;
        using Microsoft.EntityFrameworkCore.Migrations;

        public class M : Migration
        {
            protected override void Up(MigrationBuilder migrationBuilder)
            {
                migrationBuilder.{|#0:CreateTable|}(name: "orders", columns: t => new
                {
                    Id = t.Column<int>(type: "integer", nullable: false).Annotation("Npgsql:ValueGenerationStrategy", "IdentityByDefaultColumn"),
                    Total = t.Column<int>(type: "integer", nullable: false),
                    PlacedAt = t.Column<DateTime>(type: "timestamp without time zone", nullable: false),
                }, constraints: t => t.PrimaryKey("PK_orders", x => x.Id));
            }
        }
        """,
        V.Diagnostic("PGD324").WithLocation(0).WithArguments("Key column Id of orders is integer: when its values run out, changing it to bigint rewrites the table, its indexes and every referencing column under ACCESS EXCLUSIVE. Use bigint now."),
        V.Diagnostic("PGD327").WithLocation(0).WithArguments("Column PlacedAt of orders is timestamp without time zone: it drops the UTC offset, so one instant written from two time zones is stored as two values. Use timestamptz (timestamp with time zone)."));
}
