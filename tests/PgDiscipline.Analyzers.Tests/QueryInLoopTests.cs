using Microsoft.CodeAnalysis.Testing;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.QueryInLoopAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

public sealed class QueryInLoopTests
{
    private static DiagnosticResult InLoop(int location, string method, string loop) => V.Diagnostic("PGD103").WithLocation(location).WithArguments(method, loop);

    [Fact]
    public Task Queries_in_foreach_for_and_while_bodies_are_reported() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, List<int> ids, CancellationToken ct)
            {
                foreach (var id in ids)
                {
                    var user = await db.Users.Where(u => u.Id == id).{|#0:FirstOrDefaultAsync|}(ct);
                }

                for (var i = 0; i < ids.Count; i++)
                {
                    var user = await db.Users.{|#1:FindAsync|}(ids[i]);
                }

                var n = 0;
                while (n < ids.Count)
                {
                    var count = db.Orders.{|#2:Count|}(o => o.UserId == ids[n]);
                    n++;
                }
            }
        }
        """ + Model.Entities,
        InLoop(0, "FirstOrDefaultAsync", "foreach loop"), InLoop(1, "FindAsync", "for loop"), InLoop(2, "Count", "while loop"));

    [Fact]
    public Task A_query_inside_a_per_element_linq_lambda_is_reported() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            List<List<Order>> M(AppDb db, List<User> users) =>
                users.Select(u => db.Orders.Where(o => o.UserId == u.Id).{|#0:ToList|}()).ToList();
        }
        """ + Model.Entities, InLoop(0, "ToList", "Select lambda"));

    [Fact]
    public Task The_loop_collection_polling_loops_and_queries_outside_loops_are_fine() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, CancellationToken ct)
            {
                foreach (var user in await db.Users.Where(u => u.Id > 0).ToListAsync(ct))
                {
                    Console.WriteLine(user.Name);
                }

                while (!ct.IsCancellationRequested)
                {
                    var batch = await db.Orders.Take(100).ToListAsync(ct);
                }

                var done = false;
                var attempts = 0;
                while (!done && attempts++ < 5)
                {
                    try
                    {
                        done = await db.Orders.Where(o => o.Id == 1).ExecuteDeleteAsync(ct) >= 0;
                    }
                    catch (InvalidOperationException)
                    {
                        await Task.Delay(100, ct);
                    }
                }

                var all = await db.Users.Include(u => u.Orders).ToListAsync(ct);
                var filtered = db.Users.Where(u => all.Select(a => a.Id).Contains(u.Id));
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task In_memory_work_in_a_loop_is_fine() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            int M(List<User> users, List<int> ids)
            {
                var total = 0;
                foreach (var id in ids)
                {
                    total += users.Where(u => u.Id == id).Count();
                }

                return total;
            }
        }
        """ + Model.Entities);
}
