using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD103: a lookup memoised in state that outlives an iteration runs at most once per loop, not per item.</summary>
internal static class LoopMemoisation
{
    /// <summary>A lookup run at most once by the loop: <c>x ??= await query</c>, or <c>if (x == null) x = await query</c> /
    /// <c>if (x is null) { x = … }</c> (found on PiranhaCMS: a language looked up on the first iteration that needs it).</summary>
    public static bool IsMemoised(IInvocationOperation invocation)
    {
        IOperation value = invocation;
        while (value.Parent is IAwaitOperation or IConversionOperation
            || (value.Parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configure && ReferenceEquals(configure.Instance, value)))
        {
            value = value.Parent;
        }

        if (value.Parent is ICoalesceAssignmentOperation coalesce && ReferenceEquals(coalesce.Value, value))
        {
            return true;
        }

        if (value.Parent is not ISimpleAssignmentOperation assignment || !ReferenceEquals(assignment.Value, value) || TargetOf(assignment.Target) is not { } target)
        {
            return false;
        }

        for (var current = assignment.Parent; current is not null; current = current.Parent)
        {
            if (current is IConditionalOperation conditional && ChecksNull(conditional.Condition, target) && !IsInside(assignment, conditional.WhenFalse))
            {
                // Only state that outlives an iteration is a memo: a local declared in the loop body is null again on the
                // next iteration (PiranhaCMS's tag lookups: `var tag = …; if (tag == null) tag = …` runs per tag).
                return !DeclaredInsideLoop(target, conditional);
            }

            if (current is ILoopOperation or IAnonymousFunctionOperation or ILocalFunctionOperation or IMethodBodyOperation)
            {
                return false;
            }
        }

        return false;
    }

    private static bool DeclaredInsideLoop(ISymbol target, IOperation from)
    {
        if (target is not ILocalSymbol local || local.DeclaringSyntaxReferences.Length == 0)
        {
            return false;
        }

        var declared = local.DeclaringSyntaxReferences[0].Span;
        for (var current = from.Parent; current is not null; current = current.Parent)
        {
            if (current is ILoopOperation loop)
            {
                return loop.Syntax.Span.Contains(declared);
            }
        }

        return false;
    }

    private static ISymbol? TargetOf(IOperation target) => target switch
    {
        ILocalReferenceOperation local => local.Local,
        IFieldReferenceOperation field => field.Field,
        IPropertyReferenceOperation property => property.Property,
        _ => null,
    };

    /// <summary><c>x == null</c>, <c>null == x</c>, <c>x is null</c> (possibly as one operand of <c>&amp;&amp;</c>).</summary>
    private static bool ChecksNull(IOperation condition, ISymbol target)
    {
        switch (condition)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and:
                return ChecksNull(and.LeftOperand, target) || ChecksNull(and.RightOperand, target);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals:
                return (IsNull(equals.RightOperand) && Refers(equals.LeftOperand, target)) || (IsNull(equals.LeftOperand) && Refers(equals.RightOperand, target));
            case IIsPatternOperation { Pattern: IConstantPatternOperation constant } pattern:
                return IsNull(constant.Value) && Refers(pattern.Value, target);
            default:
                return false;
        }
    }

    private static bool IsNull(IOperation operation)
        => operation.ConstantValue.HasValue && operation.ConstantValue.Value is null;

    private static bool Refers(IOperation operation, ISymbol target)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return TargetOf(operation) is { } symbol && SymbolEqualityComparer.Default.Equals(symbol, target);
    }

    private static bool IsInside(IOperation operation, IOperation? container)
    {
        for (var current = operation; current is not null; current = current.Parent)
        {
            if (ReferenceEquals(current, container))
            {
                return true;
            }
        }

        return false;
    }
}
