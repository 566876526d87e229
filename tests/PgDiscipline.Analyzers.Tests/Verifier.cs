using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace PgDiscipline.Analyzers.Tests;

/// <summary>References for test compilations: this test process's own runtime assemblies plus EF Core, Npgsql and
/// PgDiscipline.EntityFrameworkCore as resolved by this project — nothing is downloaded at test time.</summary>
internal static class TestReferences
{
    public static readonly ReferenceAssemblies None = new("net10.0-local");

    public static readonly ImmutableArray<MetadataReference> All = Build();

    private static ImmutableArray<MetadataReference> Build()
    {
        var paths = FrameworkReferencePaths();
        paths.Add(typeof(Microsoft.EntityFrameworkCore.DbContext).Assembly.Location);
        paths.Add(typeof(Microsoft.EntityFrameworkCore.RelationalQueryableExtensions).Assembly.Location);
        paths.Add(typeof(Npgsql.NpgsqlConnection).Assembly.Location);
        paths.Add(typeof(Microsoft.EntityFrameworkCore.NpgsqlDbContextOptionsBuilderExtensions).Assembly.Location);
        paths.Add(typeof(PgDiscipline.PgDisciplineQueryableExtensions).Assembly.Location);
        paths.Add(typeof(Microsoft.Extensions.DependencyInjection.IServiceCollection).Assembly.Location);
        paths.Add(typeof(Microsoft.Extensions.Caching.Memory.IMemoryCache).Assembly.Location);
        return paths.Distinct(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }

    /// <summary>The installed SDK's reference pack for this runtime (what a real build compiles against); the runtime's own
    /// assemblies when no pack is installed.</summary>
    private static List<string> FrameworkReferencePaths()
    {
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!; // …/shared/Microsoft.NETCore.App/10.0.x
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        var refDir = Directory.Exists(packs)
            ? Directory.GetDirectories(packs).OrderByDescending(d => d, StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "ref", "net" + Environment.Version.ToString(2)))
                .FirstOrDefault(Directory.Exists)
            : null;
        if (refDir is not null)
        {
            return Directory.GetFiles(refDir, "*.dll").ToList();
        }

        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .ToList();
    }

    /// <summary>The testing library reports every descriptor, even those off by default; a real build does not (unless the
    /// .editorconfig turns one on, which the tests that need it do).</summary>
    public static void DisableOffByDefault(List<string> disabled, DiagnosticAnalyzer analyzer, string? editorConfig)
    {
        var config = editorConfig ?? string.Empty;
        bool Set(string id, string severity) => config.Contains($"dotnet_diagnostic.{id}.severity = {severity}", StringComparison.Ordinal);
        disabled.AddRange(analyzer.SupportedDiagnostics
            .Where(d => Set(d.Id, "none") || (!d.IsEnabledByDefault && !Set(d.Id, "warning") && !Set(d.Id, "error") && !Set(d.Id, "suggestion")))
            .Select(d => d.Id).Distinct());
    }

    public static void Configure(SolutionState state, string? editorConfig)
    {
        state.AdditionalReferences.AddRange(All);
        if (editorConfig is not null)
        {
            state.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*]\n" + editorConfig));
        }
    }
}

internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>The analyzer's first descriptor with <paramref name="id"/> (the typed-operation one for migration rules; raw
    /// <c>Sql(…)</c> findings have their own, see <c>MigrationDescriptors.RawSql</c>).</summary>
    public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(new TAnalyzer().SupportedDiagnostics.First(d => d.Id == id));

    public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected) => AnalyzerAsync(source, null, expected);

    public static async Task AnalyzerAsync(string source, string? editorConfig, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { TestCode = source, ReferenceAssemblies = TestReferences.None };
        TestReferences.Configure(test.TestState, editorConfig);
        TestReferences.DisableOffByDefault(test.DisabledDiagnostics, new TAnalyzer(), editorConfig);
        test.ExpectedDiagnostics.AddRange(Environment.GetEnvironmentVariable("PGD_DUMP_DIAGNOSTICS") is null ? expected : []);
        await test.RunAsync();
    }
}

internal static class VerifyFix<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static async Task CodeFixAsync(string source, string fixedSource, DiagnosticResult[] expected, string? editorConfig = null, int? codeActionIndex = null)
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = TestReferences.None,
            CodeActionIndex = codeActionIndex,
        };
        TestReferences.Configure(test.TestState, editorConfig);
        TestReferences.Configure(test.FixedState, editorConfig);
        TestReferences.DisableOffByDefault(test.DisabledDiagnostics, new TAnalyzer(), editorConfig);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }
}

/// <summary>The model every test compiles against.</summary>
internal static class Model
{
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.EntityFrameworkCore;

        """;

    public const string Entities = """

        public class User { public int Id { get; set; } public string Name { get; set; } = ""; public Team Team { get; set; } = null!; public List<Order> Orders { get; set; } = new(); public List<Address> Addresses { get; set; } = new(); }
        public class Team { public int Id { get; set; } public Company Company { get; set; } = null!; }
        public class Company { public int Id { get; set; } public Country Country { get; set; } = null!; }
        public class Country { public int Id { get; set; } public string Name { get; set; } = ""; }
        public class Order { public int Id { get; set; } public int UserId { get; set; } public User User { get; set; } = null!; public List<Line> Lines { get; set; } = new(); }
        public class Line { public int Id { get; set; } }
        public class Address { public int Id { get; set; } }
        public class AppDb : DbContext
        {
            public DbSet<User> Users => Set<User>();
            public DbSet<Order> Orders => Set<Order>();
            public DbSet<Team> Teams => Set<Team>();
        }
        """;
}
