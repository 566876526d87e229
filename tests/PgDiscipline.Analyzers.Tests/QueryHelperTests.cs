using Joins = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.TooManyJoinsAnalyzer>;
using Cartesian = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.CartesianIncludeAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>Issue 33: query building followed across methods, one level deep.</summary>
public sealed class QueryHelperTests
{
    [Fact]
    public Task A_query_prepared_by_a_helper_and_finished_by_the_caller_is_counted_whole() => Cartesian.AnalyzerAsync(Model.Usings + """
        class C
        {
            // The issue's miss, minimised: reported when it starts at db.Users, missed when a helper prepares it.
            static IQueryable<User> Prepare(AppDb db) => db.Users.Where(u => u.Id > 0);

            User? M(AppDb db)
            {
                var q = Prepare(db);
                q = q.Include(u => u.Orders).Include(u => u.Addresses).AsSingleQuery();
                return q.{|#0:FirstOrDefault|}(u => u.Name == "x");
            }
        }
        """ + Model.Entities, Cartesian.Diagnostic("PGD102").WithLocation(0).WithArguments(2, "Orders, Addresses"));

    [Fact]
    public Task The_joins_of_a_helper_are_added_to_the_callers_own() => Joins.AnalyzerAsync(Model.Usings + """
        static class Queries
        {
            public static IQueryable<User> WithTeam(this IQueryable<User> users) => users.Include(u => u.Team).ThenInclude(t => t.Company);
            public static IQueryable<Order> OrdersOf(AppDb db) => db.Orders.Include(o => o.User);
        }

        class C
        {
            List<User> M(AppDb db) => db.Users.WithTeam().Include(u => u.Orders).Include(u => u.Addresses).{|#0:ToList|}();
            List<Order> N(AppDb db) => Queries.OrdersOf(db).Include(o => o.User.Team).ThenInclude(t => t.Company).Include(o => o.Lines).{|#1:ToList|}();
            List<User> Under(AppDb db) => db.Users.WithTeam().Include(u => u.Orders).ToList();
        }
        """ + Model.Entities,
        Joins.Diagnostic("PGD101").WithLocation(0).WithArguments(4, 3, "Team (Include), Team.Company (Include), Orders (Include), Addresses (Include)"),
        Joins.Diagnostic("PGD101").WithLocation(1).WithArguments(4, 3, "User (Include), User.Team (Include), User.Team.Company (Include), Lines (Include)"));

    [Fact]
    public Task A_helper_over_the_limit_on_its_own_is_reported_once_in_the_helper_not_at_every_caller() => Joins.AnalyzerAsync(Model.Usings + """
        static class Queries
        {
            public static IQueryable<User> Everything(this IQueryable<User> users)
                => users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country).{|#0:Include|}(u => u.Orders);

            // Built in steps and returned from a local: analysed at the return.
            public static IQueryable<Order> Deep(AppDb db)
            {
                var q = db.Orders.Include(o => o.User).ThenInclude(u => u.Team);
                var r = q.Include(o => o.Lines).Include(o => o.User.Addresses);
                return {|#1:r|};
            }
        }

        class C
        {
            List<User> M(AppDb db) => db.Users.Everything().Where(u => u.Id > 0).ToList();
            List<Order> N(AppDb db) => Queries.Deep(db).ToList();
        }
        """ + Model.Entities,
        Joins.Diagnostic("PGD101").WithLocation(0).WithArguments(4, 3, "Team (Include), Team.Company (Include), Team.Company.Country (Include), Orders (Include)"),
        Joins.Diagnostic("PGD101").WithLocation(1).WithArguments(4, 3, "User (Include), User.Team (Include), Lines (Include), User.Addresses (Include)"));

    [Fact]
    public Task Helpers_are_followed_one_level_only() => Joins.AnalyzerAsync(Model.Usings + """
        static class Queries
        {
            public static IQueryable<User> WithTeam(this IQueryable<User> users) => users.Include(u => u.Team).ThenInclude(t => t.Company);
            // Two levels: WithTeam's joins are not seen through Staff (documented limit).
            public static IQueryable<User> Staff(AppDb db) => db.Users.WithTeam();
        }

        class C
        {
            List<User> M(AppDb db) => Queries.Staff(db).Include(u => u.Orders).Include(u => u.Addresses).ToList();
        }
        """ + Model.Entities);
}
