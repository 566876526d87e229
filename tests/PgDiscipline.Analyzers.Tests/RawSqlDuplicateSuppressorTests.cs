using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>EF Core's own EF1002/EF1003 next to PGD104: loaded from the EF Core analyzer package the test project restored
/// (the version of its EF Core reference), so the suppression is tested against the real diagnostics.</summary>
public sealed class RawSqlDuplicateSuppressorTests
{
    private sealed class Test : CSharpAnalyzerTest<RawSqlInjectionAnalyzer, DefaultVerifier>
    {
        protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers()
            => base.GetDiagnosticAnalyzers().Append(new RawSqlDuplicateSuppressor()).Concat(EfCoreAnalyzers.Value);
    }

    private static readonly Lazy<ImmutableArray<DiagnosticAnalyzer>> EfCoreAnalyzers = new(() =>
    {
        var version = typeof(Microsoft.EntityFrameworkCore.DbContext).Assembly.GetName().Version!;
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var dir = Directory.GetDirectories(Path.Combine(packages, "microsoft.entityframeworkcore.analyzers"), $"{version.Major}.{version.Minor}.*")
            .OrderByDescending(d => d, StringComparer.Ordinal).First();
        var assembly = Assembly.LoadFrom(Path.Combine(dir, "analyzers", "dotnet", "cs", "Microsoft.EntityFrameworkCore.Analyzers.dll"));
        return assembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
    });

    private static async Task RunAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source, ReferenceAssemblies = TestReferences.None };
        TestReferences.Configure(test.TestState, null);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    [Fact]
    public Task EF1002_and_EF1003_are_suppressed_where_PGD104_reports_the_same_call() => RunAsync(Model.Usings + """
        class C
        {
            List<User> M(AppDb db, int id, string name)
            {
                var a = db.Users.{|#0:FromSqlRaw|}($"select * from users where id = {id}").ToList();
                var b = db.Users.{|#1:FromSqlRaw|}("select * from users where name = '" + name + "'").ToList();
                var c = db.Users.FromSqlRaw("select * from users").ToList();
                return a;
            }
        }
        """ + Model.Entities,
        new DiagnosticResult("PGD104", DiagnosticSeverity.Warning).WithLocation(0).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations | DiagnosticOptions.IgnoreSeverity),
        new DiagnosticResult("EF1002", DiagnosticSeverity.Warning).WithLocation(0).WithIsSuppressed(true).WithOptions(DiagnosticOptions.IgnoreSeverity),
        new DiagnosticResult("PGD104", DiagnosticSeverity.Warning).WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations | DiagnosticOptions.IgnoreSeverity),
        new DiagnosticResult("EF1003", DiagnosticSeverity.Warning).WithLocation(1).WithIsSuppressed(true).WithOptions(DiagnosticOptions.IgnoreSeverity));
}
