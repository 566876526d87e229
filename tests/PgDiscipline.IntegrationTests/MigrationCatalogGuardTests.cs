using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace PgDiscipline.IntegrationTests;

// Issue 18: the runtime guard decides like the analyzer and the lint (one catalog, one suppression meaning). The unsafe
// steps live in helper methods: the analyzer reads Up() bodies, and this project's build treats PGD diagnostics as errors.

public sealed class GuardWidenDb(DbContextOptions<GuardWidenDb> o) : GuardDb(o);

public sealed class GuardNarrowDb(DbContextOptions<GuardNarrowDb> o) : GuardDb(o);

public sealed class GuardRawAllowedDb(DbContextOptions<GuardRawAllowedDb> o) : GuardDb(o);

public sealed class GuardRawWrapperDb(DbContextOptions<GuardRawWrapperDb> o) : GuardDb(o);

public sealed class GuardRawCommentDb(DbContextOptions<GuardRawCommentDb> o) : GuardDb(o);

internal static class CatalogGuardSteps
{
    public static void AddCode(MigrationBuilder b)
    {
        b.AddColumn<string>(name: "code", table: "accounts", schema: GuardSchema.Name, type: "character varying(10)", maxLength: 10, nullable: true);
    }

    public static void WidenCode(MigrationBuilder b)
        => b.AlterColumn<string>(name: "code", table: "accounts", schema: GuardSchema.Name, type: "character varying(40)", maxLength: 40, nullable: true,
            oldClrType: typeof(string), oldType: "character varying(10)", oldMaxLength: 10, oldNullable: true);

    /// <summary>No store types, as in hand-written migrations: Npgsql emits <c>TYPE character varying(5)</c>.</summary>
    public static void NarrowCode(MigrationBuilder b)
        => b.AlterColumn<string>(name: "code", table: "accounts", schema: GuardSchema.Name, maxLength: 5, nullable: true,
            oldClrType: typeof(string), oldMaxLength: 10, oldNullable: true);

    public static void RawIndex(MigrationBuilder b, string comment = "")
        => b.Sql($"{comment}CREATE INDEX ix_accounts_name_raw ON {GuardSchema.Name}.accounts (name);");
}

[DbContext(typeof(GuardWidenDb))]
[Migration("20261129000001_Accounts")]
public sealed class GuardWiden1 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        GuardMigrationSteps.CreateAccounts(migrationBuilder);
        CatalogGuardSteps.AddCode(migrationBuilder);
    }
}

[DbContext(typeof(GuardWidenDb))]
[Migration("20261129000002_WidenCode")]
public sealed class GuardWiden2 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => CatalogGuardSteps.WidenCode(migrationBuilder);
}

[DbContext(typeof(GuardNarrowDb))]
[Migration("20261129000001_Accounts")]
public sealed class GuardNarrow1 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        GuardMigrationSteps.CreateAccounts(migrationBuilder);
        CatalogGuardSteps.AddCode(migrationBuilder);
    }
}

[DbContext(typeof(GuardNarrowDb))]
[Migration("20261129000002_NarrowCode")]
public sealed class GuardNarrow2 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => CatalogGuardSteps.NarrowCode(migrationBuilder);
}

[DbContext(typeof(GuardRawAllowedDb))]
[Migration("20261129000001_Accounts")]
public sealed class GuardRawAllowed1 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.CreateAccounts(migrationBuilder);
}

[DbContext(typeof(GuardRawAllowedDb))]
[Migration("20261129000002_RawIndex")]
[AllowUnsafeMigration("PGD304", Reason = "100-row table")]
public sealed class GuardRawAllowed2 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => CatalogGuardSteps.RawIndex(migrationBuilder);
}

[DbContext(typeof(GuardRawWrapperDb))]
[Migration("20261129000001_Accounts")]
public sealed class GuardRawWrapper1 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.CreateAccounts(migrationBuilder);
}

