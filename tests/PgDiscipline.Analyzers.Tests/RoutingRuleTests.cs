using Microsoft.CodeAnalysis.Testing;
using PgDiscipline.Analyzers.CodeFixes;

namespace PgDiscipline.Analyzers.Tests;

public sealed class RoutingRuleTests
{
    private const string Usings = "using PgDiscipline;\n" + Model.Usings;

    [Fact]
    public Task PGD201_read_without_intent_is_reported_when_untagged_reads_go_to_the_primary() =>
        Verify<ReadWithoutRoutingIntentAnalyzer>.AnalyzerAsync(Usings + """
        class C
        {
            Task<List<User>> Untagged(AppDb db) => db.Users.Where(u => u.Id > 0).{|#0:ToListAsync|}();
            Task<List<User>> Replica(AppDb db) => db.Users.Where(u => u.Id > 0).ReadFromReplica().ToListAsync();
            Task<List<User>> Primary(AppDb db) => db.Users.ReadFromPrimary("balance must be exact").ToListAsync();
            async Task<int> Writes(AppDb db)
            {
                var user = await db.Users.FirstAsync();
                user.Name = "x";
                return await db.SaveChangesAsync();
            }

            async Task<int> Scoped(AppDb db)
            {
                using (PgDisciplineRouting.ReadFromReplica())
                {
                    return await db.Users.CountAsync();
                }
            }
        }
        """ + Model.Entities, "pgdiscipline.PGD201.default_read = primary",
        Verify<ReadWithoutRoutingIntentAnalyzer>.Diagnostic("PGD201").WithLocation(0));

    [Fact]
    public Task PGD201_is_silent_when_untagged_reads_already_go_to_replicas() =>
        Verify<ReadWithoutRoutingIntentAnalyzer>.AnalyzerAsync(Usings + """
        class C
        {
            Task<List<User>> Untagged(AppDb db) => db.Users.Where(u => u.Id > 0).ToListAsync();
        }
        """ + Model.Entities);

    [Fact]
    public Task PGD201_turns_on_when_the_app_configures_DefaultRead_Primary() =>
        Verify<ReadWithoutRoutingIntentAnalyzer>.AnalyzerAsync(Usings + """
        class C
        {
            void Configure(PgDisciplineOptions pg) => pg.DefaultRead = ReadRouting.Primary;
            Task<List<User>> Untagged(AppDb db) => db.Users.{|#0:ToListAsync|}();
        }
        """ + Model.Entities, Verify<ReadWithoutRoutingIntentAnalyzer>.Diagnostic("PGD201").WithLocation(0));

    [Fact]
    public Task PGD201_code_fix_adds_ReadFromReplica() => VerifyFix<ReadWithoutRoutingIntentAnalyzer, RoutingIntentCodeFix>.CodeFixAsync(
        Model.Usings + """
        class C
        {
            Task<List<User>> M(AppDb db) => db.Users.Where(u => u.Id > 0).{|#0:ToListAsync|}();
        }
        """ + Model.Entities,
        Model.Usings.TrimEnd() + "\nusing PgDiscipline;\n\n" + """
        class C
        {
            Task<List<User>> M(AppDb db) => db.Users.Where(u => u.Id > 0).ReadFromReplica().ToListAsync();
        }
        """ + Model.Entities,
        [Verify<ReadWithoutRoutingIntentAnalyzer>.Diagnostic("PGD201").WithLocation(0)],
        "pgdiscipline.PGD201.default_read = primary");

    [Fact]
    public Task PGD201_second_code_fix_adds_ReadFromPrimary_with_a_reason_to_fill_in() => VerifyFix<ReadWithoutRoutingIntentAnalyzer, RoutingIntentCodeFix>.CodeFixAsync(
        Usings + """
        class C
        {
            Task<User> M(AppDb db) => db.Users.{|#0:SingleAsync|}(u => u.Id == 1);
        }
        """ + Model.Entities,
        Usings + """
        class C
        {
            Task<User> M(AppDb db) => db.Users.ReadFromPrimary("TODO: why this read needs the primary").SingleAsync(u => u.Id == 1);
        }
        """ + Model.Entities,
        [Verify<ReadWithoutRoutingIntentAnalyzer>.Diagnostic("PGD201").WithLocation(0)],
        "pgdiscipline.PGD201.default_read = primary",
        codeActionIndex: 1);

