using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PgDiscipline.Analyzers.CodeFixes;

internal static class SyntaxHelpers
{
    /// <summary>The invocation whose method name the diagnostic was reported on.</summary>
    public static InvocationExpressionSyntax? InvocationAt(SyntaxNode root, Microsoft.CodeAnalysis.Text.TextSpan span)
    {
        var node = root.FindNode(span, getInnermostNodeForTie: true);
        return node.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
    }

    /// <summary><c>receiver.Name(args)</c> → <c>receiver.Inserted().Name(args)</c>.</summary>
    public static InvocationExpressionSyntax InsertCallBefore(InvocationExpressionSyntax terminal, string method, ArgumentListSyntax? arguments = null)
    {
        var access = (MemberAccessExpressionSyntax)terminal.Expression;
        var inserted = InvocationExpression(
            MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, access.Expression.WithoutTrailingTrivia(), IdentifierName(method)),
            arguments ?? ArgumentList());
        return terminal.WithExpression(access.WithExpression(inserted.WithTrailingTrivia(access.Expression.GetTrailingTrivia())));
    }

    public static CompilationUnitSyntax EnsureUsing(CompilationUnitSyntax unit, string ns)
    {
        if (unit.Usings.Any(u => u.Name?.ToString() == ns))
        {
            return unit;
        }

        return unit.AddUsings(UsingDirective(ParseName(ns)).WithTrailingTrivia(ElasticCarriageReturnLineFeed));
    }
}
