using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PgDiscipline.Sql.Migrations;
using static PgDiscipline.Analyzers.MigrationCall;

namespace PgDiscipline.Analyzers;

/// <summary>
/// The second front end of the migration rules: reads a typed <c>MigrationBuilder</c> call (CreateTable, AddColumn,
/// AlterColumn, CreateIndex, AddForeignKey …) into the same schema operations the SQL reader makes of the statements EF
/// Core generates for it. Raw <c>Sql(…)</c> is not read here: its text goes through the SQL reader.
/// </summary>
internal static class MigrationBuilderReader
{
    private const string ValueGeneration = "Npgsql:ValueGenerationStrategy";

    public static void Read(IInvocationOperation call, int site, List<SchemaOperation> ops)
    {
        var method = call.TargetMethod.Name;
        var schema = Str(call, "schema");
        var tableName = Str(call, method is "CreateTable" or "DropTable" or "RenameTable" ? "name" : "table");
        var table = tableName is null ? "?" : schema is null ? tableName : schema + "." + tableName;
        var name = Str(call, "name") ?? "?";
        var count = ops.Count;
        switch (method)
        {
            case "CreateTable":
                ops.Add(CreateTable(call, table));
                break;
            case "DropTable":
                ops.Add(new DropTable(table));
                break;
            case "RenameTable":
                var newSchema = Str(call, "newSchema") ?? schema;
                var newName = Str(call, "newName") ?? tableName ?? "?";
                ops.Add(new RenameTable(table, newSchema is null ? newName : newSchema + "." + newName));
                break;
            case "AddColumn":
                ops.Add(new AddColumn(table, Column(call, name, call.TargetMethod.TypeArguments.FirstOrDefault(), call)));
                break;
            case "AlterColumn":
                AlterColumn(call, table, name, ops);
                break;
            case "DropColumn":
                ops.Add(new DropColumn(table, name));
                break;
            case "RenameColumn":
                ops.Add(new RenameColumn(table, name, Str(call, "newName") ?? "?"));
                break;
            case "CreateIndex":
                ops.Add(new CreateIndex(name, table)
                {
                    Concurrently = Annotation(call, "Annotation", "Npgsql:CreatedConcurrently") == "true",
                    Unique = Bool(call, "unique") == true,
                    Columns = Strings(call, "column", "columns"),
                });
                break;
            case "DropIndex":
                ops.Add(new DropIndex(name, tableName is null ? name : table));
                break;
            case "AddForeignKey":
                var principalSchema = Str(call, "principalSchema");
                var principal = Str(call, "principalTable");
                ops.Add(new AddConstraint(table, name, ConstraintKind.ForeignKey) { Referenced = principal is null ? null : principalSchema is null ? principal : principalSchema + "." + principal });
                break;
            case "AddUniqueConstraint" or "AddPrimaryKey":
                ops.Add(new AddConstraint(table, name, method == "AddPrimaryKey" ? ConstraintKind.PrimaryKey : ConstraintKind.Unique) { Columns = Strings(call, "column", "columns") });
                break;
            case "AddCheckConstraint":
                ops.Add(new AddConstraint(table, name, ConstraintKind.Check));
                break;
            case "DropForeignKey" or "DropPrimaryKey" or "DropUniqueConstraint" or "DropCheckConstraint":
                ops.Add(new DropConstraint(table, name));
                break;
            default:
                ops.Add(new OtherStatement(method));
                break;
        }

        var names = ops.Skip(count).SelectMany(o => o.Names).Where(n => n.Length > 21).SelectMany(n => n.Split('.')).Distinct().ToList();
        if (names.Count > 0)
        {
            ops.Add(new LongIdentifiers(names));
        }

        for (var i = count; i < ops.Count; i++)
        {
            ops[i] = ops[i] with { Site = site, Statement = site, Source = OperationSource.EfCore };
        }
    }

    private static void AlterColumn(IInvocationOperation call, string table, string name, List<SchemaOperation> ops)
    {
        var clr = call.TargetMethod.TypeArguments.Length == 1 ? FullName(call.TargetMethod.TypeArguments[0]) : null;
        var oldClr = Arg(call, "oldClrType") is { } a && Unwrap(a.Value) is ITypeOfOperation typeOf ? FullName(typeOf.TypeOperand) : clr;
        var newType = Str(call, "type") ?? PostgresFacts.ImpliedColumnType(clr, Int(call, "maxLength"), Int(call, "precision"), Int(call, "scale"));
        var oldType = Str(call, "oldType") ?? (Str(call, "type") is null
            ? PostgresFacts.ImpliedColumnType(oldClr, Int(call, "oldMaxLength"), Int(call, "oldPrecision"), Int(call, "oldScale"))
            : null);
        if (newType is not null)
        {
            ops.Add(new AlterColumnType(table, name, newType) { OldType = oldType, TypeRestated = true });
        }

        var nullable = Bool(call, "nullable");
        var oldNullable = Bool(call, "oldNullable");
        if (nullable == false && oldNullable == true)
        {
            ops.Add(new SetNotNull(table, name));
        }
        else if (nullable == true && oldNullable == false)
        {
            ops.Add(new DropNotNull(table, name));
        }

        if (IsIdentity(Annotation(call, "Annotation", ValueGeneration)) && !IsIdentity(Annotation(call, "OldAnnotation", ValueGeneration)))
        {
            ops.Add(new AddIdentity(table, name));
        }
    }

