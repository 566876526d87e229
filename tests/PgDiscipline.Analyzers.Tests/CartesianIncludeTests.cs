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
    public Task Collections_included_on_either_branch_of_an_if_are_one_query_each_but_a_later_sibling_multiplies() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db, bool orders)
            {
                IQueryable<User> q = db.Users;
                if (orders) { q = q.Include(u => u.Orders); } else { q = q.Include(u => u.Addresses); }
                return q.ToList(); // Orders or Addresses, never both
            }

            List<User> N(AppDb db, bool orders)
            {
                IQueryable<User> q = db.Users;
                if (orders) { q = q.Include(u => u.Orders); } else { q = q.Where(u => u.Id > 0); }
                return q.Include(u => u.Addresses).{|#0:ToList|}();
            }
        }
        """ + Model.Entities, Cartesian(2, "Orders, Addresses"));

    [Fact]
    public Task One_nested_collection_path_is_one_row_per_leaf_not_a_product() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // PiranhaCMS's page load: Include(p => p.Blocks).ThenInclude(b => b.Block).ThenInclude(b => b.Fields), minimised.
            List<User> M(AppDb db) => db.Users.Include(u => u.Orders).ThenInclude(o => o.Lines).ToList();
            List<User> N(AppDb db) => db.Users.Include(u => u.Orders).ThenInclude(o => o.User).ThenInclude(u => u.Addresses).ToList();
        }
        """ + Model.Entities);

    [Fact]
    public Task A_collection_under_one_branch_and_one_on_a_sibling_branch_multiply() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Orders).ThenInclude(o => o.Lines).Include(u => u.Addresses).{|#0:ToList|}();
        }
        """ + Model.Entities, Cartesian(3, "Orders, Lines, Addresses"));

    [Fact]
    public Task The_same_collection_included_twice_for_two_children_multiplies_the_children() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Orders).ThenInclude(o => o.Lines).Include(u => u.Orders).ThenInclude(o => o.User).ThenInclude(u => u.Addresses).{|#0:ToList|}();
        }
        """ + Model.Entities, Cartesian(2, "Lines, Addresses"));

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
    public Task Split_queries_mentioned_only_in_a_comment_or_a_string_are_not_configured() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // TODO: o.UseNpgsql(cs, n => n.UseQuerySplittingBehavior(QuerySplittingBehavior.SplitQuery));
            const string Note = "QuerySplittingBehavior.SplitQuery is not set yet";
            List<User> M(AppDb db) => db.Users.Include(u => u.Orders).Include(u => u.Addresses).{|#0:ToList|}();
        }
        """ + Model.Entities, Cartesian(2, "Orders, Addresses"));

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
