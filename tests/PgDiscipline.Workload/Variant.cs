using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace PgDiscipline.Workload;

/// <summary>How a client reaches the database: where reads and writes go, whether PgDiscipline routes them, and whether
/// contexts come from a pool (<c>AddDbContextPool</c>'s <see cref="PooledDbContextFactory{TContext}"/>) or are built per
/// request.</summary>
internal sealed class Variant
{
    private readonly PooledDbContextFactory<WorkloadDb>? _readPool;
    private readonly PooledDbContextFactory<WorkloadDb>? _writePool;

    public Variant(string name, DbContextOptions<WorkloadDb> reads, DbContextOptions<WorkloadDb> writes, PgDisciplineRuntime? runtime = null, bool pooled = false)
    {
        Name = name;
        Reads = reads;
        Writes = writes;
        Runtime = runtime;
        if (pooled)
        {
            _readPool = new PooledDbContextFactory<WorkloadDb>(reads);
            _writePool = ReferenceEquals(reads, writes) ? _readPool : new PooledDbContextFactory<WorkloadDb>(writes);
        }
    }

    public string Name { get; }

    public DbContextOptions<WorkloadDb> Reads { get; }

    public DbContextOptions<WorkloadDb> Writes { get; }

    /// <summary>Set for the PgDiscipline variant: reads are tagged ReadFromReplica and the session token is carried.</summary>
    public PgDisciplineRuntime? Runtime { get; }

    public WorkloadDb CreateReads() => _readPool?.CreateDbContext() ?? new WorkloadDb(Reads);

    public WorkloadDb CreateWrites() => _writePool?.CreateDbContext() ?? new WorkloadDb(Writes);
}
