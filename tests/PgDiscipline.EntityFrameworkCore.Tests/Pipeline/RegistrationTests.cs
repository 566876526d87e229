using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>How contexts find their runtime. No database is reached: resolving a runtime opens no connection.</summary>
public sealed class RegistrationTests
{
    private sealed class AppContext(DbContextOptions<AppContext> options) : DbContext(options);

    private static AppContext Context(Action<PgDisciplineOptions> pg, IServiceProvider? internalServices = null)
    {
        var builder = new DbContextOptionsBuilder<AppContext>().UseNpgsql("Host=primary.invalid;Database=app");
        if (internalServices is not null)
        {
            builder.UseInternalServiceProvider(internalServices);
        }

        return new AppContext(builder.UsePgDiscipline(pg).Options);
    }

    [Fact]
    public void Contexts_configured_alike_share_a_runtime_and_any_option_that_differs_gives_another()
    {
        var name = "shared-" + Guid.NewGuid().ToString("N");
        using var a = Context(pg => { pg.AddReplica("Host=replica.invalid").Name = name; pg.Timeouts.Statement = TimeSpan.FromSeconds(2); });
        using var b = Context(pg => { pg.AddReplica("Host=replica.invalid").Name = name; pg.Timeouts.Statement = TimeSpan.FromSeconds(2); });
        using var c = Context(pg => { pg.AddReplica("Host=replica.invalid").Name = name; pg.Timeouts.Statement = TimeSpan.FromSeconds(2); pg.Statistics.MaxFingerprints = 10; });
        var runtime = a.FindPgDisciplineRuntime();
        Assert.NotNull(runtime);
        Assert.Same(runtime, b.FindPgDisciplineRuntime());
        Assert.NotSame(runtime, c.FindPgDisciplineRuntime());
        Assert.Equal(name, Assert.Single(runtime!.Replicas).Name);
        Assert.Equal(10, c.FindPgDisciplineRuntime()!.Options.Statistics.MaxFingerprints);
    }

    [Fact]
    public void Many_distinct_configurations_do_not_multiply_EF_Core_service_providers()
    {
        // EF Core throws ManyServiceProvidersCreatedWarning past twenty internal service providers; a runtime per
        // configuration must not cost one each (test suites and multi-tenant apps configure many).
        var runtimes = new HashSet<PgDisciplineRuntime>();
        for (var i = 0; i < 40; i++)
        {
            var ms = 1000 + i;
            using var context = Context(pg => pg.Timeouts.Statement = TimeSpan.FromMilliseconds(ms));
            runtimes.Add(context.FindPgDisciplineRuntime()!);
            Assert.Equal(TimeSpan.FromMilliseconds(ms), context.FindPgDisciplineRuntime()!.Options.Timeouts.Statement);
        }

        Assert.Equal(40, runtimes.Count);
    }

    [Fact]
    public async Task A_code_configured_runtime_is_disposed_with_the_EF_Core_provider_that_owns_it()
    {
        var snapshot = Path.Combine(Path.GetTempPath(), "pgd-owned-" + Guid.NewGuid().ToString("N") + ".json");
        var internalServices = new ServiceCollection().AddEntityFrameworkNpgsql().AddEntityFrameworkPgDiscipline().BuildServiceProvider();
        try
        {
            using (var context = Context(pg => { pg.Statistics.SnapshotPath = snapshot; pg.Statistics.SnapshotInterval = TimeSpan.FromHours(1); }, internalServices))
            {
                Assert.NotNull(context.FindPgDisciplineRuntime());
            }

            Assert.False(File.Exists(snapshot));
            await internalServices.DisposeAsync(); // disposing the runtime writes its last snapshot
            Assert.True(File.Exists(snapshot));
        }
        finally
        {
            File.Delete(snapshot);
        }
    }

    [Fact]
    public void Without_PgDiscipline_a_context_has_no_runtime_and_no_session()
    {
        using var context = new AppContext(new DbContextOptionsBuilder<AppContext>().UseNpgsql("Host=primary.invalid").Options);
        Assert.Null(context.FindPgDisciplineRuntime());
        Assert.Throws<InvalidOperationException>(() => context.GetPgDisciplineSession());
    }

    [Fact]
    public void A_runtime_owned_by_the_application_container_is_the_one_contexts_use_and_is_disposed_with_it()
    {
        var services = new ServiceCollection().AddPgDiscipline(pg => pg.AddReplica("Host=replica.invalid"));
        services.AddDbContext<AppContext>((sp, o) => o.UseNpgsql("Host=primary.invalid").UsePgDiscipline(sp));
        var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<PgDisciplineRuntime>();
        using (var scope = provider.CreateScope())
        {
            var context = scope.ServiceProvider.GetRequiredService<AppContext>();
            Assert.Same(runtime, context.FindPgDisciplineRuntime());
            Assert.NotNull(context.GetPgDisciplineSession());
        }

        provider.Dispose();
        Assert.Throws<ObjectDisposedException>(() => runtime.Get<ReplicaSet>().All[0].DataSource.CreateConnection().Open());
    }

    [Fact]
    public void Each_context_has_its_own_session_and_a_pooled_context_returns_to_its_pool_without_it()
    {
        var services = new ServiceCollection().AddPgDiscipline(pg => pg.AddReplica("Host=replica.invalid"));
        services.AddDbContextPool<AppContext>((sp, o) => o.UseNpgsql("Host=primary.invalid").UsePgDiscipline(sp));
        using var provider = services.BuildServiceProvider();
        PgDisciplineSession first;
        AppContext leased;
        using (var scope = provider.CreateScope())
        {
            leased = scope.ServiceProvider.GetRequiredService<AppContext>();
            first = leased.GetPgDisciplineSession();
            Assert.Same(first, leased.GetPgDisciplineSession()); // one per context instance
            first.Token = "pgd1.0/3000060";
            using (var otherScope = provider.CreateScope())
            {
                var other = otherScope.ServiceProvider.GetRequiredService<AppContext>();
                Assert.NotSame(leased, other);
                Assert.Null(other.GetPgDisciplineSession().Token); // another request's context starts clean
            }
        }

        // The pool hands both instances out again; the last requests' read-your-writes positions are gone with them.
        using var scope1 = provider.CreateScope();
        using var scope2 = provider.CreateScope();
        var again = new[] { scope1.ServiceProvider.GetRequiredService<AppContext>(), scope2.ServiceProvider.GetRequiredService<AppContext>() };
        Assert.Contains(leased, again);
        Assert.All(again, c => Assert.Null(c.GetPgDisciplineSession().Token));
        Assert.DoesNotContain(first, again.Select(c => c.GetPgDisciplineSession()));
    }
}
