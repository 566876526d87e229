using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PgDiscipline.Benchmarks;

public sealed class BenchItem
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}

public sealed class BenchContext(DbContextOptions<BenchContext> options) : DbContext(options)
{
    public DbSet<BenchItem> Items => Set<BenchItem>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<BenchItem>(e =>
        {
            e.ToTable("bench_items");
            e.Property(i => i.Id).HasColumnName("id");
            e.Property(i => i.Name).HasColumnName("name");
        });
}

/// <summary>
/// One EF Core point read per operation (new DbContext each time, as in a web request), on the local cluster
/// (needs <c>build/cluster.sh start</c>; <c>build/bench.sh</c> does it). The baseline is plain EF Core pointed at the same
/// replica PgDiscipline routes to, so the ratio is PgDiscipline's own cost.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Percentiles))]
public class EndToEndBenchmarks
{
    private DbContextOptions<BenchContext> _plainReplica = null!;
    private DbContextOptions<BenchContext> _plainPrimary = null!;
    private DbContextOptions<BenchContext> _plainPgBouncer = null!;
    private DbContextOptions<BenchContext> _routed = null!;
    private DbContextOptions<BenchContext>? _pgpool;
    private int _id;

    private sealed class Percentiles : ManualConfig
    {
        public Percentiles() => AddColumn(StatisticColumn.P50, StatisticColumn.P95, StatisticColumn.Max);
    }

    [GlobalSetup]
    public void Setup()
    {
        var env = ReadEnv();
        var primary = env["PGD_PRIMARY"];
        var replica = env["PGD_REPLICA1"];
        using (var conn = new NpgsqlConnection(primary))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand("""
                create table if not exists bench_items (id int primary key, name text not null);
                insert into bench_items select g, 'item ' || g from generate_series(1, 1000) g on conflict do nothing;
                """, conn);
            cmd.ExecuteNonQuery();
        }

        Thread.Sleep(1000); // let the replica replay the table
        _plainReplica = new DbContextOptionsBuilder<BenchContext>().UseNpgsql(replica).Options;
        _plainPrimary = new DbContextOptionsBuilder<BenchContext>().UseNpgsql(primary).Options;
        _plainPgBouncer = new DbContextOptionsBuilder<BenchContext>().UseNpgsql(env["PGD_PGBOUNCER"]).Options;
        _routed = new DbContextOptionsBuilder<BenchContext>().UseNpgsql(primary)
            .UsePgDiscipline(pg =>
            {
                pg.AddReplica(replica);
                pg.Consistency = ReadConsistency.Eventual;
                pg.MaxReplicaLag = TimeSpan.FromMinutes(1);
            })
            .Options;
        if (env.TryGetValue("PGD_PGPOOL", out var pgpool))
        {
            _pgpool = new DbContextOptionsBuilder<BenchContext>().UseNpgsql(pgpool).Options;
        }

        using (var ctx = new BenchContext(_routed))
        {
            var runtime = ctx.FindPgDisciplineRuntime()!;
            runtime.CheckReplicasNowAsync().GetAwaiter().GetResult();
        }

        // Warm every pool.
        foreach (var options in new[] { _plainReplica, _plainPrimary, _plainPgBouncer, _routed, _pgpool ?? _plainReplica })
        {
            using var ctx = new BenchContext(options);
            ctx.Items.AsNoTracking().FirstOrDefault(i => i.Id == 1);
        }
    }

    private static Dictionary<string, string> ReadEnv()
    {
        var path = Environment.GetEnvironmentVariable("PGD_ENV_FILE") ?? throw new InvalidOperationException("set PGD_ENV_FILE (build/bench.sh does)");
        return File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim('\''));
    }

    private int NextId() => (_id = (_id % 1000) + 1);

    [Benchmark(Baseline = true, Description = "plain EF Core -> replica")]
    public async Task<BenchItem?> PlainReplica()
    {
        await using var ctx = new BenchContext(_plainReplica);
        var id = NextId();
        return await ctx.Items.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id);
    }

    [Benchmark(Description = "PgDiscipline ReadFromReplica -> replica")]
    public async Task<BenchItem?> RoutedReplica()
    {
        await using var ctx = new BenchContext(_routed);
        var id = NextId();
        return await ctx.Items.AsNoTracking().ReadFromReplica().FirstOrDefaultAsync(i => i.Id == id);
    }

    [Benchmark(Description = "PgDiscipline ReadFromPrimary -> primary")]
    public async Task<BenchItem?> RoutedPrimary()
    {
        await using var ctx = new BenchContext(_routed);
        var id = NextId();
        return await ctx.Items.AsNoTracking().ReadFromPrimary("bench").FirstOrDefaultAsync(i => i.Id == id);
    }

    [Benchmark(Description = "plain EF Core -> pgpool-II (load balancing) -> replica")]
    public async Task<BenchItem?> Pgpool()
    {
        await using var ctx = new BenchContext(_pgpool ?? throw new InvalidOperationException("pgpool-II is not running: build/pgpool.sh start"));
        var id = NextId();
        return await ctx.Items.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id);
    }

    [Benchmark(Description = "plain EF Core -> primary")]
    public async Task<BenchItem?> PlainPrimary()
    {
        await using var ctx = new BenchContext(_plainPrimary);
        var id = NextId();
        return await ctx.Items.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id);
    }

    [Benchmark(Description = "plain EF Core -> PgBouncer -> primary")]
    public async Task<BenchItem?> PlainPgBouncer()
    {
        await using var ctx = new BenchContext(_plainPgBouncer);
        var id = NextId();
        return await ctx.Items.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id);
    }
}
