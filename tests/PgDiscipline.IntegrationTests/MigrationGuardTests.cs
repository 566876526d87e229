using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.IntegrationTests;

/// <summary>Schema for the migration-guard tests, unique per test so reruns on a kept cluster start clean.</summary>
public static class GuardSchema
{
    public static string Name { get; set; } = "guard";
}

public abstract class GuardDb(DbContextOptions options) : DbContext(options);

public sealed class GuardLockDb(DbContextOptions<GuardLockDb> o) : GuardDb(o);

public sealed class GuardUnsafeDb(DbContextOptions<GuardUnsafeDb> o) : GuardDb(o);

public sealed class GuardAllowedDb(DbContextOptions<GuardAllowedDb> o) : GuardDb(o);

public sealed class GuardEmptyReasonDb(DbContextOptions<GuardEmptyReasonDb> o) : GuardDb(o);

internal static class GuardMigrationSteps
{
    public static void CreateAccounts(MigrationBuilder b)
    {
        b.EnsureSchema(GuardSchema.Name);
        b.CreateTable(
            name: "accounts",
            schema: GuardSchema.Name,
            columns: t => new { id = t.Column<int>(nullable: false), name = t.Column<string>(nullable: true) },
            constraints: t => t.PrimaryKey("pk_accounts", x => x.id));
        b.Sql($"insert into {GuardSchema.Name}.accounts select g, 'n' || g from generate_series(1, 100) g");
    }

    public static void AddNoteWithPlainIndex(MigrationBuilder b)
    {
        b.AddColumn<string>(name: "note", table: "accounts", schema: GuardSchema.Name, nullable: true);
        b.CreateIndex(name: "ix_accounts_note", table: "accounts", schema: GuardSchema.Name, column: "note");
    }
}

[DbContext(typeof(GuardLockDb))]
[Migration("20261123000001_Accounts")]
public sealed class GuardLock1 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.CreateAccounts(migrationBuilder);
}

[DbContext(typeof(GuardLockDb))]
[Migration("20261123000002_AddNote")]
public sealed class GuardLock2 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "note", table: "accounts", schema: GuardSchema.Name, nullable: true);
        // Records the lock_timeout the server applied to this migration's statements.
        migrationBuilder.Sql($"create table {GuardSchema.Name}.seen_settings as select current_setting('lock_timeout') as lock_timeout");
    }
}

[DbContext(typeof(GuardLockDb))]
[Migration("20261123000003_IndexName")]
public sealed class GuardLock3 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
        => migrationBuilder.Sql($"CREATE INDEX CONCURRENTLY ix_accounts_name ON {GuardSchema.Name}.accounts (name)", suppressTransaction: true);
}

[DbContext(typeof(GuardUnsafeDb))]
[Migration("20261123000001_Accounts")]
public sealed class GuardUnsafe1 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.CreateAccounts(migrationBuilder);
}

[DbContext(typeof(GuardUnsafeDb))]
[Migration("20261123000002_NoteIndex")]
public sealed class GuardUnsafe2 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.AddNoteWithPlainIndex(migrationBuilder);
}

[DbContext(typeof(GuardAllowedDb))]
[Migration("20261123000001_Accounts")]
public sealed class GuardAllowed1 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.CreateAccounts(migrationBuilder);
}

[DbContext(typeof(GuardAllowedDb))]
[Migration("20261123000002_NoteIndex")]
[AllowUnsafeMigration("PGD304", Reason = "100-row table, built in milliseconds")]
public sealed class GuardAllowed2 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.AddNoteWithPlainIndex(migrationBuilder);
}

[DbContext(typeof(GuardEmptyReasonDb))]
[Migration("20261123000001_Accounts")]
public sealed class GuardEmpty1 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.CreateAccounts(migrationBuilder);
}

[DbContext(typeof(GuardEmptyReasonDb))]
[Migration("20261123000002_NoteIndex")]
[AllowUnsafeMigration("PGD304", Reason = "")]
public sealed class GuardEmpty2 : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => GuardMigrationSteps.AddNoteWithPlainIndex(migrationBuilder);
}

/// <summary>The runtime migration guard against the real primary.</summary>
[Collection(ClusterCollection.Name)]
public sealed class MigrationGuardTests(ClusterFixture cluster)
{
    private T Create<T>(Func<DbContextOptions<T>, T> factory, Action<PgDisciplineOptions>? pg = null)
        where T : DbContext
    {
        GuardSchema.Name = "guard_" + Guid.NewGuid().ToString("N")[..8];
        var options = new DbContextOptionsBuilder<T>()
            .UseNpgsql(cluster.Primary, n => n.MigrationsHistoryTable("__EFMigrationsHistory", GuardSchema.Name))
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .UsePgDiscipline(o =>
            {
                o.Migrations.LockTimeout = TimeSpan.FromMilliseconds(300);
                o.Migrations.RetryBackoff = TimeSpan.FromMilliseconds(200);
                o.Migrations.MaxAttempts = 10;
                pg?.Invoke(o);
            })
            .Options;
        return factory(options);
    }

    private async Task<bool> ScalarBool(string sql) => (bool)(await ClusterFixture.ScalarAsync(cluster.Primary, sql))!;

