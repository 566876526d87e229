using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD104: a <c>*Raw</c> API given SQL built by interpolation, concatenation, <c>string.Format</c> or a non-constant value.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RawSqlInjectionAnalyzer : EfCoreAnalyzer
{
    /// <summary>The raw API and its parameterised replacement.</summary>
    internal static readonly ImmutableDictionary<string, string> Replacements = new[]
    {
        ("FromSqlRaw", "FromSql"), ("ExecuteSqlRaw", "ExecuteSql"), ("ExecuteSqlRawAsync", "ExecuteSqlAsync"), ("SqlQueryRaw", "SqlQuery"),
    }.ToImmutableDictionary(p => p.Item1, p => p.Item2);

    /// <summary>Diagnostic property: set when the argument is an interpolated string (the code fix can rewrite it).</summary>
    internal const string FixableProperty = "Interpolated";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.RawSqlInjection);

    /// <inheritdoc />
    internal override bool IsApplicable(EfContext ef) => ef.HasRelational;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        context.RegisterOperationAction(c => Analyze(c, ef), OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (Finding(invocation, ef) is not { } finding)
        {
            return;
        }

        var (sql, how, replacement) = finding;
        var method = invocation.TargetMethod;
        var properties = EfContext.Unwrap(sql.Value) is IInterpolatedStringOperation && OnlySqlAndToken(invocation)
            ? ImmutableDictionary<string, string?>.Empty.Add(FixableProperty, replacement)
            : ImmutableDictionary<string, string?>.Empty;
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.RawSqlInjection, QueryChain.NameLocation(invocation), properties, method.Name, how, replacement));
    }

    /// <summary>What PGD104 reports on <paramref name="invocation"/>: the SQL argument, how it was built and the safe API;
    /// null when it reports nothing (also used by <see cref="RawSqlDuplicateSuppressor"/>).</summary>
    internal static (IArgumentOperation Sql, string How, string Replacement)? Finding(IInvocationOperation invocation, EfContext ef)
    {
        var method = invocation.TargetMethod;
        if (!Replacements.TryGetValue(method.Name, out var replacement) || !ef.IsRelationalExtension(method))
        {
            return null;
        }

        var sql = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "sql");
        return sql is not null && Describe(sql.Value, 0) is { } how ? (sql, how, replacement) : null;
    }

    private static bool OnlySqlAndToken(IInvocationOperation invocation)
        => invocation.Arguments.All(a => a.Parameter?.Name is "sql" or "cancellationToken" or "databaseFacade" or "source"
            || (a.ArgumentKind == ArgumentKind.ParamArray && a.Value is IArrayCreationOperation { Initializer.ElementValues.Length: 0 }));

    /// <summary>How the SQL was built, or null when it is constant.</summary>
    internal static string? Describe(IOperation value, int depth)
    {
        value = EfContext.Unwrap(value);
        if (value.ConstantValue.HasValue)
        {
            return null;
        }

        switch (value)
        {
            case IInterpolatedStringOperation:
                return "string interpolation";
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add }:
                return "concatenation";
            case IInvocationOperation { TargetMethod.Name: "Format", TargetMethod.ContainingType.SpecialType: SpecialType.System_String }:
                return "string.Format";
            case IInvocationOperation { TargetMethod.Name: "Concat" or "Join", TargetMethod.ContainingType.SpecialType: SpecialType.System_String }:
                return "concatenation";
            case IInvocationOperation { TargetMethod.Name: "ToString", TargetMethod.ContainingType.Name: "StringBuilder" }:
                return "a StringBuilder";
            case ILocalReferenceOperation local when depth < 4:
                // A local is fine when every value it is given is constant.
                foreach (var assigned in LocalFlow.AssignedValues(local))
                {
                    if (Describe(assigned, depth + 1) is { } inner)
                    {
                        return inner + " (through local '" + local.Local.Name + "')";
                    }
                }

                return null;
            case IFieldReferenceOperation { Field: { IsReadOnly: true, IsStatic: true } field }:
                // static readonly string Sql = "…";
                var initializer = field.DeclaringSyntaxReferences.Select(r => r.GetSyntax()).OfType<VariableDeclaratorSyntax>().FirstOrDefault()?.Initializer?.Value;
                return initializer is LiteralExpressionSyntax ? null : "a non-constant field";
            case IParameterReferenceOperation parameter:
                return "a parameter ('" + parameter.Parameter.Name + "')";
            default:
                return "a non-constant value";
        }
    }
}
