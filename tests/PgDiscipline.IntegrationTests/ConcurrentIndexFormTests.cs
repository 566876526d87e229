using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace PgDiscipline.IntegrationTests;

/// <summary>What the PGD304 code fix relies on, checked against EF Core 10 + Npgsql 10 (no server needed): the annotation
/// it adds generates <c>CREATE INDEX CONCURRENTLY</c> in a command outside the migration's transaction — the same command
/// as <c>Sql("CREATE INDEX CONCURRENTLY …", suppressTransaction: true)</c>. So EF Core's warning 20410 (a non-transactional
/// command in a migration with other operations) is about sharing the migration, not about the form; the remedy is a
/// migration of its own, which the fix says where it acts.</summary>
public sealed class ConcurrentIndexFormTests
{
    [Fact]
    public void The_annotation_the_PGD304_fix_adds_is_generated_as_a_non_transactional_CREATE_INDEX_CONCURRENTLY()
    {
        using var db = new Db(new DbContextOptionsBuilder<Db>().UseNpgsql("Host=127.0.0.1").Options);
        var generator = db.GetService<IMigrationsSqlGenerator>();
        var migration = new MigrationBuilder("Npgsql.EntityFrameworkCore.PostgreSQL");
        migration.CreateIndex(name: "IX_Messages_AuthorId", table: "Messages", column: "AuthorId").Annotation("Npgsql:CreatedConcurrently", true);
        migration.Sql("CREATE INDEX CONCURRENTLY \"IX_Messages_AuthorId\" ON \"Messages\" (\"AuthorId\");", suppressTransaction: true);
        migration.AddColumn<int>(name: "Rank", table: "Messages", nullable: true);

        var commands = generator.Generate(migration.Operations, db.Model);
        Assert.Equal([true, true, false], commands.Select(c => c.TransactionSuppressed));
        Assert.Equal(commands[1].CommandText.Trim(), commands[0].CommandText.Trim());
        Assert.StartsWith("CREATE INDEX CONCURRENTLY", commands[0].CommandText, StringComparison.Ordinal);
    }

    private sealed class Db(DbContextOptions<Db> options) : DbContext(options);
}
