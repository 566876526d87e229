using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using V = PgDiscipline.Analyzers.Tests.Verify<PgDiscipline.Analyzers.InvalidOptionAnalyzer>;

namespace PgDiscipline.Analyzers.Tests;

public sealed class InvalidOptionTests
{
    private const string Source = """
        class C
        {
        }
        """;

    private static DiagnosticResult Invalid(string key, string value, string valid, string fallback)
        => V.Diagnostic("PGD100").WithArguments(key, value, valid, fallback); // no location: the value is in a config file

    [Fact]
    public Task Values_that_do_not_parse_are_reported_naming_the_key_what_is_valid_and_the_default() => V.AnalyzerAsync(
        Source,
        """
        pgdiscipline.PGD101.max_joins = ten
        pgdiscipline.PGD201.default_read = replicas
        pgdiscipline.PGD203.consistency = eventually
        pgdiscipline.PGD311.enabled = yes
        """,
        Invalid("pgdiscipline.PGD101.max_joins", "ten", "a whole number, 0 or more", "3"),
        Invalid("pgdiscipline.PGD201.default_read", "replicas", "primary or replica", "what the project's UsePgDiscipline code sets, else replica"),
        Invalid("pgdiscipline.PGD203.consistency", "eventually", "eventual, session or strong", "what the project's UsePgDiscipline code sets, else session"),
        Invalid("pgdiscipline.PGD311.enabled", "yes", "true or false", "false"));

    [Fact]
    public Task A_negative_join_limit_is_invalid_too() => V.AnalyzerAsync(
        Source, "pgdiscipline.PGD101.max_joins = -1", Invalid("pgdiscipline.PGD101.max_joins", "-1", "a whole number, 0 or more", "3"));

    [Fact]
    public Task Valid_values_in_any_case_and_unknown_keys_are_not_reported() => V.AnalyzerAsync(
        Source,
        """
        pgdiscipline.PGD101.max_joins = 5
        pgdiscipline.PGD201.default_read = Primary
        pgdiscipline.PGD203.consistency = SESSION
        pgdiscipline.PGD311.enabled = true
        pgdiscipline.PGD999.anything = whatever
        """);

    [Fact]
    public async Task One_report_per_key_and_value_however_many_files_there_are()
    {
        var test = new CSharpAnalyzerTest<InvalidOptionAnalyzer, DefaultVerifier> { ReferenceAssemblies = TestReferences.None };
        test.TestState.Sources.Add(("/a.cs", "class A { }"));
        test.TestState.Sources.Add(("/b.cs", "class B { }"));
        test.TestState.Sources.Add(("/c.cs", "class D { }"));
        TestReferences.Configure(test.TestState, "pgdiscipline.PGD101.max_joins = lots");
        test.ExpectedDiagnostics.Add(Invalid("pgdiscipline.PGD101.max_joins", "lots", "a whole number, 0 or more", "3"));
        await test.RunAsync();
    }
}