    [Fact]
    public Task PGD202_replica_intent_inside_a_transaction_is_reported_and_removed() => VerifyFix<ReplicaReadInTransactionAnalyzer, RoutingIntentCodeFix>.CodeFixAsync(
        Usings + """
        class C
        {
            async Task M(AppDb db)
            {
                await using var tx = await db.Database.BeginTransactionAsync();
                var users = await db.Users.{|#0:ReadFromReplica|}().ToListAsync();
                await tx.CommitAsync();
                var after = await db.Users.ReadFromReplica().ToListAsync();
            }

            void Block(AppDb db)
            {
                using (var tx = db.Database.BeginTransaction())
                {
                    var n = db.Users.{|#1:ReadFromReplica|}().Count();
                }

                var m = db.Users.ReadFromReplica().Count();
            }
        }
        """ + Model.Entities,
        Usings + """
        class C
        {
            async Task M(AppDb db)
            {
                await using var tx = await db.Database.BeginTransactionAsync();
                var users = await db.Users.ToListAsync();
                await tx.CommitAsync();
                var after = await db.Users.ReadFromReplica().ToListAsync();
            }

            void Block(AppDb db)
            {
                using (var tx = db.Database.BeginTransaction())
                {
                    var n = db.Users.Count();
                }

                var m = db.Users.ReadFromReplica().Count();
            }
        }
        """ + Model.Entities,
        [Verify<ReplicaReadInTransactionAnalyzer>.Diagnostic("PGD202").WithLocation(0), Verify<ReplicaReadInTransactionAnalyzer>.Diagnostic("PGD202").WithLocation(1)]);

    [Fact]
    public Task PGD203_replica_read_after_a_write_with_eventual_consistency() =>
        Verify<StaleReadAfterWriteAnalyzer>.AnalyzerAsync(Usings + """
        class C
        {
            void Configure(PgDisciplineOptions pg) => pg.Consistency = ReadConsistency.Eventual;

            async Task<List<Order>> M(AppDb db, Order order)
            {
                var before = await db.Orders.ReadFromReplica().ToListAsync();
                db.Orders.Add(order);
                await db.SaveChangesAsync();
                return await db.Orders.{|#0:ReadFromReplica|}().ToListAsync();
            }
        }
        """ + Model.Entities, Verify<StaleReadAfterWriteAnalyzer>.Diagnostic("PGD203").WithLocation(0).WithArguments("Eventual"));

    [Fact]
    public Task PGD203_is_silent_with_session_consistency() =>
        Verify<StaleReadAfterWriteAnalyzer>.AnalyzerAsync(Usings + """
        class C
        {
            async Task<List<Order>> M(AppDb db, Order order)
            {
                db.Orders.Add(order);
                await db.SaveChangesAsync();
                return await db.Orders.ReadFromReplica().ToListAsync();
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task PGD204_write_inside_a_replica_scope() =>
        Verify<WriteInReplicaScopeAnalyzer>.AnalyzerAsync(Usings + """
        class C
        {
            async Task M(AppDb db)
            {
                using (PgDisciplineRouting.ReadFromReplica())
                {
                    var user = await db.Users.FirstAsync();
                    user.Name = "changed";
                    await db.{|#0:SaveChangesAsync|}();
                }

                using var scope = PgDisciplineRouting.ReadFromReplica();
                await db.Users.Where(u => u.Id == 1).{|#1:ExecuteDeleteAsync|}();
            }

            async Task Fine(AppDb db)
            {
                using (PgDisciplineRouting.ReadFromPrimary("fresh"))
                {
                    await db.SaveChangesAsync();
                }
            }
        }
        """ + Model.Entities,
        Verify<WriteInReplicaScopeAnalyzer>.Diagnostic("PGD204").WithLocation(0).WithArguments("SaveChangesAsync"),
        Verify<WriteInReplicaScopeAnalyzer>.Diagnostic("PGD204").WithLocation(1).WithArguments("ExecuteDeleteAsync"));
}
