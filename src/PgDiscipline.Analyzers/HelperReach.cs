using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PgDiscipline.Analyzers;

/// <summary>
/// Syntax-only tests that decide whether a helper's body is worth binding for PGD103 (binding is nearly all of its cost
/// on a large data layer). Both over-approximate: a body they pass may still run no query, one they reject cannot.
/// </summary>
internal sealed class HelperReach
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<string, bool> _names = new(System.StringComparer.Ordinal);

    public HelperReach(Compilation compilation) => _compilation = compilation;

    /// <summary>The body names a call that could run a query (a terminal, <c>Find</c>, <c>SaveChanges</c>).</summary>
    public static bool NamesAQueryCall(SyntaxNode body)
    {
        foreach (var token in body.DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.IdentifierToken) && IsQueryCallName(token.ValueText))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first level of helper following: the body names a query call, or calls by name a method declared in
    /// this compilation whose body does (or that has no body to read: an interface, abstract or virtual method, whose
    /// implementations are looked at after binding).</summary>
    public bool MayReachQuery(SyntaxNode body)
    {
        if (NamesAQueryCall(body))
        {
            return true;
        }

        foreach (var node in body.DescendantNodes())
        {
            if (node is InvocationExpressionSyntax invocation
                && InvokedName(invocation.Expression) is { } name
                && _names.GetOrAdd(name, n => NameReachesQuery(n)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A method name that could run a query: a terminal, <c>Find</c>, <c>SaveChanges</c>.</summary>
    public static bool IsQueryCallName(string name)
        => QueryInLoopAnalyzer.Terminals.Contains(name) || name is "Find" or "FindAsync" or "SaveChanges" or "SaveChangesAsync";

    /// <summary>The body of a method or local function declaration (block or expression), or null.</summary>
    public static SyntaxNode? BodyOf(SyntaxNode declaration) => declaration switch
    {
        MethodDeclarationSyntax m => (SyntaxNode?)m.Body ?? m.ExpressionBody,
        LocalFunctionStatementSyntax f => (SyntaxNode?)f.Body ?? f.ExpressionBody,
        _ => null,
    };

    private static string? InvokedName(ExpressionSyntax expression) => expression switch
    {
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        _ => null, // a delegate or the result of another call: bound as a delegate invocation, never a helper here
    };

    private bool NameReachesQuery(string name)
    {
        foreach (var symbol in _compilation.GetSymbolsWithName(name, SymbolFilter.Member))
        {
            if (symbol is not IMethodSymbol method)
            {
                continue;
            }

            if (method.IsAbstract || method.IsVirtual || method.IsOverride || method.IsExtern)
            {
                return true;
            }

            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (BodyOf(reference.GetSyntax()) is not { } body || NamesAQueryCall(body))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
