using Microsoft.CodeAnalysis.Testing;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.QueryInLoopAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>Issue 33: PGD103 knows batching (the fix for N+1) from N+1, and counts raw SQL executed per iteration.</summary>
public sealed class LoopBatchingTests
{
    private static DiagnosticResult InLoop(int location, string method, string loop, string advice)
        => QueryInLoopTests.InLoop(location, method, loop, advice);

    [Fact]
    public Task Offset_and_keyset_paging_through_one_result_set_is_not_N_plus_1() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task Offset(AppDb db, CancellationToken ct)
            {
                var total = await db.Users.CountAsync(ct);
                var offset = 0;
                do
                {
                    var page = await db.Users.OrderBy(u => u.Id).Skip(offset).Take(500).ToListAsync(ct);
                    offset += page.Count;
                }
                while (offset < total);

                for (var p = 0; p < 10; p++)
                {
                    var page = await db.Orders.OrderBy(o => o.Id).Skip(p * 100).Take(100).ToListAsync(ct);
                }
            }

            async Task Keyset(AppDb db, CancellationToken ct)
            {
                var lastId = 0;
                var more = true;
                while (more)
                {
                    var page = await db.Users.Where(u => u.Id > lastId).OrderBy(u => u.Id).Take(500).ToListAsync(ct);
                    more = page.Count == 500;
                    lastId = page.Count > 0 ? page[^1].Id : lastId;
                }
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_loop_index_used_as_a_key_is_still_a_query_per_item() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, List<int> ids, CancellationToken ct)
            {
                for (var i = 0; i < ids.Count; i++)
                {
                    var user = await db.Users.Where(u => u.Id == ids[i]).Take(1).{|#0:ToListAsync|}(ct);
                }
            }
        }
        """ + Model.Entities, InLoop(0, "ToListAsync", "for loop", "load the data for all items in one query"));

    [Fact]
    public Task Chunks_of_a_key_list_are_batches() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, List<int> ids, List<User> users, CancellationToken ct)
            {
                // The issue's false positive, minimised.
                foreach (var chunk in ids.Chunk(200))
                {
                    await db.Orders.Where(o => chunk.Contains(o.UserId)).ExecuteDeleteAsync(ct);
                }

                for (var i = 0; i < ids.Count; i += 500)
                {
                    var batch = ids.Skip(i).Take(500).ToList();
                    var found = await db.Users.Where(u => batch.Contains(u.Id)).ToListAsync(ct);
                }

                foreach (var group in users.Chunk(100))
                {
                    db.Users.AddRange(group);
                    await db.SaveChangesAsync(ct);
                }
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_group_used_for_its_key_or_a_set_derived_per_item_is_still_N_plus_1() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, List<Order> orders, List<User> users, CancellationToken ct)
            {
                foreach (var group in orders.GroupBy(o => o.UserId))
                {
                    var user = await db.Users.{|#0:FindAsync|}(group.Key);
                }

                foreach (var u in users)
                {
                    var lineIds = u.Orders.Select(o => o.Id).ToList();
                    var lines = await db.Orders.Where(o => lineIds.Contains(o.Id)).{|#1:ToListAsync|}(ct);
                }
            }
        }
        """ + Model.Entities,
        InLoop(0, "FindAsync", "foreach loop", "load the data for all items in one query"),
        InLoop(1, "ToListAsync", "foreach loop", "load the data for all items in one query"));

    [Fact]
    public Task A_periodic_flush_is_batching_a_save_per_item_is_not() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, IAsyncEnumerable<User> incoming, List<User> users, CancellationToken ct)
            {
                // The issue's false positive, minimised: SaveChanges every N items inside an await foreach.
                var n = 0;
                await foreach (var user in incoming)
                {
                    db.Users.Add(user);
                    if (++n % 1000 == 0)
                    {
                        await db.SaveChangesAsync(ct);
                    }
                }

                var pending = new List<User>();
                foreach (var user in users)
                {
                    pending.Add(user);
                    if (pending.Count >= 500)
                    {
                        db.Users.AddRange(pending);
                        await db.SaveChangesAsync(ct);
                        pending.Clear();
                    }
                }

                foreach (var user in users)
                {
                    if (user.Name.Length > 0)
                    {
                        user.Name = user.Name.Trim();
                        await db.{|#0:SaveChangesAsync|}(ct);
                    }
                }
            }
        }
        """ + Model.Entities, InLoop(0, "SaveChangesAsync", "foreach loop", "save once after the loop"));

    [Fact]
    public Task Helpers_that_only_build_expressions_or_compose_queries_run_nothing() => V.AnalyzerAsync(Model.Usings + """
        using System.Linq.Expressions;

        static class Filters
        {
            // The issue's false positives, minimised: no query runs in either helper.
            public static Expression<Func<User, bool>> HasOrders(AppDb db) => u => db.Orders.Any(o => o.UserId == u.Id);
            public static IQueryable<User> WithOrders(AppDb db, int min) => db.Users.Where(u => db.Orders.Count(o => o.UserId == u.Id) >= min);
            public static Task<int> CountAsync(AppDb db, int id) => db.Orders.CountAsync(o => o.UserId == id);
        }

        class C
        {
            async Task M(AppDb db, List<int> ids, CancellationToken ct)
            {
                var filters = new List<IQueryable<User>>();
                foreach (var id in ids)
                {
                    var e = Filters.HasOrders(db);
                    filters.Add(Filters.WithOrders(db, id));
                    await Filters.{|#0:CountAsync|}(db, id);
                }
            }
        }
        """ + Model.Entities, InLoop(0, "CountAsync", "foreach loop", "pass all the items to it and let it make one query"));

    [Fact]
    public Task Raw_SQL_executed_per_iteration_is_N_plus_1() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, List<int> ids, List<string> statements, CancellationToken ct)
            {
                // The issue's miss: ExecuteSql* was not in PGD103's list.
                foreach (var sql in statements)
                {
                    await db.Database.{|#0:ExecuteSqlRawAsync|}(sql, ct);
                }

                foreach (var id in ids)
                {
                    await db.Database.{|#1:ExecuteSqlAsync|}($"UPDATE users SET name = 'x' WHERE id = {id}", ct);
                    var n = await db.Database.SqlQuery<int>($"SELECT count(*) AS \"Value\" FROM orders WHERE user_id = {id}").{|#2:SingleAsync|}(ct);
                }
            }
        }
        """ + Model.Entities,
        InLoop(0, "ExecuteSqlRawAsync", "foreach loop", "change all the rows in one statement"),
        InLoop(1, "ExecuteSqlAsync", "foreach loop", "change all the rows in one statement"),
        InLoop(2, "SingleAsync", "foreach loop", "load the data for all items in one query"));
}
