using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>Reading a <c>MigrationBuilder</c> call: its constant arguments by parameter name (written or defaulted), the
/// annotations chained on the builder it returns, and where to report on it.</summary>
internal static class MigrationCall
{
    public static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    public static IArgumentOperation? Arg(IInvocationOperation call, string name)
        => call.Arguments.FirstOrDefault(a => a.Parameter?.Name == name);

    public static string? Str(IInvocationOperation call, string name)
        => Arg(call, name) is { } a && Unwrap(a.Value).ConstantValue is { HasValue: true, Value: string s } ? s : null;

    /// <summary>A bool argument, or the parameter's default when it was left out (<c>nullable</c> defaults to false).</summary>
    public static bool? Bool(IInvocationOperation call, string name)
        => Arg(call, name) is { } a && Unwrap(a.Value).ConstantValue is { HasValue: true, Value: bool b } ? b : null;

    public static int? Int(IInvocationOperation call, string name)
        => Arg(call, name) is { } a && Unwrap(a.Value).ConstantValue is { HasValue: true, Value: int i } ? i : null;

    /// <summary>Whether the argument was written and is not the constant null.</summary>
    public static bool HasValue(IInvocationOperation call, string name)
        => Arg(call, name) is { ArgumentKind: not ArgumentKind.DefaultValue } a && !(Unwrap(a.Value).ConstantValue is { HasValue: true, Value: null });

    /// <summary>The strings of a <c>string[]</c> argument (<c>columns: new[] { "a", "b" }</c>), or the one string of
    /// <paramref name="single"/>.</summary>
    public static string[] Strings(IInvocationOperation call, string single, string many)
    {
        if (Str(call, single) is { } one)
        {
            return new[] { one };
        }

        if (Arg(call, many) is { } a && Unwrap(a.Value) is IArrayCreationOperation { Initializer: { } init })
        {
            return init.ElementValues.Select(v => Unwrap(v).ConstantValue.Value as string).Where(v => v is not null).Select(v => v!).ToArray();
        }

        return Array.Empty<string>();
    }

    /// <summary>The value of a chained <c>.Annotation(name, value)</c> (or <c>.OldAnnotation</c>) on the builder the call
    /// returns, as text (<c>true</c>, or the enum member's name), or null.</summary>
    public static string? Annotation(IOperation call, string method, string name)
    {
        var current = call;
        while (current.Parent is IInvocationOperation { TargetMethod.Name: "Annotation" or "OldAnnotation" } annotation
            && annotation.Instance is not null && ReferenceEquals(Unwrap(annotation.Instance), current))
        {
            if (annotation.TargetMethod.Name == method && annotation.Arguments.Length == 2
                && Unwrap(annotation.Arguments[0].Value).ConstantValue.Value is string n && n == name)
            {
                var value = annotation.Arguments[1].Value;
                return Unwrap(value).ConstantValue.Value is bool b ? (b ? "true" : "false") : value.Syntax.ToString();
            }

            current = annotation;
        }

        return null;
    }

    /// <summary>The method name of the call (<c>CreateIndex</c> in <c>migrationBuilder.CreateIndex(…)</c>).</summary>
    public static Location NameLocation(IInvocationOperation invocation) => invocation.Syntax switch
    {
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } => member.Name.Identifier.GetLocation(),
        _ => invocation.Syntax.GetLocation(),
    };

    /// <summary>The CLR type's full name for Npgsql's implied column types (<see cref="PostgresFacts.ImpliedColumnType"/>).</summary>
    public static string? FullName(ITypeSymbol? type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        return type?.SpecialType switch
        {
            SpecialType.System_String => "System.String",
            SpecialType.System_Decimal => "System.Decimal",
            SpecialType.System_Int32 => "System.Int32",
            SpecialType.System_Int64 => "System.Int64",
            SpecialType.System_Int16 => "System.Int16",
            _ => null,
        };
    }
}
