using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PgDiscipline.IntegrationTests;

public sealed class Item
{
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public int Qty { get; set; }
}

/// <summary>A tiny EF Core model over table <c>probe_items</c>.</summary>
public sealed class ProbeContext(DbContextOptions<ProbeContext> options) : DbContext(options)
{
    public DbSet<Item> Items => Set<Item>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<Item>(e =>
        {
            e.ToTable("probe_items");
            e.Property(i => i.Id).HasColumnName("id");
            e.Property(i => i.Name).HasColumnName("name");
            e.Property(i => i.Qty).HasColumnName("qty");
        });

    public static ProbeContext Create(string connectionString, Action<PgDisciplineOptions>? pg = null)
    {
        var builder = new DbContextOptionsBuilder<ProbeContext>().UseNpgsql(connectionString);
        if (pg is not null)
        {
            builder.UsePgDiscipline(pg);
        }

        return new ProbeContext(builder.Options);
    }

    public static async Task EnsureTableAsync(string primary)
    {
        await using var conn = new NpgsqlConnection(primary);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            create table if not exists probe_items (id serial primary key, name text not null, qty int not null);
            insert into probe_items (name, qty) select 'item ' || g, g from generate_series(1, 20) g
            where not exists (select 1 from probe_items);
            """, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
