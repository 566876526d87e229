using Microsoft.CodeAnalysis.Testing;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.TooManyJoinsAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

public sealed class TooManyJoinsTests
{
    private static DiagnosticResult Joins(int count, int max, string counted) => V.Diagnostic("PGD101").WithLocation(0).WithArguments(count, max, counted);

    [Fact]
    public Task Include_chain_over_the_limit_is_reported_on_the_terminal_call() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task<List<User>> M(AppDb db) =>
                await db.Users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country).Include(u => u.Orders).{|#0:ToListAsync|}();
        }
        """ + Model.Entities, Joins(4, 3, "Team (Include), Team.Company (Include), Team.Company.Country (Include), Orders (Include)"));

    [Fact]
    public Task Three_joins_are_allowed_by_default() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Team).ThenInclude(t => t.Company).Include(u => u.Orders).ToList();
        }
        """ + Model.Entities);

    [Fact]
    public Task Max_joins_comes_from_editorconfig() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Team).Include(u => u.Orders).{|#0:ToList|}();
        }
        """ + Model.Entities, "pgdiscipline.PGD101.max_joins = 1", Joins(2, 1, "Team (Include), Orders (Include)"));

    [Fact]
    public Task Unparseable_option_falls_back_to_the_default() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Team).Include(u => u.Orders).ToList();
        }
        """ + Model.Entities, "pgdiscipline.PGD101.max_joins = lots");

    [Fact]
    public Task Split_query_includes_do_not_join() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country).Include(u => u.Orders).AsSplitQuery().ToList();
        }
        """ + Model.Entities);

    [Fact]
    public Task Navigations_in_filters_and_projections_are_implicit_joins_counted_once_per_path() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            Task<List<string>> Three(AppDb db) => db.Users.Where(u => u.Team.Company.Country.Name == "x").OrderBy(u => u.Team.Id).Select(u => u.Team.Company.Country.Name).ToListAsync();
            Task<List<string>> Four(AppDb db) => db.Orders.Where(o => o.User.Team.Company.Country.Name == "x").Select(o => o.User.Name).{|#0:ToListAsync|}();
        }
        """ + Model.Entities, Joins(4, 3, "User (navigation), User.Team (navigation), User.Team.Company (navigation), User.Team.Company.Country (navigation)"));

    [Fact]
    public Task An_included_navigation_used_again_in_a_filter_is_one_join() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country)
                .Where(u => u.Team.Company.Country.Name == "x").ToList();
        }
        """ + Model.Entities);

    [Fact]
    public Task Query_syntax_joins_are_counted() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            object M(AppDb db) =>
                {|#0:from u in db.Users|}
                join o in db.Orders on u.Id equals o.UserId
                join t in db.Teams on u.Id equals t.Id
                join o2 in db.Orders on u.Id equals o2.UserId
                join t2 in db.Teams on u.Id equals t2.Id
                select new { u.Name, o.Id };
        }
        """ + Model.Entities, Joins(4, 3, "join Order, join Team, join Order, join Team"));

    [Fact]
    public Task Raw_sql_joins_are_counted_with_the_sql_lexer() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db) => db.Users.FromSqlRaw("select u.* from users u join teams t on t.id = u.team_id join companies c on c.id = t.company_id, countries k, orders o where k.id = c.country_id").{|#0:ToList|}();
            List<User> Fine(AppDb db) => db.Users.FromSqlRaw("select * from users where id = {0}", 1).ToList();
        }
        """ + Model.Entities, Joins(4, 3, "4 in raw SQL"));

    [Fact]
    public Task Queries_built_across_statements_are_counted_once_at_the_terminal() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task<List<User>> M(AppDb db, bool withOrders)
            {
                var q = db.Users.Include(u => u.Team).ThenInclude(t => t.Company);
                IQueryable<User> r = q;
                if (withOrders)
                {
                    r = r.Include(u => u.Orders);
                }

                return await r.Include(u => u.Addresses).{|#0:ToListAsync|}();
            }
        }
        """ + Model.Entities, Joins(4, 3, "Team (Include), Team.Company (Include), Orders (Include), Addresses (Include)"));

    [Fact]
    public Task Compiled_queries_are_analyzed() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            static readonly Func<AppDb, int, IEnumerable<User>> Query = EF.CompileQuery((AppDb db, int id) =>
                db.Users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country).Include(u => u.Orders).{|#0:Where|}(u => u.Id == id));
        }
        """ + Model.Entities, Joins(4, 3, "Team (Include), Team.Company (Include), Team.Company.Country (Include), Orders (Include)"));

    [Fact]
    public Task Queries_passed_through_helper_methods_are_counted_with_the_helpers_joins() => V.AnalyzerAsync(Model.Usings + """
        static class UserQueries
        {
            // Helpers of the compilation are followed one level: their joins are counted with the query that uses them.
            public static IQueryable<User> WithOrganisation(this IQueryable<User> users) => users.Include(u => u.Team).ThenInclude(t => t.Company);
            public static IQueryable<User> Plain(IQueryable<User> users) => users.Where(u => u.Id > 0);
        }

        class C
        {
            List<User> M(AppDb db) => db.Users.WithOrganisation().Include(u => u.Orders).Include(u => u.Addresses).{|#0:ToList|}();
            List<User> N(AppDb db) => UserQueries.Plain(db.Users).Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country).Include(u => u.Orders).{|#1:ToList|}();
        }
        """ + Model.Entities,
        V.Diagnostic("PGD101").WithLocation(0).WithArguments(4, 3, "Team (Include), Team.Company (Include), Orders (Include), Addresses (Include)"),
        V.Diagnostic("PGD101").WithLocation(1).WithArguments(4, 3, "Team (Include), Team.Company (Include), Team.Company.Country (Include), Orders (Include)"));

    [Fact]
    public Task In_memory_queryables_are_not_database_queries() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            object M(List<User> users, List<Order> orders) =>
                users.AsQueryable().Join(orders.AsQueryable(), u => u.Id, o => o.UserId, (u, o) => u)
                    .Join(orders.AsQueryable(), u => u.Id, o => o.UserId, (u, o) => u)
                    .Join(orders.AsQueryable(), u => u.Id, o => o.UserId, (u, o) => u)
                    .Join(orders.AsQueryable(), u => u.Id, o => o.UserId, (u, o) => u).ToList();
        }
        """ + Model.Entities);

    [Fact]
    public Task A_query_syntax_left_join_is_one_join_not_two() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // bitwarden/server shape, minimised: `join … into g from x in g.DefaultIfEmpty()` is a GroupJoin and a
            // SelectMany that together make one LEFT JOIN; three of them are 3 joins, under the default limit.
            object Three(AppDb db) =>
                from u in db.Users
                join o in db.Orders on u.Id equals o.UserId into orders
                from o in orders.DefaultIfEmpty()
                join t in db.Teams on u.Id equals t.Id into teams
                from t in teams.DefaultIfEmpty()
                join o2 in db.Orders on u.Id equals o2.UserId into more
                from o2 in more.DefaultIfEmpty()
                select new { u.Name, OrderId = (int?)o.Id };

            object Four(AppDb db) =>
                {|#0:from u in db.Users|}
                join o in db.Orders on u.Id equals o.UserId into orders
                from o in orders.DefaultIfEmpty()
                join t in db.Teams on u.Id equals t.Id into teams
                from t in teams.DefaultIfEmpty()
                join o2 in db.Orders on u.Id equals o2.UserId into more
                from o2 in more.DefaultIfEmpty()
                join t2 in db.Teams on u.Id equals t2.Id
                select new { u.Name, OrderId = (int?)o.Id };
        }
        """ + Model.Entities, Joins(4, 3, "left join Order, left join Team, left join Order, join Team"));

    [Fact]
    public Task A_query_ended_by_AsEnumerable_is_reported_where_it_runs() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<string> M(AppDb db) =>
                db.Users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country).Include(u => u.Orders)
                    .AsEnumerable().Select(u => u.Name).{|#0:ToList|}();
        }
        """ + Model.Entities, Joins(4, 3, "Team (Include), Team.Company (Include), Team.Company.Country (Include), Orders (Include)"));

    [Fact]
    public Task A_query_syntax_local_built_on_another_local_is_followed_to_where_it_runs() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // bitwarden/server shape, minimised: a query-syntax query over another local query, run later.
            List<User> M(AppDb db)
            {
                var baseUsers = db.Users.Where(u => u.Id > 0);
                var q = from u in baseUsers
                        join o in db.Orders on u.Id equals o.UserId
                        join t in db.Teams on u.Id equals t.Id
                        join o2 in db.Orders on u.Id equals o2.UserId
                        join t2 in db.Teams on u.Id equals t2.Id
                        select u;
                return q.{|#0:ToList|}();
            }
        }
        """ + Model.Entities, Joins(4, 3, "join Order, join Team, join Order, join Team"));

    [Fact]
    public Task A_local_built_differently_on_two_branches_counts_the_worse_branch_not_both() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // bitwarden/server OrganizationRepository.SearchUnassignedToProviderAsync, minimised: the same two joins written
            // for Npgsql and for the other providers. One of them runs: two joins, not four.
            async Task<User[]> M(AppDb db, bool npgsql, string? email)
            {
                var query = from u in db.Users where u.Id > 0 select u;
                if (email is null)
                {
                    return await query.OrderBy(u => u.Id).ToArrayAsync(); // before either join is added
                }

                if (npgsql)
                {
                    query = from u in query
                            join o in db.Orders on u.Id equals o.UserId
                            join t in db.Teams on u.Id equals t.Id
                            where o.Id > 1
                            select u;
                }
                else
                {
                    query = from u in query
                            join o in db.Orders on u.Id equals o.UserId
                            join t in db.Teams on u.Id equals t.Id
                            where o.Id > 2
                            select u;
                }

                return await query.OrderBy(u => u.Id).ToArrayAsync();
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_local_extended_statement_after_statement_is_counted_whole() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db, bool byTeam)
            {
                var query = from u in db.Users
                            join o in db.Orders on u.Id equals o.UserId
                            join t in db.Teams on u.Id equals t.Id
                            select u;
                query = from u in query join o2 in db.Orders on u.Id equals o2.UserId select u;
                if (byTeam)
                {
                    query = from u in query join t2 in db.Teams on u.Id equals t2.Id select u;
                }

                return query.{|#0:ToList|}();
            }
        }
        """ + Model.Entities, Joins(4, 3, "join Order, join Team, join Order, join Team"));

    [Fact]
    public Task A_subquery_is_counted_in_its_statement_not_reported_as_a_query_of_its_own() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // bitwarden/server UserSecurityTasksByCipherIdsQuery, minimised: a NOT EXISTS over a query with joins, inside
            // another query's where. One statement: the subquery's joins are its joins, and it is reported once.
            IQueryable<int> M(AppDb db)
            {
                var permitted = from u in db.Users
                                join o in db.Orders on u.Id equals o.UserId
                                join t in db.Teams on u.Id equals t.Id
                                join o2 in db.Orders on u.Id equals o2.UserId
                                join t2 in db.Teams on u.Id equals t2.Id
                                select u.Id;
                return {|#0:from o in db.Orders|}
                       join u in db.Users on o.UserId equals u.Id
                       where !permitted.Any(p => p == u.Id)
                       select o.Id;
            }

            // A subquery without joins adds none.
            List<User> N(AppDb db) => db.Users.Where(u => !db.Orders.Any(o => o.UserId == u.Id)).ToList();
        }
        """ + Model.Entities, Joins(5, 3, "join User, join Order (subquery), join Team (subquery), join Order (subquery), join Team (subquery)"));

    [Fact]
    public Task Union_arms_are_planned_apart_so_the_larger_arm_counts_then_what_follows() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // bitwarden/server CollectionCipherRepository.GetUserIdsByCollectionIdsAsync, minimised: three small selects
            // UNIONed (1, 2 and 2 joins) are not one five-join query.
            Task<List<int>> Small(AppDb db)
            {
                var a = from u in db.Users join o in db.Orders on u.Id equals o.UserId select u.Id;
                var b = from u in db.Users join t in db.Teams on u.Id equals t.Id join o in db.Orders on u.Id equals o.UserId select u.Id;
                var c = from o in db.Orders join u in db.Users on o.UserId equals u.Id join t in db.Teams on u.Id equals t.Id select o.Id;
                return a.Union(b).Union(c).ToListAsync();
            }

            // UserSecurityTasksByCipherIdsQuery: the larger arm (three joins) joined to users afterwards is four.
            List<int> Large(AppDb db)
            {
                var byOrder = from u in db.Users join o in db.Orders on u.Id equals o.UserId select u.Id;
                var byTeam = from u in db.Users join t in db.Teams on u.Id equals t.Id join o in db.Orders on u.Id equals o.UserId
                             join t2 in db.Teams on u.Id equals t2.Id select u.Id;
                return byOrder.Union(byTeam).Join(db.Users, id => id, u => u.Id, (id, u) => u.Id).{|#0:ToList|}();
            }
        }
        """ + Model.Entities, Joins(4, 3, "join User, join Team (Union arm), join Order (Union arm), join Team (Union arm)"));

    [Fact]
    public Task A_query_joined_to_another_query_of_the_app_counts_that_querys_joins() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // bitwarden/server PolicyRepository, minimised: `join gou in givenOrgUsers`, a query of anonymous rows with
            // joins of its own; it is named by its local, and its joins are the statement's.
            List<int> M(AppDb db)
            {
                var given = from u in db.Users join t in db.Teams on u.Id equals t.Id join o in db.Orders on u.Id equals o.UserId
                            join t2 in db.Teams on u.Id equals t2.Id
                            select new { u.Id, OrderId = o.Id };
                return (from o in db.Orders
                        join g in given on o.Id equals g.OrderId
                        select o.Id).{|#0:ToList|}();
            }
        }
        """ + Model.Entities, Joins(4, 3, "join given, join Team (in given), join Order (in given), join Team (in given)"));

    [Fact]
    public Task LeftJoin_and_RightJoin_are_joins() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // .NET 10's LeftJoin/RightJoin operators, translated by EF Core 10 to LEFT/RIGHT JOIN (issue 33's miss).
            object M(AppDb db) => db.Users
                .LeftJoin(db.Orders, u => u.Id, o => o.UserId, (u, o) => u)
                .LeftJoin(db.Teams, u => u.Id, t => t.Id, (u, t) => u)
                .RightJoin(db.Orders, u => u.Id, o => o.UserId, (u, o) => o)
                .Join(db.Users, o => o.UserId, u => u.Id, (o, u) => o).{|#0:ToList|}();
        }
        """ + Model.Entities, Joins(4, 3, "left join Order, left join Team, right join Order, join User"));

    [Fact]
    public Task Includes_before_a_projection_to_another_type_are_ignored_by_EF_Core() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // Blogifier's posts by category, minimised (a false positive in issue 33's survey): the Includes are on User,
            // the query returns Orders, so EF Core drops them; the SelectMany and its navigation remain.
            Task<int> M(AppDb db) => db.Users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country)
                .Where(u => u.Name == "x").SelectMany(u => u.Orders, (u, o) => o).CountAsync();

            // Kept when the projection still returns the entity (or an anonymous type that may hold it).
            Task<List<User>> N(AppDb db) => db.Users.Include(u => u.Team).ThenInclude(t => t.Company).ThenInclude(c => c.Country)
                .Include(u => u.Orders).Select(u => u).{|#0:ToListAsync|}();
        }
        """ + Model.Entities, Joins(4, 3, "Team (Include), Team.Company (Include), Team.Company.Country (Include), Orders (Include)"));
}