    private async Task<long> Scalar(string sql) => Convert.ToInt64(await ClusterFixture.ScalarAsync(cluster.Primary, sql), System.Globalization.CultureInfo.InvariantCulture);

    private Task<long> ColumnExists(string column) => Scalar(
        $"select count(*) from information_schema.columns where table_schema = '{GuardSchema.Name}' and table_name = 'accounts' and column_name = '{column}'");

    private Task<long> Applied() => Scalar($"select count(*) from {GuardSchema.Name}.\"__EFMigrationsHistory\"");

    [Fact]
    public async Task Migration_gives_up_on_a_held_lock_without_blocking_readers_retries_and_applies_once_released()
    {
        await using var db = Create<GuardLockDb>(o => new GuardLockDb(o));
        await db.GetService<IMigrator>().MigrateAsync("20261123000001_Accounts");

        await using var holder = new NpgsqlConnection(cluster.Primary);
        await holder.OpenAsync();
        var tx = await holder.BeginTransactionAsync();
        await using (var lockCmd = new NpgsqlCommand($"lock table {GuardSchema.Name}.accounts in access share mode", holder, tx))
        {
            await lockCmd.ExecuteNonQueryAsync();
        }

        var migrate = db.MigrateWithRetryAsync();

        // The migration's ALTER waits in the lock queue (a lock not granted on the table), gives up at its lock timeout
        // (the wait ends), and tries again: each step waited for, not assumed after a fixed pause.
        var waiting = $"select count(*) > 0 from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace where n.nspname = '{GuardSchema.Name}' and c.relname = 'accounts' and not l.granted";
        Task<bool> Waiting() => ScalarBool(waiting);
        await Eventually.UntilAsync(Waiting, "the migration to queue for its lock", poll: TimeSpan.FromMilliseconds(10));

        // While the migration keeps trying, ordinary reads are not queued behind it for long: at most its 300 ms lock
        // timeout (without one they would wait for the holder's transaction). The bound is 5 s for a loaded machine.
        var read = Stopwatch.StartNew();
        Assert.Equal(100L, await Scalar($"select count(*) from {GuardSchema.Name}.accounts"));
        Assert.True(read.Elapsed < TimeSpan.FromSeconds(5), $"a read waited {read.Elapsed} behind the migration");

        await Eventually.UntilAsync(async () => !await Waiting(), "the migration to give up at its lock timeout", poll: TimeSpan.FromMilliseconds(10));
        await Eventually.UntilAsync(Waiting, "the migration to try for its lock again", poll: TimeSpan.FromMilliseconds(10));
        Assert.False(migrate.IsCompleted, "the migration should still be waiting for the lock");

        await tx.RollbackAsync();
        await migrate;
        Assert.Equal(1L, await ColumnExists("note"));
        Assert.Equal(3L, await Applied());
        Assert.Equal(1L, await Scalar($"select count(*) from pg_indexes where schemaname = '{GuardSchema.Name}' and indexname = 'ix_accounts_name'"));
    }

    [Fact]
    public async Task Unsafe_migration_is_refused_naming_migration_statement_and_rule_and_nothing_of_it_is_applied()
    {
        await using var db = Create<GuardUnsafeDb>(o => new GuardUnsafeDb(o));
        var ex = await Assert.ThrowsAsync<UnsafeMigrationException>(() => db.Database.MigrateAsync());
        Assert.Equal("20261123000002_NoteIndex", ex.Migration);
        Assert.Equal("PGD304", ex.RuleId);
        Assert.Contains("create index", ex.Statement, StringComparison.Ordinal);
        Assert.Contains("AllowUnsafeMigration", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await ColumnExists("note")); // the AddColumn before it was rolled back
        Assert.Equal(1L, await Applied());
    }

    [Fact]
    public async Task AllowUnsafeMigration_with_a_reason_lets_it_through_and_an_empty_reason_does_not()
    {
        await using (var allowed = Create<GuardAllowedDb>(o => new GuardAllowedDb(o)))
        {
            await allowed.Database.MigrateAsync();
            Assert.Equal(1L, await ColumnExists("note"));
            Assert.Equal(2L, await Applied());
        }

        await using var empty = Create<GuardEmptyReasonDb>(o => new GuardEmptyReasonDb(o));
        var ex = await Assert.ThrowsAsync<UnsafeMigrationException>(() => empty.Database.MigrateAsync());
        Assert.Equal("PGD304", ex.RuleId);
        Assert.Equal(1L, await Applied());
    }

    [Fact]
    public async Task Every_migration_statement_runs_with_the_lock_timeout()
    {
        await using var db = Create<GuardLockDb>(o => new GuardLockDb(o), pg => pg.Migrations.LockTimeout = TimeSpan.FromMilliseconds(1234));
        await db.GetService<IMigrator>().MigrateAsync("20261123000001_Accounts");
        await db.Database.MigrateAsync();
        Assert.Equal("1234ms", (string?)await ClusterFixture.ScalarAsync(cluster.Primary, $"select lock_timeout from {GuardSchema.Name}.seen_settings"));
        Assert.Equal("0", (string?)await ClusterFixture.ScalarAsync(cluster.Primary, "show lock_timeout")); // nothing leaked into other sessions
    }
}