    /// <summary>A column of <c>AddColumn&lt;T&gt;(…)</c> or of CreateTable's <c>table.Column&lt;T&gt;(…)</c>.</summary>
    private static ColumnDefinition Column(IInvocationOperation call, string name, ITypeSymbol? clrType, IOperation annotated)
    {
        var clr = FullName(clrType);
        var type = Str(call, "type") ?? PostgresFacts.ImpliedColumnType(clr, Int(call, "maxLength"), Int(call, "precision"), Int(call, "scale"));
        var generation = Annotation(annotated, "Annotation", ValueGeneration);
        if (generation is not null && generation.IndexOf("Serial", StringComparison.Ordinal) >= 0 && type is not null)
        {
            type = PostgresFacts.NormalizeType(type) switch
            {
                "bigint" => "bigserial",
                "smallint" => "smallserial",
                _ => "serial",
            };
        }

        var defaultSql = Str(call, "defaultValueSql");
        var hasDefault = defaultSql is not null || HasValue(call, "defaultValue");
        return new ColumnDefinition(name, type)
        {
            NotNull = Bool(call, "nullable") == false,
            Default = hasDefault ? defaultSql ?? "(a constant)" : null,
            DefaultIsNull = defaultSql is not null && ColumnReader.IsNullConstant(defaultSql),
            DefaultCalls = ColumnReader.Calls(defaultSql),
            Identity = generation is not null && generation.IndexOf("Identity", StringComparison.Ordinal) >= 0,
            StoredGenerated = Str(call, "computedColumnSql") is not null && Bool(call, "stored") == true,
        } is var column && Str(call, "computedColumnSql") is not null && Bool(call, "stored") != true
            ? column with { NotNull = false } // a virtual computed column has a value in every row
            : column;
    }

    private static bool IsIdentity(string? generation)
        => generation is not null && (generation.IndexOf("Identity", StringComparison.Ordinal) >= 0 || generation.IndexOf("Serial", StringComparison.Ordinal) >= 0);

    /// <summary><c>CreateTable(name, columns: table => new { Id = table.Column&lt;long&gt;(…), … }, constraints: table => { table.PrimaryKey(…); table.ForeignKey(…); })</c>.</summary>
    private static CreateTable CreateTable(IInvocationOperation call, string table)
    {
        var columns = new List<ColumnDefinition>();
        var keys = new List<string>();
        var uniques = new List<string>();
        var references = new List<string>();
        if (Arg(call, "columns")?.Value is { } columnsLambda)
        {
            foreach (var initializer in columnsLambda.DescendantsAndSelf().OfType<IAnonymousObjectCreationOperation>().Take(1).SelectMany(o => o.Initializers))
            {
                if (initializer is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment
                    && ColumnCall(assignment.Value) is { } columnCall)
                {
                    var typeArgument = columnCall.TargetMethod.TypeArguments.FirstOrDefault();
                    columns.Add(Column(columnCall, Str(columnCall, "name") ?? property.Property.Name, typeArgument, columnCall));
                }
            }
        }

        if (Arg(call, "constraints")?.Value is { } constraints)
        {
            foreach (var inner in constraints.DescendantsAndSelf().OfType<IInvocationOperation>())
            {
                switch (inner.TargetMethod.Name)
                {
                    case "PrimaryKey":
                        keys.AddRange(PropertyNames(inner));
                        break;
                    case "UniqueConstraint":
                        uniques.AddRange(PropertyNames(inner));
                        break;
                    case "ForeignKey" when Str(inner, "principalTable") is { } principal:
                        references.Add(Str(inner, "principalSchema") is { } ps ? ps + "." + principal : principal);
                        break;
                }
            }
        }

        return new CreateTable(table) { Columns = columns, KeyColumns = keys, UniqueColumns = uniques, References = references };
    }

    /// <summary>The <c>table.Column&lt;T&gt;(…)</c> call inside an initializer value (under its <c>.Annotation(…)</c> calls).</summary>
    private static IInvocationOperation? ColumnCall(IOperation value)
    {
        IOperation? current = Unwrap(value);
        while (current is IInvocationOperation invocation)
        {
            if (invocation.TargetMethod.Name == "Column")
            {
                return invocation;
            }

            current = invocation.Instance is { } instance ? Unwrap(instance) : null;
        }

        return null;
    }

    /// <summary>The properties a key lambda selects: <c>x => x.Id</c> or <c>x => new { x.A, x.B }</c>.</summary>
    private static IEnumerable<string> PropertyNames(IInvocationOperation call)
        => call.Arguments.SelectMany(a => a.Value.DescendantsAndSelf()).OfType<IPropertyReferenceOperation>()
            .Where(p => p.Instance is IParameterReferenceOperation).Select(p => p.Property.Name).Distinct();
}
