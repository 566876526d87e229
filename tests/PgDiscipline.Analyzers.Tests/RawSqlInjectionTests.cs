using Microsoft.CodeAnalysis.Testing;
using PgDiscipline.Analyzers.CodeFixes;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.RawSqlInjectionAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

public sealed class RawSqlInjectionTests
{
    private static DiagnosticResult Raw(int location, string api, string how, string replacement)
        => V.Diagnostic("PGD104").WithLocation(location).WithArguments(api, how, replacement);

    [Fact]
    public Task Interpolation_concatenation_format_and_parameters_are_reported() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            async Task M(AppDb db, string name, int id, string sql, CancellationToken ct)
            {
                var a = db.Users.{|#0:FromSqlRaw|}($"select * from users where name = '{name}'").ToList();
                var b = db.Users.{|#1:FromSqlRaw|}("select * from users where id = " + id).ToList();
                await db.Database.{|#2:ExecuteSqlRawAsync|}(string.Format("delete from users where id = {0}", id), ct);
                var c = db.Database.{|#3:SqlQueryRaw|}<int>(sql).ToList();
                var dynamicSql = $"select id from users where name = '{name}'";
                var d = db.Database.{|#4:SqlQueryRaw|}<int>(dynamicSql).ToList();
            }
        }
        """ + Model.Entities,
        Raw(0, "FromSqlRaw", "string interpolation", "FromSql"),
        Raw(1, "FromSqlRaw", "concatenation", "FromSql"),
        Raw(2, "ExecuteSqlRawAsync", "string.Format", "ExecuteSqlAsync"),
        Raw(3, "SqlQueryRaw", "a parameter ('sql')", "SqlQuery"),
        Raw(4, "SqlQueryRaw", "string interpolation (through local 'dynamicSql')", "SqlQuery"));

    [Fact]
    public Task Constants_constant_locals_and_parameterised_apis_are_fine() => V.AnalyzerAsync(Model.Usings + """
        class C
        {
            private const string Sql = "select * from users where id = {0}";
            private static readonly string ReadOnlySql = "select * from users";

            void M(AppDb db, int id, string name)
            {
                var a = db.Users.FromSqlRaw(Sql, id).ToList();
                var b = db.Users.FromSqlRaw("select * from users where id = @p0", id).ToList();
                var local = "select * from users where id = {0}";
                var c = db.Users.FromSqlRaw(local, id).ToList();
                var d = db.Users.FromSqlRaw(ReadOnlySql).ToList();
                var e = db.Users.FromSql($"select * from users where name = {name}").ToList();
                var f = db.Users.FromSqlRaw("select * from users " + "where id = {0}", id).ToList();
            }
        }
        """ + Model.Entities);

    [Fact]
    public Task Code_fix_moves_interpolated_raw_calls_to_the_parameterised_api() => VerifyFix<RawSqlInjectionAnalyzer, UseParameterizedSqlCodeFix>.CodeFixAsync(
        Model.Usings + """
        class C
        {
            async Task M(AppDb db, string name, int id, CancellationToken ct)
            {
                var a = db.Users.{|#0:FromSqlRaw|}($"select * from users where name = {name}").ToList();
                await db.Database.{|#1:ExecuteSqlRawAsync|}($"delete from users where id = {id}", ct);
                var n = db.Database.{|#2:SqlQueryRaw|}<int>($"select count(*) as \"Value\" from users where name = {name}").Single();
            }
        }
        """ + Model.Entities,
        Model.Usings + """
        class C
        {
            async Task M(AppDb db, string name, int id, CancellationToken ct)
            {
                var a = db.Users.FromSql($"select * from users where name = {name}").ToList();
                await db.Database.ExecuteSqlAsync($"delete from users where id = {id}", ct);
                var n = db.Database.SqlQuery<int>($"select count(*) as \"Value\" from users where name = {name}").Single();
            }
        }
        """ + Model.Entities,
        [
            Raw(0, "FromSqlRaw", "string interpolation", "FromSql"),
            Raw(1, "ExecuteSqlRawAsync", "string interpolation", "ExecuteSqlAsync"),
            Raw(2, "SqlQueryRaw", "string interpolation", "SqlQuery"),
        ]);
}
