using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PgDiscipline.Analyzers.CodeFixes;

/// <summary>
/// PGD304: <c>CreateIndex(...)</c> → <c>CreateIndex(...).Annotation("Npgsql:CreatedConcurrently", true)</c>. With EF Core 10 and
/// Npgsql 10 that operation is generated as <c>CREATE INDEX CONCURRENTLY</c> in a command outside the migration's
/// transaction, exactly as <c>Sql("CREATE INDEX CONCURRENTLY …", suppressTransaction: true)</c> is, and it stays a typed
/// operation (model snapshot, <c>Down</c>, idempotent scripts). EF Core warns (20410) about either form when the migration
/// has other operations (a failure part-way leaves it half applied): the fix then says so above the call, and the
/// remedy is a migration of its own for the index.
/// PGD306 / PGD308: <c>AddForeignKey</c> / <c>AddCheckConstraint</c> → <c>Sql("… NOT VALID")</c> plus
/// <c>Sql("… VALIDATE CONSTRAINT …", suppressTransaction: true)</c> (EF Core commits the migration's transaction before a
/// suppressed command, so the short ACCESS EXCLUSIVE of the NOT VALID step is released before the validating scan).
/// Offered when the arguments are the string literals EF Core scaffolds.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MigrationCodeFixes)), Shared]
public sealed class MigrationCodeFixes : CodeFixProvider
{
    /// <summary>PGD304.</summary>
    public const string CreateConcurrently = "Create the index concurrently";

    /// <summary>PGD306 / PGD308.</summary>
    public const string NotValidThenValidate = "Add NOT VALID, then VALIDATE outside the transaction";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(
        RuleIdentifiers.CreateIndexNotConcurrently, RuleIdentifiers.AddForeignKeyValidated, RuleIdentifiers.AddCheckConstraintValidated);

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
            var call = SyntaxHelpers.InvocationAt(root, diagnostic.Location.SourceSpan);
            if (call?.Expression is not MemberAccessExpressionSyntax access || access.Name.Identifier.ValueText == "Sql")
            {
                continue; // raw Sql(…) findings carry the same ids; the fixes rewrite the typed operations only
            }

