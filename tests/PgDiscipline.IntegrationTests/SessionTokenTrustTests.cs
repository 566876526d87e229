// PGD103: each forged token is tried with its own write, on purpose.
#pragma warning disable PGD103
using Microsoft.EntityFrameworkCore;

namespace PgDiscipline.IntegrationTests;

/// <summary>Session tokens are client input (issue 32, item 1): a forged timeline is no outage, and signed tokens carry
/// read-your-writes across instances.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SessionTokenTrustTests(ClusterFixture cluster) : IAsyncLifetime
{
    private static readonly string Key = Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray());

    public async Task InitializeAsync()
    {
        await ProbeContext.EnsureTableAsync(cluster.Primary);
        await cluster.WaitForStreamingAsync(TimeSpan.FromSeconds(30));
    }

    public Task DisposeAsync() => ClusterFixture.ScalarAsync(cluster.Primary, "delete from probe_items where qty = 0");

    private ProbeContext Create(PgDisciplineRuntime runtime) => new(new DbContextOptionsBuilder<ProbeContext>().UseNpgsql(cluster.Primary).UsePgDiscipline(runtime).Options);

    private PgDisciplineRuntime Runtime(params string[] keys)
    {
        var options = new PgDisciplineOptions();
        options.AddReplica(cluster.Replicas[0]);
        options.AddReplica(cluster.Replicas[1]);
        foreach (var key in keys)
        {
            options.SessionTokens.SigningKeys.Add(key);
        }

        return PgDisciplineRuntime.Create(options);
    }

    [Fact]
    public async Task A_forged_timeline_in_a_token_stops_no_write_in_this_runtime_or_another()
    {
        await using var attacked = Runtime();
        await using var bystander = Runtime();
        foreach (var forged in new[] { "pgd2.999.0/1", "pgd2.9223372036854775807.FFFFFFFF/FFFFFFFF", "pgd2.2.0/16B3748" })
        {
            await using var ctx = Create(attacked);
            ctx.GetPgDisciplineSession().Token = forged;
            ctx.Items.Add(new Item { Name = "forged-token", Qty = 0 });
            await ctx.SaveChangesAsync(); // the real primary (timeline 1) is not refused
            Assert.NotNull(await ctx.Items.FirstOrDefaultAsync(i => i.Name == "forged-token"));
        }

        Assert.Equal(1, attacked.PrimaryTimeline);
        Assert.Empty(attacked.RefusedPrimaries);
        await using (var other = Create(bystander))
        {
            other.Items.Add(new Item { Name = "bystander", Qty = 0 });
            await other.SaveChangesAsync();
        }

        Assert.Empty(bystander.RefusedPrimaries);
    }

    [Fact]
    public async Task A_signed_token_carries_read_your_writes_to_another_instance_and_an_unsigned_one_is_ignored()
    {
        await using var a = Runtime(Key);
        await using var b = Runtime(Key);
        string token;
        await using (var writer = Create(a))
        {
            writer.Items.Add(new Item { Name = "signed-token", Qty = 0 });
            await writer.SaveChangesAsync();
            token = (await writer.GetPgDisciplineSession().GetTokenAsync())!;
        }

        Assert.StartsWith("pgd3.", token, StringComparison.Ordinal);
        await using (var reader = Create(b))
        {
            reader.GetPgDisciplineSession().Token = token;
            Assert.Equal(1, await reader.Items.ReadFromReplica().CountAsync(i => i.Name == "signed-token"));
        }

        await using (var forged = Create(b))
        {
            forged.GetPgDisciplineSession().Token = "pgd2.1.FF/FFFFFFFF"; // unsigned: no token at all
            Assert.Null(forged.GetPgDisciplineSession().Token);
        }
    }
}
