// PGD103: the same reads run several times on purpose, so their rows add up.
#pragma warning disable PGD103
using Microsoft.EntityFrameworkCore;
using PgDiscipline.Sql;

namespace PgDiscipline.IntegrationTests;

/// <summary>Statistics count the rows a query really returned, and the rows a write really changed: 0, 1 and n, on a
/// replica and on the primary, behind the timeout prefix and without it, through LINQ, SqlQuery and SaveChanges.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StatisticsRowTests(ClusterFixture cluster) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await ProbeContext.EnsureTableAsync(cluster.Primary);
        await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(30));
    }

    public Task DisposeAsync() => ClusterFixture.ScalarAsync(cluster.Primary, "delete from probe_items where qty = 0");

    [Theory]
    [InlineData(PoolerMode.Direct, ReadRouting.Replica)]
    [InlineData(PoolerMode.Direct, ReadRouting.Primary)]
    [InlineData(PoolerMode.PgBouncerTransaction, ReadRouting.Replica)]
    public async Task Rows_are_exact_for_empty_single_and_many_row_reads_and_for_writes(PoolerMode pooler, ReadRouting reads)
    {
        await using var ctx = ProbeContext.Create(pooler == PoolerMode.Direct ? cluster.Primary : cluster.PgBouncer, pg =>
        {
            pg.Pooler = pooler;
            pg.Timeouts.Statement = TimeSpan.FromSeconds(5);
            pg.AddReplica(cluster.Replicas[0]);
            pg.AddReplica(cluster.Replicas[1]);
            pg.DefaultRead = reads;
            pg.Statistics.SnapshotPath = Path.Combine(ClusterFixture.RepoRoot, "artifacts", "test-rows", $"{pooler}-{reads}.json"); // a fresh runtime per case
        });
        var runtime = ctx.FindPgDisciplineRuntime()!;
        await runtime.CheckReplicasNowAsync();

        for (var round = 0; round < 3; round++)
        {
            Assert.Empty(await ctx.Items.Where(x => x.Name == "nobody").ToListAsync());                     // 0 rows
            Assert.NotNull(await ctx.Items.FirstOrDefaultAsync(x => x.Qty == 7));                             // 1 row (LIMIT 1)
            Assert.Equal(5, (await ctx.Items.Where(x => x.Qty > 0 && x.Qty <= 5).ToListAsync()).Count);       // 5 rows
            Assert.Single(await ctx.Database.SqlQuery<int>($"select qty as \"Value\" from probe_items where qty = 3").ToListAsync()); // 1 row, raw
            Assert.Empty(await ctx.Database.SqlQuery<int>($"select qty as \"Value\" from probe_items where name = 'nobody'").ToListAsync()); // 0 rows, raw
        }

        ctx.Items.AddRange(new Item { Name = "rows-a", Qty = 0 }, new Item { Name = "rows-b", Qty = 0 }, new Item { Name = "rows-c", Qty = 0 });
        await ctx.SaveChangesAsync();                                                                       // 3 rows inserted (RETURNING id)
        Assert.Equal(3, await ctx.Items.Where(x => x.Name.StartsWith("rows-")).ExecuteUpdateAsync(s => s.SetProperty(x => x.Qty, 0))); // 3 rows updated
        Assert.Equal(0, await ctx.Items.Where(x => x.Name == "nobody").ExecuteDeleteAsync());                // 0 rows deleted

        var rows = runtime.Statistics!.ToSnapshot().Queries.ToDictionary(q => q.Normalized, q => (q.Calls, q.Rows));
        var all = string.Join("\n", rows.Select(r => $"{r.Value}: {r.Key}"));
        (long Calls, long Rows) Of(string sql) => rows.TryGetValue(SqlFingerprint.Compute(sql).Normalized, out var v) ? v : throw new Xunit.Sdk.XunitException("not counted: " + SqlFingerprint.Compute(sql).Normalized + "\n" + all);
        Assert.Equal((3, 0), Of("SELECT p.id, p.name, p.qty FROM probe_items AS p WHERE p.name = 'nobody'"));
        Assert.Equal((3, 3), Of("SELECT p.id, p.name, p.qty FROM probe_items AS p WHERE p.qty = 7 LIMIT 1"));
        Assert.Equal((3, 15), Of("SELECT p.id, p.name, p.qty FROM probe_items AS p WHERE p.qty > 0 AND p.qty <= 5"));
        Assert.Equal((3, 3), Of("select qty as \"Value\" from probe_items where qty = 3"));
        Assert.Equal((3, 0), Of("select qty as \"Value\" from probe_items where name = 'nobody'"));
        Assert.Contains(rows, q => q.Key.StartsWith("insert into probe_items", StringComparison.Ordinal) && q.Value == (1, 3));
        Assert.Contains(rows, q => q.Key.StartsWith("update probe_items", StringComparison.Ordinal) && q.Value == (1, 3));
        Assert.Contains(rows, q => q.Key.StartsWith("delete from probe_items", StringComparison.Ordinal) && q.Value == (1, 0));
    }
}
