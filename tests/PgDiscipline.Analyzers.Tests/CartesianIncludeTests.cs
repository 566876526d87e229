using Microsoft.CodeAnalysis.Testing;
using PgDiscipline.Analyzers.CodeFixes;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.CartesianIncludeAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

public sealed class CartesianIncludeTests
{
    private static DiagnosticResult Cartesian(int count, string names) => V.Diagnostic("PGD102").WithLocation(0).WithArguments(count, names);

    [Fact]
    public Task Two_collection_includes_in_one_query_are_reported() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            Task<List<User>> M(AppDb db) => db.Users.Include(u => u.Orders).Include(u => u.Addresses).{|#0:ToListAsync|}();
        }
        """ + Model.Entities, Cartesian(2, "Orders, Addresses"));

    [Fact]
    public Task Nested_collections_multiply_too() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Orders).ThenInclude(o => o.Lines).{|#0:ToList|}();
        }
        """ + Model.Entities, Cartesian(2, "Orders, Lines"));

    [Fact]
    public Task One_collection_and_references_are_fine() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Team).ThenInclude(t => t.Company).Include(u => u.Orders).ToList();
        }
        """ + Model.Entities);

    [Fact]
    public Task Split_queries_are_fine() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Orders).Include(u => u.Addresses).AsSplitQuery().ToList();
        }
        """ + Model.Entities);

    [Fact]
    public Task Split_queries_configured_globally_are_fine() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            void Configure(DbContextOptionsBuilder o) => o.UseNpgsql("Host=x", n => n.UseQuerySplittingBehavior(QuerySplittingBehavior.SplitQuery));
            List<User> M(AppDb db) => db.Users.Include(u => u.Orders).Include(u => u.Addresses).ToList();
        }
        """ + Model.Entities);

    [Fact]
    public Task Code_fix_adds_AsSplitQuery_after_the_last_include() => VerifyFix<CartesianIncludeAnalyzer, AddAsSplitQueryCodeFix>.CodeFixAsync(
        Model.Usings + """
        class C
        {
            Task<List<User>> M(AppDb db) => db.Users.Include(u => u.Orders).Include(u => u.Addresses).Where(u => u.Id > 1).{|#0:ToListAsync|}();
        }
        """ + Model.Entities,
        Model.Usings + """
        class C
        {
            Task<List<User>> M(AppDb db) => db.Users.Include(u => u.Orders).Include(u => u.Addresses).AsSplitQuery().Where(u => u.Id > 1).ToListAsync();
        }
        """ + Model.Entities,
        [Cartesian(2, "Orders, Addresses")]);
}
