using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PgDiscipline.Analyzers.CodeFixes;

/// <summary>PGD104: <c>FromSqlRaw($"… {x}")</c> → <c>FromSql($"… {x}")</c> (likewise ExecuteSql, ExecuteSqlAsync, SqlQuery):
/// the interpolation holes become parameters.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseParameterizedSqlCodeFix)), Shared]
public sealed class UseParameterizedSqlCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(RuleIdentifiers.RawSqlInjection);

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
            if (!diagnostic.Properties.TryGetValue(RawSqlInjectionAnalyzer.FixableProperty, out var replacement) || replacement is null)
            {
                continue; // only interpolated strings can be rewritten safely
            }

            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not SimpleNameSyntax name)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(CodeFixTitles.UseParameterizedSql, ct =>
                {
                    var renamed = name.WithIdentifier(SyntaxFactory.Identifier(name.Identifier.LeadingTrivia, replacement, name.Identifier.TrailingTrivia));
                    return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(name, renamed)));
                }, CodeFixTitles.UseParameterizedSql),
                diagnostic);
        }
    }
}
