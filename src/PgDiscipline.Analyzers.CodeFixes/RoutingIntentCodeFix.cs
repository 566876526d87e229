using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PgDiscipline.Analyzers.CodeFixes;

/// <summary>PGD201: add <c>.ReadFromReplica()</c> or <c>.ReadFromPrimary("…")</c> before the terminal operator.
/// PGD202: remove <c>.ReadFromReplica()</c> inside a transaction.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RoutingIntentCodeFix)), Shared]
public sealed class RoutingIntentCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.ReadWithoutRoutingIntent, RuleIdentifiers.ReplicaReadInTransaction);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is not CompilationUnitSyntax unit)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            var invocation = SyntaxHelpers.InvocationAt(unit, diagnostic.Location.SourceSpan);
            if (invocation?.Expression is not MemberAccessExpressionSyntax access)
            {
                continue;
            }

            if (diagnostic.Id == RuleIdentifiers.ReplicaReadInTransaction)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(CodeFixTitles.RemoveReadFromReplica, ct =>
                        Task.FromResult(context.Document.WithSyntaxRoot(unit.ReplaceNode(invocation, access.Expression.WithTriviaFrom(invocation)))),
                        CodeFixTitles.RemoveReadFromReplica),
                    diagnostic);
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(CodeFixTitles.AddReadFromReplica, ct => Insert(context.Document, unit, invocation, "ReadFromReplica", null), CodeFixTitles.AddReadFromReplica),
                diagnostic);
            var reason = ArgumentList(SingletonSeparatedList(Argument(LiteralExpression(SyntaxKind.StringLiteralExpression, Literal("TODO: why this read needs the primary")))));
            context.RegisterCodeFix(
                CodeAction.Create(CodeFixTitles.AddReadFromPrimary, ct => Insert(context.Document, unit, invocation, "ReadFromPrimary", reason), CodeFixTitles.AddReadFromPrimary),
                diagnostic);
        }
    }

    private static Task<Document> Insert(Document document, CompilationUnitSyntax unit, InvocationExpressionSyntax terminal, string method, ArgumentListSyntax? arguments)
    {
        var updated = unit.ReplaceNode(terminal, SyntaxHelpers.InsertCallBefore(terminal, method, arguments));
        return Task.FromResult(document.WithSyntaxRoot(SyntaxHelpers.EnsureUsing(updated, "PgDiscipline")));
    }
}