[DbContext(typeof(GuardRawWrapperDb))]
[Migration("20261129000002_RawIndex")]
[AllowUnsafeMigration("PGD312", Reason = "the wrapper id allowed raw SQL before the catalog")]
public sealed class GuardRawWrapper2 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => CatalogGuardSteps.RawIndex(migrationBuilder);
}

[DbContext(typeof(GuardRawCommentDb))]
[Migration("20261129000001_Accounts")]
public sealed class GuardRawComment1 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.CreateAccounts(migrationBuilder);
}

[DbContext(typeof(GuardRawCommentDb))]
[Migration("20261129000002_RawIndex")]
public sealed class GuardRawComment2 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
        => CatalogGuardSteps.RawIndex(migrationBuilder, "-- pgdiscipline-ignore PGD304: 100-row table\n");
}

/// <summary>The guard against the real primary, deciding like the analyzer and the lint.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MigrationCatalogGuardTests(ClusterFixture cluster)
{
    private T Create<T>(Func<DbContextOptions<T>, T> factory)
        where T : DbContext
    {
        GuardSchema.Name = "guard_" + Guid.NewGuid().ToString("N")[..8];
        var options = new DbContextOptionsBuilder<T>()
            .UseNpgsql(cluster.Primary, n => n.MigrationsHistoryTable("__EFMigrationsHistory", GuardSchema.Name))
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .UsePgDiscipline(o => o.Migrations.LockTimeout = TimeSpan.FromMilliseconds(500))
            .Options;
        return factory(options);
    }

    private async Task<string?> Scalar(string sql) => (await ClusterFixture.ScalarAsync(cluster.Primary, sql))?.ToString();

    private Task<string?> CodeType() => Scalar(
        $"select format_type(atttypid, atttypmod) from pg_attribute where attrelid = '{GuardSchema.Name}.accounts'::regclass and attname = 'code'");

    private Task<string?> RawIndexCount() => Scalar($"select count(*) from pg_indexes where schemaname = '{GuardSchema.Name}' and indexname = 'ix_accounts_name_raw'");

    [Fact]
    public async Task A_binary_coercible_widening_is_applied_and_a_narrowing_without_store_types_is_refused_as_PGD301()
    {
        await using (var widen = Create<GuardWidenDb>(o => new GuardWidenDb(o)))
        {
            await widen.Database.MigrateAsync();
            Assert.Equal("character varying(40)", await CodeType());
        }

        await using var narrow = Create<GuardNarrowDb>(o => new GuardNarrowDb(o));
        var ex = await Assert.ThrowsAsync<UnsafeMigrationException>(() => narrow.Database.MigrateAsync());
        Assert.Equal(("20261129000002_NarrowCode", "PGD301"), (ex.Migration, ex.RuleId));
        Assert.Contains("from character varying(10) to character varying(5)", ex.Message, StringComparison.Ordinal);
        Assert.Equal("character varying(10)", await CodeType());
    }

    [Fact]
    public async Task A_raw_create_index_is_allowed_by_its_own_rule_id_or_an_ignore_comment_but_not_by_the_wrapper_id()
    {
        await using (var allowed = Create<GuardRawAllowedDb>(o => new GuardRawAllowedDb(o)))
        {
            await allowed.Database.MigrateAsync();
            Assert.Equal("1", await RawIndexCount());
        }

        await using (var comment = Create<GuardRawCommentDb>(o => new GuardRawCommentDb(o)))
        {
            await comment.Database.MigrateAsync();
            Assert.Equal("1", await RawIndexCount());
        }

        await using var wrapper = Create<GuardRawWrapperDb>(o => new GuardRawWrapperDb(o));
        var ex = await Assert.ThrowsAsync<UnsafeMigrationException>(() => wrapper.Database.MigrateAsync());
        Assert.Equal("PGD304", ex.RuleId);
        Assert.Equal("0", await RawIndexCount());
    }
}
