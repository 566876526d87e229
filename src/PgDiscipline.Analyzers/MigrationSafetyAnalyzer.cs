using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>
/// PGD301–PGD315 on EF Core migrations: one pass over the <c>Up</c> method of each class deriving from
/// <c>Migration</c>, in statement order, so "existing table" means "not created earlier in this Up". Raw
/// <c>Sql(...)</c> goes through PgDiscipline.Sql's migration lint (PGD312/PGD314). <c>[AllowUnsafeMigration("PGDnnn",
/// Reason = "…")]</c> on the class allows a rule; an empty reason does not.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MigrationSafetyAnalyzer : EfCoreAnalyzer
{
    private static readonly Regex VolatileCall = new(@"\b(clock_timestamp|random|gen_random_uuid|uuid_generate_v[14]\w*|timeofday|nextval|statement_timestamp|uuidv[47])\s*\(", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex SizedType = new(@"^\s*(character varying|varchar|numeric|decimal|timestamp with time zone|timestamp without time zone|timestamp|timestamptz|time|interval|bit varying|varbit)\s*(\((\d+)(\s*,\s*(\d+))?\))?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => MigrationDescriptors.All;

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

            var table = Key(Str(call, "schema"), Str(call, call.TargetMethod.Name is "CreateTable" or "DropTable" or "RenameTable" ? "name" : "table"));
            var existing = table is not null && !created.Contains(table);
            switch (call.TargetMethod.Name)
            {
                case "CreateTable":
                    if (table is not null)
                    {
                        created.Add(table);
                        lintState.MarkCreated(Str(call, "name")!);
                    }

                    if (closed)
                    {
                        Report(MigrationDescriptors.CreateTableClosed, table ?? "?");
                    }

                    break;
                case "AlterColumn" when existing:
                    var type = Str(call, "type");
                    var oldType = Str(call, "oldType");
                    if (type is not null && oldType is not null && !string.Equals(Norm(type), Norm(oldType), StringComparison.Ordinal) && !BinaryCoercible(oldType, type))
                    {
                        Report(MigrationDescriptors.AlterColumnTypeRewrite, Str(call, "name") ?? "?", table!, oldType, type);
                    }

                    if (Bool(call, "nullable") == false && Bool(call, "oldNullable") == true)
                    {
                        Report(MigrationDescriptors.SetNotNull, Str(call, "name") ?? "?", table!);
                    }

                    break;
                case "AddColumn" when existing:
                    var defaultSql = Str(call, "defaultValueSql");
                    if (defaultSql is not null && VolatileCall.IsMatch(defaultSql))
                    {
                        Report(MigrationDescriptors.AddColumnVolatileDefault, Str(call, "name") ?? "?", table!, "default " + defaultSql);
                    }
                    else if (Str(call, "computedColumnSql") is not null && Bool(call, "stored") == true)
                    {
                        Report(MigrationDescriptors.AddColumnVolatileDefault, Str(call, "name") ?? "?", table!, "a stored generated column");
                    }

                    if (HasAnnotation(call, "Npgsql:ValueGenerationStrategy", v => v.Contains("Identity") || v.Contains("Serial")))
                    {
                        Report(MigrationDescriptors.AddIdentityColumn, Str(call, "name") ?? "?", table!);
                    }

                    break;
                case "CreateIndex" when existing && !HasAnnotation(call, "Npgsql:CreatedConcurrently", v => v == "true"):
                    Report(MigrationDescriptors.CreateIndexNotConcurrently, Str(call, "name") ?? "?", table!);
                    break;
                case "DropIndex" when existing:
                    Report(MigrationDescriptors.DropIndexNotConcurrently, Str(call, "name") ?? "?", table!);
                    break;
                case "AddForeignKey" when existing:
                    Report(MigrationDescriptors.AddForeignKeyValidated, Str(call, "name") ?? "?", table!);
                    break;
                case "AddUniqueConstraint" or "AddPrimaryKey" when existing:
                    Report(MigrationDescriptors.AddUniqueConstraint, Str(call, "name") ?? "?", table!);
                    break;
                case "AddCheckConstraint" when existing:
                    Report(MigrationDescriptors.AddCheckConstraintValidated, Str(call, "name") ?? "?", table!);
                    break;
                case "RenameColumn" or "RenameTable" or "RenameIndex" when call.TargetMethod.Name != "RenameIndex":
                    Report(MigrationDescriptors.Rename, table ?? "?");
                    break;
                case "DropColumn" or "DropTable" when existing:
                    Report(MigrationDescriptors.Drop, call.TargetMethod.Name == "DropTable" ? "table " + table : "column " + Str(call, "name") + " of " + table);
                    break;
                case "Sql":
                    var sql = Str(call, "sql");
                    if (sql is null)
                    {
                        break;
                    }

                    lintState.InTransaction = Bool(call, "suppressTransaction") != true;
                    foreach (var finding in MigrationLint.Lint(sql, new MigrationLintOptions { RequireLockTimeout = false }, lintState))
                    {
                        if (finding.Severity != LintSeverity.Error)
                        {
                            continue;
                        }

                        if (finding.RuleId == RuleIdentifiers.ConcurrentlyInTransaction)
                        {
                            Report(MigrationDescriptors.ConcurrentlyInTransaction);
                        }
                        else if (!allowed.Contains(finding.RuleId))
                        {
                            Report(MigrationDescriptors.UnsafeRawMigrationSql, finding.RuleId, finding.Message);
                        }
                    }

                    break;
            }
        }
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

    private static string? Key(string? schema, string? table) => table is null ? null : (schema ?? "") + "." + table;

    private static IArgumentOperation? Arg(IInvocationOperation call, string name)
        => call.Arguments.FirstOrDefault(a => a.Parameter?.Name == name && a.ArgumentKind != ArgumentKind.DefaultValue);

    private static string? Str(IInvocationOperation call, string name)
        => Arg(call, name) is { } a && EfContext.Unwrap(a.Value).ConstantValue is { HasValue: true, Value: string s } ? s : null;

    private static bool? Bool(IInvocationOperation call, string name)
        => Arg(call, name) is { } a && EfContext.Unwrap(a.Value).ConstantValue is { HasValue: true, Value: bool b } ? b : null;

    /// <summary>A chained <c>.Annotation("name", value)</c> on the operation builder the call returns.</summary>
    private static bool HasAnnotation(IInvocationOperation call, string name, Func<string, bool> value)
    {
        IOperation current = call;
        while (current.Parent is IInvocationOperation { TargetMethod.Name: "Annotation" } annotation && ReferenceEquals(annotation.Instance is null ? null : EfContext.Unwrap(annotation.Instance), current))
        {
            if (annotation.Arguments.Length == 2 && EfContext.Unwrap(annotation.Arguments[0].Value).ConstantValue.Value is string n && n == name)
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

    /// <summary>Lower-cased, single-spaced, and <c>timestamp(3) with time zone</c> written as <c>timestamp with time zone(3)</c>.</summary>
    private static string Norm(string type)
    {
        var t = Regex.Replace(type.Trim().ToLowerInvariant(), @"\s+", " ");
        return Regex.Replace(t, @"^(timestamp|time)\s*\((\d+)\)\s*(with(?:out)? time zone)$", "$1 $3($2)");
    }

    /// <summary>PostgreSQL changes that need no table rewrite: varchar widening or removal, varchar→text, numeric
    /// precision increase at the same scale, timestamp/time/interval precision increase, cidr→inet.</summary>
    internal static bool BinaryCoercible(string oldType, string newType)
    {
        var o = Norm(oldType);
        var n = Norm(newType);
        if ((o == "cidr" && n == "inet") || ((o.StartsWith("character varying", StringComparison.Ordinal) || o.StartsWith("varchar", StringComparison.Ordinal)) && n == "text"))
        {
            return true;
        }

        var om = SizedType.Match(o);
        var nm = SizedType.Match(n);
        if (!om.Success || !nm.Success || !SameFamily(om.Groups[1].Value, nm.Groups[1].Value))
        {
            return false;
        }

        if (!nm.Groups[3].Success)
        {
            return om.Groups[1].Value.Contains("var") || om.Groups[1].Value.StartsWith("bit", StringComparison.Ordinal); // varchar(n) -> varchar
        }

        if (!om.Groups[3].Success)
        {
            return false;
        }

        var oldSize = int.Parse(om.Groups[3].Value, CultureInfo.InvariantCulture);
        var newSize = int.Parse(nm.Groups[3].Value, CultureInfo.InvariantCulture);
        var sameScale = om.Groups[5].Value == nm.Groups[5].Value;
        return newSize >= oldSize && sameScale;
    }

    private static bool SameFamily(string a, string b)
    {
        static string F(string t) => t switch
        {
            "varchar" => "character varying",
            "decimal" => "numeric",
            "timestamptz" => "timestamp with time zone",
            "timestamp" => "timestamp without time zone",
            "varbit" => "bit varying",
            _ => t,
        };
        return F(a) == F(b);
    }
}
