using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>
/// PGD301–PGD315 on EF Core migrations: one pass over the <c>Up</c> method of each class deriving from
/// <c>Migration</c>, in statement order, so "existing table" means "not created earlier in this Up". Raw
/// <c>Sql(...)</c> goes through PgDiscipline.Sql's migration lint, and each finding carries its own rule id (a raw
/// <c>CREATE INDEX</c> is PGD304 like <c>CreateIndex</c>). <c>[AllowUnsafeMigration("PGDnnn", Reason = "…")]</c> on the class
/// allows a rule; an empty reason does not. The same rules, severities and exemptions apply in the lint and the guard.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MigrationSafetyAnalyzer : EfCoreAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => MigrationDescriptors.All;

    /// <summary>Migrations are analysed even when their file says <c>// &lt;auto-generated /&gt;</c>: some apps' scaffolded
    /// migrations carry that header, and they are exactly what this rule is about.</summary>
    internal override GeneratedCodeAnalysisFlags GeneratedCode => GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics;

    /// <inheritdoc />
    internal override bool IsApplicable(EfContext ef) => ef.Migration is not null && ef.MigrationBuilder is not null;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
        => context.RegisterOperationBlockAction(c => AnalyzeUp(c, ef));

    private static void AnalyzeUp(OperationBlockAnalysisContext context, EfContext ef)
    {
        if (context.OwningSymbol is not IMethodSymbol { Name: "Up" } method || !Derives(method.ContainingType, ef.Migration!))
        {
            return;
        }

        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var attribute in method.ContainingType.GetAttributes())
        {
            if (attribute.AttributeClass?.Name == "AllowUnsafeMigrationAttribute" && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is string rule
                && attribute.NamedArguments.Any(n => n.Key == "Reason" && n.Value.Value is string r && !string.IsNullOrWhiteSpace(r)))
            {
                allowed.Add(rule);
            }
        }

        var tree = context.OperationBlocks.FirstOrDefault()?.Syntax.SyntaxTree;
        var closed = tree is not null && AnalyzerOptionsReader.GetBool(context.Options, tree, RuleIdentifiers.CreateTableClosed, "enabled", false);
        var created = new HashSet<string>(StringComparer.Ordinal);
        var lintState = new MigrationLintState { AssumeLockTimeout = true };
        var calls = context.OperationBlocks.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>()
            .Where(i => SymbolEqualityComparer.Default.Equals(i.TargetMethod.ContainingType, ef.MigrationBuilder))
            .OrderBy(i => i.Syntax.SpanStart);

        foreach (var call in calls)
        {
            void Report(DiagnosticDescriptor descriptor, params object[] args)
            {
                if (!allowed.Contains(descriptor.Id))
                {
                    context.ReportDiagnostic(Diagnostic.Create(descriptor, QueryChain.NameLocation(call), args));
                }
            }

            var schema = Str(call, "schema");
            var tableName = Str(call, call.TargetMethod.Name is "CreateTable" or "DropTable" or "RenameTable" ? "name" : "table");
            var key = tableName is null ? null : (schema ?? string.Empty) + "." + tableName;
            var table = tableName is null ? "?" : schema is null ? tableName : schema + "." + tableName;
            var existing = key is not null && !created.Contains(key);
            var column = Str(call, "name") ?? "?";
            switch (call.TargetMethod.Name)
            {
                case "CreateTable":
                    if (key is not null)
                    {
                        created.Add(key);
                        lintState.MarkCreated(tableName!);
                    }

                    if (closed)
                    {
                        Report(MigrationDescriptors.CreateTableClosed, table);
                    }

                    break;
                case "AlterColumn" when existing:
                    if (TypeChange(call) is ({ } oldType, { } newType)
                        && !string.Equals(PostgresFacts.NormalizeType(oldType), PostgresFacts.NormalizeType(newType), StringComparison.Ordinal)
                        && !PostgresFacts.IsBinaryCoercible(oldType, newType))
                    {
                        var note = PostgresFacts.TypeChangeNote(oldType, newType);
                        Report(MigrationDescriptors.AlterColumnTypeRewrite, column, table, oldType, newType, note is null ? string.Empty : " (" + note + ")");
                    }

                    if (Bool(call, "nullable") == false && Bool(call, "oldNullable") == true)
                    {
                        Report(MigrationDescriptors.SetNotNull, column, table);
                    }

                    if (HasAnnotation(call, "Annotation", IdentityStrategy, IsIdentityOrSerial) && !HasAnnotation(call, "OldAnnotation", IdentityStrategy, IsIdentityOrSerial))
                    {
                        Report(MigrationDescriptors.AlterColumnToIdentity, column, table);
                    }

                    break;
                case "AddColumn" when existing:
                    var defaultSql = Str(call, "defaultValueSql");
                    var identity = HasAnnotation(call, "Annotation", IdentityStrategy, IsIdentityOrSerial);
                    var computed = Str(call, "computedColumnSql") is not null;
                    if (PostgresFacts.FindVolatileCall(defaultSql) is not null)
                    {
                        Report(MigrationDescriptors.AddColumnVolatileDefault, column, table, "default " + defaultSql);
                    }
                    else if (computed && Bool(call, "stored") == true)
                    {
                        Report(MigrationDescriptors.AddColumnVolatileDefault, column, table, "a stored generated column");
                    }

                    if (identity)
                    {
                        Report(MigrationDescriptors.AddIdentityColumn, column, table);
                    }
                    else if (Bool(call, "nullable") == false && defaultSql is null && !computed && !HasValue(call, "defaultValue"))
                    {
                        Report(MigrationDescriptors.AddNotNullColumnWithoutDefault, column, table);
                    }

                    break;
                case "CreateIndex" when existing && !HasAnnotation(call, "Annotation", "Npgsql:CreatedConcurrently", v => v == "true"):
                    Report(MigrationDescriptors.CreateIndexNotConcurrently, column, table);
                    break;
                case "DropIndex" when existing:
                    Report(MigrationDescriptors.DropIndexNotConcurrently, column, table);
                    break;
                case "AddForeignKey" when existing:
                    Report(MigrationDescriptors.AddForeignKeyValidated, column, table);
                    break;
                case "AddUniqueConstraint" or "AddPrimaryKey" when existing:
                    Report(MigrationDescriptors.AddUniqueConstraint, column, table);
                    break;
                case "AddCheckConstraint" when existing:
                    Report(MigrationDescriptors.AddCheckConstraintValidated, column, table);
                    break;
                case "RenameColumn" or "RenameTable":
                    Report(MigrationDescriptors.Rename, table);
                    break;
                case "DropColumn" or "DropTable" when existing:
                    Report(MigrationDescriptors.Drop, call.TargetMethod.Name == "DropTable" ? "table " + table : "column " + column + " of " + table);
                    break;
                case "Sql":
                    var sql = Str(call, "sql");
                    if (sql is null)
                    {
                        break;
                    }

                    lintState.InTransaction = Bool(call, "suppressTransaction") != true;
                    foreach (var finding in MigrationLint.Lint(sql, RawSqlLintOptions, lintState))
                    {
                        if (MigrationDescriptors.RawSql.TryGetValue(finding.RuleId, out var descriptor))
                        {
                            Report(descriptor, finding.Message);
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>The guard sets a lock_timeout on every migration statement, so PGD315 does not apply to Sql(…).</summary>
    private static readonly MigrationLintOptions RawSqlLintOptions = new() { RequireLockTimeout = false };

    private const string IdentityStrategy = "Npgsql:ValueGenerationStrategy";

    private static bool IsIdentityOrSerial(string value) => value.IndexOf("Identity", StringComparison.Ordinal) >= 0 || value.IndexOf("Serial", StringComparison.Ordinal) >= 0;

    /// <summary>The old and new store types of an AlterColumn: the <c>oldType</c>/<c>type</c> strings when given, otherwise
    /// what Npgsql emits for the CLR type and facets (<c>AlterColumn&lt;string&gt;(maxLength: 50, oldMaxLength: 500)</c> is a
    /// <c>character varying(500)</c> → <c>character varying(50)</c> change).</summary>
    private static (string? Old, string? New) TypeChange(IInvocationOperation call)
    {
        var type = Str(call, "type");
        var oldType = Str(call, "oldType");
        if (type is not null || oldType is not null)
        {
            return (oldType, type);
        }

        var clr = call.TargetMethod.TypeArguments.Length == 1 ? FullName(call.TargetMethod.TypeArguments[0]) : null;
        var oldClr = Arg(call, "oldClrType") is { } a && EfContext.Unwrap(a.Value) is ITypeOfOperation typeOf ? FullName(typeOf.TypeOperand) : clr;
        return (PostgresFacts.ImpliedColumnType(oldClr, Int(call, "oldMaxLength"), Int(call, "oldPrecision"), Int(call, "oldScale")),
            PostgresFacts.ImpliedColumnType(clr, Int(call, "maxLength"), Int(call, "precision"), Int(call, "scale")));
    }

    private static string? FullName(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        return type.SpecialType switch
        {
            SpecialType.System_String => "System.String",
            SpecialType.System_Decimal => "System.Decimal",
            _ => null,
        };
    }

    private static bool Derives(INamedTypeSymbol? type, INamedTypeSymbol baseType)
    {
        for (var t = type?.BaseType; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType))
            {
                return true;
            }
        }

        return false;
    }

    private static IArgumentOperation? Arg(IInvocationOperation call, string name)
        => call.Arguments.FirstOrDefault(a => a.Parameter?.Name == name);

    private static string? Str(IInvocationOperation call, string name)
        => Arg(call, name) is { } a && EfContext.Unwrap(a.Value).ConstantValue is { HasValue: true, Value: string s } ? s : null;

    /// <summary>A bool argument, or the parameter's default when it was left out (<c>nullable</c> defaults to false).</summary>
    private static bool? Bool(IInvocationOperation call, string name)
        => Arg(call, name) is { } a && EfContext.Unwrap(a.Value).ConstantValue is { HasValue: true, Value: bool b } ? b : null;

    private static int? Int(IInvocationOperation call, string name)
        => Arg(call, name) is { } a && EfContext.Unwrap(a.Value).ConstantValue is { HasValue: true, Value: int i } ? i : null;

    /// <summary>Whether the argument was written and is not the constant null.</summary>
    private static bool HasValue(IInvocationOperation call, string name)
        => Arg(call, name) is { ArgumentKind: not ArgumentKind.DefaultValue } a && !(EfContext.Unwrap(a.Value).ConstantValue is { HasValue: true, Value: null });

    /// <summary>A chained <c>.Annotation("name", value)</c> (or <c>.OldAnnotation</c>) on the operation builder the call returns.</summary>
    private static bool HasAnnotation(IInvocationOperation call, string method, string name, Func<string, bool> value)
    {
        IOperation current = call;
        while (current.Parent is IInvocationOperation { TargetMethod.Name: "Annotation" or "OldAnnotation" } annotation && ReferenceEquals(annotation.Instance is null ? null : EfContext.Unwrap(annotation.Instance), current))
        {
            if (annotation.TargetMethod.Name == method && annotation.Arguments.Length == 2 && EfContext.Unwrap(annotation.Arguments[0].Value).ConstantValue.Value is string n && n == name)
            {
                var v = annotation.Arguments[1].Value;
                var text = EfContext.Unwrap(v).ConstantValue.Value is bool b ? (b ? "true" : "false") : v.Syntax.ToString();
                if (value(text))
                {
                    return true;
                }
            }

            current = annotation;
        }

        return false;
    }
}
