using Microsoft.CodeAnalysis.Testing;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.QueryInLoopAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

public sealed class QueryInLoopTests
{
    private const string LoadAll = "load the data for all items in one query";

    internal const string PassAll = "pass all the items to it and let it make one query";

    /// <summary>A finding; through a helper (its advice) it is the compilation-end descriptor's, with its own message.</summary>
    internal static DiagnosticResult InLoop(int location, string method, string loop, string advice = LoadAll)
        => (advice == PassAll ? new DiagnosticResult(DiagnosticDescriptors.QueryInLoopThroughHelper) : V.Diagnostic("PGD103"))
            .WithLocation(location).WithArguments(method, loop, advice);

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

    [Fact]
    public Task Queries_inside_expression_trees_are_part_of_the_sql_not_run_per_element() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // bitwarden/server shapes, minimised: a Contains inside an All (or a Where inside a SelectMany) of a query's
            // lambda is a subquery of one SQL statement.
            List<User> M(AppDb db, List<int> orderIds)
            {
                var wanted = db.Orders.Where(o => o.Id > 10).Select(o => o.Id);
                var a = db.Users.Where(u => u.Orders.All(o => wanted.Contains(o.Id))).ToList();
                var b = db.Users.SelectMany(u => u.Orders.Where(o => wanted.Contains(o.UserId))).ToList();
                var c = db.Users.Where(u => u.Orders.Any(o => orderIds.Contains(o.Id))).ToList();
                return a;
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_query_in_an_in_memory_lambda_inside_a_query_lambda_is_still_reported_when_it_runs() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // The outer Select runs in memory (on a List): its lambda is a delegate, and the query in it runs per user.
            List<int> M(AppDb db, List<User> users) => users.Select(u => db.Orders.Where(o => o.UserId == u.Id).{|#0:Count|}()).ToList();
        }
        """ + Model.Entities, InLoop(0, "Count", "Select lambda"));

    [Fact]
    public Task A_lookup_memoised_in_the_loop_runs_at_most_once_and_is_not_reported() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, List<int> ids, CancellationToken ct)
            {
                // PiranhaCMS shape, minimised: the default language is looked up on the first iteration that needs it.
                Team? team = null;
                User? user = null;
                foreach (var id in ids)
                {
                    if (team == null)
                    {
                        team = await db.Teams.FirstOrDefaultAsync(t => t.Id == 1, ct);
                    }

                    if (user is null && id > 0)
                    {
                        user = await db.Users.FirstOrDefaultAsync(ct);
                    }

                    team ??= await db.Teams.FirstOrDefaultAsync(ct);
                    if (team is null)
                    {
                        team = await db.Teams.FirstOrDefaultAsync(t => t.Id == 2, ct).ConfigureAwait(false);
                    }
                }
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_fallback_lookup_on_a_variable_of_the_iteration_runs_per_iteration_and_is_reported() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, List<Team> wanted, CancellationToken ct)
            {
                // PiranhaCMS's tag lookups, minimised: `tag` is declared in the loop body, so it is null again on every
                // iteration and the fallback query runs for every tag the first lookup misses.
                foreach (var t in wanted)
                {
                    var tag = await db.Teams.{|#0:FirstOrDefaultAsync|}(x => x.Id == t.Id, ct).ConfigureAwait(false);
                    if (tag == null)
                    {
                        tag = await db.Teams.{|#1:FirstOrDefaultAsync|}(x => x.Id == -t.Id, ct).ConfigureAwait(false);
                    }
                }
            }
        }
        """ + Model.Entities, InLoop(0, "FirstOrDefaultAsync", "foreach loop"), InLoop(1, "FirstOrDefaultAsync", "foreach loop"));

    [Fact]
    public Task A_null_check_on_another_variable_or_an_else_branch_is_not_memoisation() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, List<int> ids, CancellationToken ct)
            {
                Team? team = null;
                Team? other = null;
                foreach (var id in ids)
                {
                    if (other == null)
                    {
                        team = await db.Teams.{|#0:FirstOrDefaultAsync|}(t => t.Id == id, ct);
                    }

                    if (team == null)
                    {
                    }
                    else
                    {
                        team = await db.Teams.{|#1:FirstOrDefaultAsync|}(t => t.Id == id, ct);
                    }
                }
            }
        }
        """ + Model.Entities, InLoop(0, "FirstOrDefaultAsync", "foreach loop"), InLoop(1, "FirstOrDefaultAsync", "foreach loop"));

    [Fact]
    public Task A_helper_that_runs_a_query_called_in_a_loop_is_reported_one_level_deep() => V.AnalyzerAsync(Model.Usings + """
        static class Revisions
        {
            // bitwarden/server shape, minimised: an extension on the DbContext that runs an update.
            public static Task BumpRevisionDateAsync(this AppDb db, int id, CancellationToken ct)
                => db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s.SetProperty(u => u.Name, "x"), ct);

            public static async Task SaveTwiceAsync(this AppDb db, CancellationToken ct) => await db.SaveChangesAsync(ct);

            public static void Log(int id) => Console.WriteLine(id);

            // Two levels down: followed (Blogifier's AddInternalAsync → GetSlugFromTitle); three levels: not.
            public static Task IndirectAsync(this AppDb db, int id, CancellationToken ct) => db.BumpRevisionDateAsync(id, ct);
            public static Task ThirdAsync(this AppDb db, int id, CancellationToken ct) => db.IndirectAsync(id, ct);
        }