            if (diagnostic.Id == RuleIdentifiers.CreateIndexNotConcurrently)
            {
                context.RegisterCodeFix(CodeAction.Create(CreateConcurrently, ct =>
                {
                    var annotated = InvocationExpression(
                        MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, call.WithoutTrailingTrivia(), IdentifierName("Annotation")),
                        ArgumentList(SeparatedList(new[]
                        {
                            Argument(LiteralExpression(SyntaxKind.StringLiteralExpression, Literal("Npgsql:CreatedConcurrently"))),
                            Argument(LiteralExpression(SyntaxKind.TrueLiteralExpression)),
                        }))).WithTrailingTrivia(call.GetTrailingTrivia());
                    if (call.Parent is ExpressionStatementSyntax { Parent: BlockSyntax block } alone && block.Statements.Count > 1)
                    {
                        var withNote = alone.ReplaceNode(call, annotated).WithLeadingTrivia(alone.GetLeadingTrivia().AddRange(SharedMigrationNote(alone)));
                        return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(alone, withNote)));
                    }

                    return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(call, annotated)));
                }, CreateConcurrently), diagnostic);
                continue;
            }

            if (call.Parent is not ExpressionStatementSyntax statement || statement.Parent is not BlockSyntax)
            {
                continue;
            }

            var args = call.ArgumentList.Arguments
                .Where(a => a.NameColon is not null)
                .ToDictionary(a => a.NameColon!.Name.Identifier.ValueText, a => a.Expression);
            var sql = diagnostic.Id == RuleIdentifiers.AddForeignKeyValidated ? ForeignKeySql(args) : CheckSql(args);
            if (sql is null)
            {
                continue;
            }

            var (add, validate) = sql.Value;
            context.RegisterCodeFix(CodeAction.Create(NotValidThenValidate, ct =>
            {
                var receiver = access.Expression.WithoutTrivia();
                var first = SqlStatement(receiver, add, suppressTransaction: false).WithLeadingTrivia(statement.GetLeadingTrivia()).WithTrailingTrivia(statement.GetTrailingTrivia());
                var second = SqlStatement(receiver, validate, suppressTransaction: true).WithLeadingTrivia(statement.GetLeadingTrivia()).WithTrailingTrivia(statement.GetTrailingTrivia());
                return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(statement, new SyntaxNode[] { first, second })));
            }, NotValidThenValidate), diagnostic);
        }
    }

    // The statement's own indentation, then the note, then the indentation again for the statement itself.
    private static SyntaxTriviaList SharedMigrationNote(StatementSyntax statement)
    {
        var indent = statement.GetLeadingTrivia().LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
        var eol = statement.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        eol = eol.IsKind(SyntaxKind.EndOfLineTrivia) ? eol : EndOfLine("\n");
        return TriviaList(
            Comment("// CONCURRENTLY runs outside the migration's transaction; with other operations in this migration EF Core warns (20410)"),
            eol,
            indent,
            Comment("// and a failure part-way leaves it half applied: move this index to a migration of its own (dotnet ef migrations add)."),
            eol,
            indent);
    }

    private static StatementSyntax SqlStatement(ExpressionSyntax receiver, string sql, bool suppressTransaction)
    {
        var arguments = new List<ArgumentSyntax> { Argument(LiteralExpression(SyntaxKind.StringLiteralExpression, Literal(sql))) };
        if (suppressTransaction)
        {
            arguments.Add(Argument(LiteralExpression(SyntaxKind.TrueLiteralExpression)).WithNameColon(NameColon("suppressTransaction")));
        }

        return ExpressionStatement(InvocationExpression(
            MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, IdentifierName("Sql")),
            ArgumentList(SeparatedList(arguments))));
    }

    private static string? Lit(Dictionary<string, ExpressionSyntax> args, string name)
        => args.TryGetValue(name, out var e) && e is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } l ? l.Token.ValueText : null;

    private static string Q(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    private static string Table(string? schema, string table) => schema is null ? Q(table) : Q(schema) + "." + Q(table);

    private static (string Add, string Validate)? CheckSql(Dictionary<string, ExpressionSyntax> args)
    {
        if (Lit(args, "name") is not { } name || Lit(args, "table") is not { } table || Lit(args, "sql") is not { } check)
        {
            return null;
        }

        var t = Table(Lit(args, "schema"), table);
        return ($"ALTER TABLE {t} ADD CONSTRAINT {Q(name)} CHECK ({check}) NOT VALID;", $"ALTER TABLE {t} VALIDATE CONSTRAINT {Q(name)};");
    }

    private static (string Add, string Validate)? ForeignKeySql(Dictionary<string, ExpressionSyntax> args)
    {
        if (Lit(args, "name") is not { } name || Lit(args, "table") is not { } table || Lit(args, "column") is not { } column
            || Lit(args, "principalTable") is not { } principal)
        {
            return null;
        }

        var t = Table(Lit(args, "schema"), table);
        var sb = new StringBuilder();
        sb.Append("ALTER TABLE ").Append(t).Append(" ADD CONSTRAINT ").Append(Q(name)).Append(" FOREIGN KEY (").Append(Q(column)).Append(") REFERENCES ")
            .Append(Table(Lit(args, "principalSchema"), principal)).Append(" (").Append(Q(Lit(args, "principalColumn") ?? "Id")).Append(')');
        AppendAction(sb, "ON DELETE", args.TryGetValue("onDelete", out var onDelete) ? onDelete : null);
        AppendAction(sb, "ON UPDATE", args.TryGetValue("onUpdate", out var onUpdate) ? onUpdate : null);
        sb.Append(" NOT VALID;");
        return (sb.ToString(), $"ALTER TABLE {t} VALIDATE CONSTRAINT {Q(name)};");
    }

    private static void AppendAction(StringBuilder sb, string clause, ExpressionSyntax? action)
    {
        var member = (action as MemberAccessExpressionSyntax)?.Name.Identifier.ValueText;
        var sql = member switch
        {
            "Cascade" => "CASCADE",
            "Restrict" => "RESTRICT",
            "SetNull" => "SET NULL",
            "SetDefault" => "SET DEFAULT",
            _ => null, // NoAction is the default
        };
        if (sql is not null)
        {
            sb.Append(' ').Append(clause).Append(' ').Append(sql);
        }
    }
}
