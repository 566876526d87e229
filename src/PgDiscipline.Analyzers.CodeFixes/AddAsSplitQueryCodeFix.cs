using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PgDiscipline.Analyzers.CodeFixes;

/// <summary>PGD102: adds <c>.AsSplitQuery()</c> after the last Include/ThenInclude of the query.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddAsSplitQueryCodeFix)), Shared]
public sealed class AddAsSplitQueryCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.CartesianInclude);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            var terminal = SyntaxHelpers.InvocationAt(root, diagnostic.Location.SourceSpan);
            var include = terminal?.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>()
                .FirstOrDefault(i => i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Include" or "ThenInclude" });
            if (include is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(CodeFixTitles.AddAsSplitQuery, ct =>
                {
                    var split = InvocationExpression(MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression,
                        include.WithoutTrailingTrivia(), IdentifierName("AsSplitQuery"))).WithTrailingTrivia(include.GetTrailingTrivia());
                    return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(include, split)));
                }, CodeFixTitles.AddAsSplitQuery),
                diagnostic);
        }
    }
}
