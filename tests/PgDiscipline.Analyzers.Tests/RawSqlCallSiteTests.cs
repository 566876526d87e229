using Microsoft.CodeAnalysis.Testing;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.RawSqlCallSiteAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

public sealed class RawSqlCallSiteTests
{
    private static DiagnosticResult Site(int location, string api, bool raw)
        => V.Diagnostic("PGD105").WithLocation(location)
            .WithArguments(api, raw ? "as written (values must be passed as parameters)" : "with interpolation holes sent as parameters");

    [Fact]
    public Task Every_raw_sql_api_call_is_listed_and_linq_is_not() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, string name, int id, CancellationToken ct)
            {
                var a = db.Users.{|#0:FromSqlRaw|}("select * from users where id = {0}", id).ToList();
                var b = db.Users.{|#1:FromSql|}($"select * from users where name = {name}").ToList();
                await db.Database.{|#2:ExecuteSqlRawAsync|}("delete from users where id = {0}", new object[] { id }, ct);
                await db.Database.{|#3:ExecuteSqlAsync|}($"delete from users where id = {id}", ct);
                var c = db.Database.{|#4:SqlQuery|}<int>($"select id from users where name = {name}").ToList();
                var d = db.Users.Where(u => u.Name == name).ToList();
            }
        }
        """ + Model.Entities,
        Site(0, "FromSqlRaw", raw: true),
        Site(1, "FromSql", raw: false),
        Site(2, "ExecuteSqlRawAsync", raw: true),
        Site(3, "ExecuteSqlAsync", raw: false),
        Site(4, "SqlQuery", raw: false));
}
