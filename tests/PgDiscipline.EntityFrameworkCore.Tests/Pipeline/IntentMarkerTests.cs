using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>ReadFromReplica() and Coalesce() on a PgDiscipline context: a marker EF Core turns into the same tag when it
/// compiles the query (no reflection per execution); anywhere else, the tag itself. The SQL is the same either way. No
/// database is reached (ToQueryString compiles only).</summary>
public sealed class IntentMarkerTests
{
    public sealed class Item
    {
        public int Id { get; set; }

        public int Group { get; set; }
    }

    private sealed class AppContext(DbContextOptions<AppContext> options) : DbContext(options)
    {
        public DbSet<Item> Items => Set<Item>();
    }

    private static readonly PgDisciplineRuntime Runtime = PgDisciplineRuntime.Create(new PgDisciplineOptions());

    private static AppContext WithPgDiscipline()
        => new(new DbContextOptionsBuilder<AppContext>().UseNpgsql("Host=primary.invalid;Database=app").UsePgDiscipline(Runtime).Options);

    private static AppContext Plain() => new(new DbContextOptionsBuilder<AppContext>().UseNpgsql("Host=primary.invalid;Database=app").Options);

    private static readonly Func<AppContext, IQueryable<object>>[] Shapes =
    [
        db => db.Items.Where(i => i.Id == 7).ReadFromReplica().Select(i => (object)i),
        db => db.Items.ReadFromReplica().Where(i => i.Group == 3).OrderBy(i => i.Id).Take(20).Select(i => (object)i),
        db => db.Items.Where(i => i.Group == 3).Coalesce().ReadFromReplica().Select(i => (object)i.Id),
        db => db.Items.ReadFromPrimary("after a write").Coalesce().Select(i => (object)i),
        db => db.Items.Where(i => db.Items.ReadFromReplica().Any(j => j.Group == i.Id)).Select(i => (object)i),
        db => db.Items.FromSqlRaw("select * from \"Items\"").ReadFromReplica().Select(i => (object)i),
        db => db.Database.SqlQueryRaw<int>("select 1 as \"Value\"").ReadFromReplica().Select(v => (object)v),
    ];

    [Fact]
    public void Each_shape_gives_the_same_SQL_with_its_tags_on_a_PgDiscipline_context_and_on_a_plain_one()
    {
        using var pg = WithPgDiscipline();
        using var plain = Plain();
        foreach (var shape in Shapes)
        {
            var sql = shape(pg).ToQueryString();
            Assert.Equal(shape(plain).ToQueryString(), sql);
            Assert.Contains("-- pgdiscipline:", sql, StringComparison.Ordinal);
        }

        Assert.Contains("-- pgdiscipline:read=replica", Shapes[0](pg).ToQueryString(), StringComparison.Ordinal);
        var both = Shapes[2](pg).ToQueryString();
        Assert.Contains("-- pgdiscipline:coalesce", both, StringComparison.Ordinal);
        Assert.Contains("-- pgdiscipline:read=replica", both, StringComparison.Ordinal);
    }

    [Fact]
    public void On_a_PgDiscipline_context_the_query_carries_a_marker_not_a_tag_and_elsewhere_the_tag()
    {
        using var pg = WithPgDiscipline();
        using var plain = Plain();

        Assert.Equal(["ReadFromReplica"], Calls(pg.Items.ReadFromReplica().Expression));
        Assert.Equal(["Coalesce", "ReadFromReplica"], Calls(pg.Items.ReadFromReplica().Coalesce().Expression));
        Assert.Equal(["TagWith"], Calls(plain.Items.ReadFromReplica().Expression));
        Assert.Equal(["TagWith"], Calls(pg.Items.ReadFromPrimary("reason").Expression)); // tags with a value stay tags
    }

    [Fact]
    public void A_context_whose_EF_Core_services_the_app_builds_itself_gets_the_same_SQL()
    {
        var services = new ServiceCollection().AddEntityFrameworkNpgsql().AddEntityFrameworkPgDiscipline().BuildServiceProvider();
        using var db = new AppContext(new DbContextOptionsBuilder<AppContext>().UseNpgsql("Host=primary.invalid;Database=app")
            .UseInternalServiceProvider(services).UsePgDiscipline(Runtime).Options);
        using var plain = Plain();

        Assert.Equal(["ReadFromReplica"], Calls(db.Items.ReadFromReplica().Expression));
        Assert.Equal(Shapes[1](plain).ToQueryString(), Shapes[1](db).ToQueryString());
    }

    [Fact]
    public async Task A_compiled_query_using_them_translates_on_a_PgDiscipline_context()
    {
        // Compiled, ReadFromReplica() is never called: EF Core meets the public method itself. Port 1 refuses the
        // connection, so a connection failure means the query was translated (untranslated: "could not be translated").
        var query = EF.CompileAsyncQuery((AppContext db, int id) => db.Items.Where(i => i.Id > id).ReadFromReplica().Coalesce().Count());
        await using var db = new AppContext(new DbContextOptionsBuilder<AppContext>().UseNpgsql("Host=127.0.0.1;Port=1;Timeout=2;Database=app").UsePgDiscipline(Runtime).Options);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => query(db, 1));
        Assert.DoesNotContain("could not be translated", failure.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<Npgsql.NpgsqlException>(failure as Npgsql.NpgsqlException ?? failure.InnerException); // EF Core's retry wrapper
    }

    [Fact]
    public void An_application_container_given_the_EF_Core_services_by_mistake_still_validates()
    {
        var services = new ServiceCollection().AddEntityFrameworkPgDiscipline();

        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static List<string> Calls(Expression expression)
    {
        var names = new List<string>();
        while (expression is MethodCallExpression call)
        {
            names.Add(call.Method.Name);
            expression = call.Arguments[0];
        }

        return names;
    }
}
