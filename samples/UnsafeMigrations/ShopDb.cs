using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace UnsafeMigrations;

public sealed class ShopDb(DbContextOptions<ShopDb> options) : DbContext(options);

/// <summary>Each call below is a change that locks or rewrites a busy table, or breaks running code. The build shows
/// one PGD3xx warning per call; docs/rules/PGDnnn.md says what to do instead.</summary>
[DbContext(typeof(ShopDb))]
[Migration("20261102000000_EverythingUnsafe")]
public sealed class EverythingUnsafe : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AlterColumn<long>(name: "qty", table: "orders", type: "bigint", oldClrType: typeof(int), oldType: "integer");          // PGD301
        migrationBuilder.AddColumn<DateTime>(name: "touched_at", table: "orders", type: "timestamp with time zone", nullable: false, defaultValueSql: "clock_timestamp()"); // PGD302
        migrationBuilder.AlterColumn<string>(name: "note", table: "orders", type: "text", nullable: false, oldClrType: typeof(string), oldType: "text", oldNullable: true); // PGD303
        migrationBuilder.CreateIndex(name: "ix_orders_note", table: "orders", column: "note");                                                 // PGD304
        migrationBuilder.DropIndex(name: "ix_orders_old", table: "orders");                                                                     // PGD305
        migrationBuilder.AddForeignKey(name: "fk_orders_customer", table: "orders", column: "customer_id", principalTable: "customers", principalColumn: "id"); // PGD306
        migrationBuilder.AddUniqueConstraint(name: "uq_orders_code", table: "orders", column: "code");                                        // PGD307
        migrationBuilder.AddCheckConstraint(name: "ck_orders_qty", table: "orders", sql: "qty > 0");                                          // PGD308
        migrationBuilder.RenameColumn(name: "remark", table: "orders", newName: "comment");                                                    // PGD309
        migrationBuilder.DropColumn(name: "legacy_code", table: "orders");                                                                      // PGD310
        migrationBuilder.CreateTable(name: "audit", columns: t => new { id = t.Column<long>(type: "bigint", nullable: false) },
            constraints: t => t.PrimaryKey("pk_audit", x => x.id));                                                                             // PGD311 (closed database)
        migrationBuilder.Sql("VACUUM FULL orders");                                                                                             // PGD312
        migrationBuilder.AddColumn<long>(name: "seq", table: "orders", type: "bigint", nullable: false)
            .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn);                              // PGD313
        migrationBuilder.Sql("CREATE INDEX CONCURRENTLY ix_orders_code ON orders (code)");                                                      // PGD314
    }
}