        class C
        {
            async Task M(AppDb db, List<int> ids, CancellationToken ct)
            {
                foreach (var id in ids)
                {
                    await db.{|#0:BumpRevisionDateAsync|}(id, ct);
                    await db.{|#1:SaveTwiceAsync|}(ct);
                    Revisions.Log(id);
                    await db.{|#2:IndirectAsync|}(id, ct);
                    await db.ThirdAsync(id, ct);
                }

                await db.BumpRevisionDateAsync(0, ct); // outside the loop
            }
        }
        """ + Model.Entities, InLoop(0, "BumpRevisionDateAsync", "foreach loop", "pass all the items to it and let it make one query"),
            InLoop(1, "SaveTwiceAsync", "foreach loop", "pass all the items to it and let it make one query"),
            InLoop(2, "IndirectAsync", "foreach loop", "pass all the items to it and let it make one query"));

    /// <summary>The helper's body is read even where PGD103 is off (an .editorconfig section for the data layer) or the
    /// file is generated: the finding is at the caller (found in review: the driver skips an analyzer for a file whose
    /// rules are all off, unless it is a compilation-end analyzer that analyzes generated code).</summary>
    [Fact]
    public async Task A_helper_in_a_file_where_the_rule_is_off_or_in_generated_code_is_still_read()
    {
        var test = new Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerTest<QueryInLoopAnalyzer, DefaultVerifier>
        {
            ReferenceAssemblies = TestReferences.None,
            TestState =
            {
                Sources =
                {
                    ("/src/Services/S.cs", Model.Usings + """
                        class S
                        {
                            async Task M(AppDb db, Repo repo, List<int> ids)
                            {
                                foreach (var id in ids)
                                {
                                    await repo.{|#0:Bump|}(id);
                                    await db.{|#1:Touch|}(id);
                                }
                            }
                        }
                        """ + Model.Entities),
                    ("/src/Data/Repo.cs", Model.Usings + """
                        class Repo(AppDb db)
                        {
                            public Task<int> Bump(int id) => db.Users.Where(u => u.Id == id).ExecuteDeleteAsync();

                            async Task Own(List<int> ids)
                            {
                                foreach (var id in ids) await db.Users.Where(u => u.Id == id).ExecuteDeleteAsync(); // off here
                            }
                        }
                        """),
                    ("/src/Data/Generated.g.cs", "// <auto-generated/>\n" + Model.Usings + """
                        static class Generated
                        {
                            public static Task<int> Touch(this AppDb db, int id) => db.Users.Where(u => u.Id == id).ExecuteDeleteAsync();
                        }
                        """),
                },
                AnalyzerConfigFiles = { ("/.editorconfig", "root = true\n\n[/src/Data/*.cs]\ndotnet_diagnostic.PGD103.severity = none\n") },
            },
        };
        test.TestState.AdditionalReferences.AddRange(TestReferences.All);
        test.ExpectedDiagnostics.Add(InLoop(0, "Bump", "foreach loop", PassAll));
        test.ExpectedDiagnostics.Add(InLoop(1, "Touch", "foreach loop", PassAll));
        await test.RunAsync();
    }

    [Fact]
    public Task A_second_level_helper_is_found_through_every_way_of_naming_a_call() => V.AnalyzerAsync(Model.Usings + """
        // The first level is bound only when its body names a query call or a method whose body does (binding is the cost):
        // generic, conditional, static and interface calls must all pass that syntax-only test.
        interface IStore { Task TouchAsync(int id, CancellationToken ct); }
        sealed class Store(AppDb db) : IStore
        {
            public Task TouchAsync(int id, CancellationToken ct) => db.Users.Where(u => u.Id == id).ExecuteDeleteAsync(ct);
        }

        static class Steps
        {
            public static Task<T?> Load<T>(AppDb db, int id) where T : class => db.Set<T>().FindAsync(id).AsTask();
            public static Task Generic(AppDb db, int id) => Load<User>(db, id);
            public static Task Conditional(AppDb db, Helper? h, int id) => h?.Run(id) ?? Task.CompletedTask;
            public static Task ThroughInterface(AppDb db, IStore store, int id, CancellationToken ct) => store.TouchAsync(id, ct);
            public static Task Harmless(AppDb db, int id) => Format(id);
            static Task Format(int id) => Task.FromResult(id.ToString());
        }

        sealed class Helper(AppDb db)
        {
            public Task Run(int id) => db.Users.AnyAsync(u => u.Id == id);
        }

        class C
        {
            async Task M(AppDb db, Helper h, IStore store, List<int> ids, CancellationToken ct)
            {
                foreach (var id in ids)
                {
                    await Steps.{|#0:Generic|}(db, id);
                    await Steps.{|#1:Conditional|}(db, h, id);
                    await Steps.{|#2:ThroughInterface|}(db, store, id, ct);
                    await Steps.Harmless(db, id);
                }
            }
        }
        """ + Model.Entities, InLoop(0, "Generic", "foreach loop", "pass all the items to it and let it make one query"),
            InLoop(1, "Conditional", "foreach loop", "pass all the items to it and let it make one query"),
            InLoop(2, "ThroughInterface", "foreach loop", "pass all the items to it and let it make one query"));

    [Fact]
    public Task SaveChanges_on_every_iteration_is_a_round_trip_per_item() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // Kavita's manual data migrations, minimised: a save per item.
            async Task M(AppDb db, List<User> users, CancellationToken ct)
            {
                foreach (var u in users)
                {
                    u.Name = u.Name.Trim();
                    await db.{|#0:SaveChangesAsync|}(ct);
                }

                await db.SaveChangesAsync(ct); // once, after the loop: fine
            }
        }
        """ + Model.Entities, InLoop(0, "SaveChangesAsync", "foreach loop", "save once after the loop"));
}
