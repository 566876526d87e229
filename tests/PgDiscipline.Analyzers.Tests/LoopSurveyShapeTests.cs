using Microsoft.CodeAnalysis.Testing;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.QueryInLoopAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>Issue 33: PGD103 shapes found on the survey's applications (Ombi, Oqtane, Blogifier), minimised.</summary>
public sealed class LoopSurveyShapeTests
{
    private static DiagnosticResult InLoop(int location, string method, string loop, string advice)
        => QueryInLoopTests.InLoop(location, method, loop, advice);

    [Fact]
    public Task Purging_a_result_set_a_page_at_a_time_is_batching() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // Oqtane's purges, minimised (false positives on the first run of issue 33's survey).
            int M(AppDb db, DateTime before)
            {
                var count = 0;
                var orders = db.Orders.Where(o => o.Id < 100).OrderBy(o => o.Id).Take(100).ToList();
                while (orders.Count > 0)
                {
                    count += orders.Count;
                    db.Orders.RemoveRange(orders);
                    db.SaveChanges();
                    orders = db.Orders.Where(o => o.Id < 100).OrderBy(o => o.Id).Take(100).ToList();
                }

                return count;
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_flush_of_a_buffer_passed_in_is_periodic() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            // Ombi's Plex movie loop, minimised: the buffer is a parameter, flushed every 500 items.
            async Task M(AppDb db, List<User> incoming, HashSet<User> toAdd, CancellationToken ct)
            {
                foreach (var user in incoming)
                {
                    toAdd.Add(user);
                    if (toAdd.Count > 500)
                    {
                        var names = toAdd.Select(u => u.Name).ToList();
                        var existing = await db.Users.Where(u => names.Contains(u.Name)).Select(u => u.Name).ToListAsync(ct);
                        db.Users.AddRange(toAdd);
                        await db.SaveChangesAsync(ct);
                        toAdd.Clear();
                    }
                }
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_repository_interface_method_runs_what_its_implementation_runs() => V.AnalyzerAsync(Model.Usings + """
        public interface IUserRepository
        {
            Task<User?> GetByName(string name);
            Task SyncAll(List<User> users);
        }

        public class UserRepository : IUserRepository
        {
            private readonly AppDb _db = null!;
            public Task<User?> GetByName(string name) => _db.Users.FirstOrDefaultAsync(u => u.Name == name);

            // Walks its own collection: its per-item queries are reported here, not at a caller looping over servers.
            public async Task SyncAll(List<User> users)
            {
                foreach (var u in users)
                {
                    await _db.Users.{|#1:AnyAsync|}(x => x.Id == u.Id);
                }
            }
        }

        class C
        {
            // Ombi's Plex episode sync, minimised: the lookup goes through the repository interface.
            async Task M(IUserRepository repo, List<string> names, List<List<User>> servers)
            {
                foreach (var name in names)
                {
                    var user = await repo.{|#0:GetByName|}(name);
                }

                foreach (var server in servers)
                {
                    await repo.SyncAll(server);
                }
            }
        }
        """ + Model.Entities,
        InLoop(0, "GetByName", "foreach loop", "pass all the items to it and let it make one query"),
        InLoop(1, "AnyAsync", "foreach loop", "load the data for all items in one query"));

    [Fact]
    public Task A_loop_over_strategies_is_not_a_loop_over_data() => V.AnalyzerAsync(Model.Usings + """
        public interface IRule { Task<bool> Execute(User user); }
        public class NameRule : IRule { private readonly AppDb _db = null!; public Task<bool> Execute(User user) => _db.Users.AnyAsync(u => u.Name == user.Name); }
        public class TeamRule : IRule { private readonly AppDb _db = null!; public Task<bool> Execute(User user) => _db.Teams.AnyAsync(t => t.Id == user.Id); }

        class C
        {
            // Ombi's rule evaluator, minimised: one call per rule, each rule its own check.
            async Task M(IEnumerable<IRule> rules, User user)
            {
                foreach (var rule in rules)
                {
                    await rule.Execute(user);
                }
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_query_enumerated_in_memory_or_run_through_an_execution_strategy_is_still_per_iteration() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, List<User> users, List<int> ids, CancellationToken ct)
            {
                // Ombi's played-episodes count, minimised: the query runs where the in-memory join is counted.
                foreach (var user in users)
                {
                    var played = db.Orders.Where(o => o.UserId == user.Id).AsEnumerable().Join(ids, o => o.Id, i => i, (o, i) => o);
                    var n = played.{|#0:Count|}();
                }

                // Ombi's Sonarr sync, minimised: EF Core's execution strategy runs the lambda in place, once per id.
                foreach (var id in ids)
                {
                    var strategy = db.Database.CreateExecutionStrategy();
                    await strategy.ExecuteAsync(async () => await db.Database.{|#1:ExecuteSqlRawAsync|}("DELETE FROM orders WHERE user_id = {0}", id));
                }
            }
        }
        """ + Model.Entities,
        InLoop(0, "Count", "foreach loop", "load the data for all items in one query"),
        InLoop(1, "ExecuteSqlRawAsync", "foreach loop", "change all the rows in one statement"));

    [Fact]
    public Task Writing_a_buffer_an_inner_loop_filled_is_one_round_trip_per_page() => V.AnalyzerAsync(Model.Usings + """
        public interface IRemote { Task<List<string>> Page(int skip, int take); }

        class C
        {
            // Ombi's Emby sync, minimised: pages of a remote API, each page's new rows written once.
            async Task M(AppDb db, IRemote remote, int total, CancellationToken ct)
            {
                var toAdd = new List<User>();
                var processed = 0;
                while (processed < total)
                {
                    foreach (var name in await remote.Page(processed, 200))
                    {
                        toAdd.Add(new User { Name = name });
                        processed++;
                    }

                    foreach (var name in await remote.Page(processed, 200))
                    {
                        Collect(name, toAdd); // filled by a helper
                        processed++;
                    }

                    await Save(db, toAdd, ct);
                    toAdd.Clear();
                }
            }

            static void Collect(string name, List<User> users) => users.Add(new User { Name = name });

            static async Task Save(AppDb db, List<User> users, CancellationToken ct)
            {
                db.Users.AddRange(users);
                await db.SaveChangesAsync(ct);
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_helper_whose_query_fills_a_cache_runs_it_once_per_entry() => V.AnalyzerAsync(Model.Usings + """
        public interface ICache { T GetCache<T>(string key, Func<object, T> factory); }

        class Permissions
        {
            private readonly AppDb _db = null!;
            private readonly ICache _cache = null!;

            // Oqtane's permission repository, minimised: the query is the cache's factory.
            public List<Order> ForUser(int userId) => _cache.GetCache("orders", _ => _db.Orders.ToList()).Where(o => o.UserId == userId).ToList();
        }

        class C
        {
            void M(Permissions permissions, List<int> ids)
            {
                foreach (var id in ids)
                {
                    var mine = permissions.ForUser(id);
                }
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task A_service_over_a_provider_interface_that_holds_the_context_is_followed_two_levels() => V.AnalyzerAsync(Model.Usings + """
        public class FileDto { public string Path { get; set; } = ""; }
        public interface IStorage { Task<FileDto?> Find(string path); }
        public class DbStorage(AppDb db) : IStorage
        {
            public async Task<FileDto?> Find(string path) => await db.Users.Where(u => u.Name == path).Select(u => new FileDto { Path = u.Name }).FirstOrDefaultAsync();
        }

        // Blogifier's StorageManager, minimised: its provider returns DTOs, and the implementation holds the DbContext.
        public class StorageManager(IStorage storage)
        {
            public Task<FileDto?> Upload(string path) => storage.Find(path);
        }

        class C
        {
            async Task M(StorageManager manager, List<string> paths)
            {
                foreach (var path in paths)
                {
                    await manager.{|#0:Upload|}(path);
                }
            }
        }
        """ + Model.Entities, InLoop(0, "Upload", "foreach loop", "pass all the items to it and let it make one query"));
}
