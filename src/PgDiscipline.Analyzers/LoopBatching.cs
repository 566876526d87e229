using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>
/// PGD103's batching shapes: database work in a loop that is the recommended fix for N+1, not N+1 itself.
/// <list type="bullet">
/// <item>a loop over batches: <c>foreach (var chunk in ids.Chunk(200))</c> (the iteration variable is a collection used
/// as a whole), or a query filtered by a key list cut per iteration (<c>var batch = ids.Skip(i).Take(500).ToList();</c>
/// … <c>Where(e =&gt; batch.Contains(e.Id))</c>);</item>
/// <item>paging through one result set: <c>Skip(offset)</c> with an offset the loop advances, or a keyset page
/// (<c>Where(e =&gt; e.Id &gt; lastId).Take(n)</c> with <c>lastId</c> assigned in the loop body);</item>
/// <item>a periodic flush: the call guarded by <c>i % 100 == 0</c>, or by a comparison of a counter or buffer that lives
/// across iterations (<c>if (pending.Count &gt;= BatchSize)</c>).</item>
/// </list>
/// </summary>
internal static class LoopBatching
{
    private static readonly HashSet<string> Slicing = new(System.StringComparer.Ordinal) { "Skip", "Take", "GetRange", "Chunk", "Slice", "Batch" };

    public static bool IsBatched(IInvocationOperation call, IOperation loop, QueryChain? chain)
    {
        if (loop is IForEachLoopOperation forEach && IteratesBatches(forEach))
        {
            return true;
        }

        if (IsPeriodic(call, loop) || Drains(loop) || FlushesBuffer(call, loop))
        {
            return true;
        }

        return chain is not null && (FiltersByKeySlice(chain, loop) || Pages(chain, loop));
    }

    /// <summary><c>foreach (var chunk in …)</c> whose element is itself a collection (not a string), when the loop walks
    /// chunks (<c>Chunk</c>, <c>Batch</c>…) or the body uses the element as a whole set of keys or entities (<c>Contains</c>,
    /// <c>AddRange</c>/<c>UpdateRange</c>/<c>RemoveRange</c>). A CSV row read as <c>string[]</c> and indexed, or a group used
    /// for its <c>Key</c>, is one item per iteration: still N+1.</summary>
    private static bool IteratesBatches(IForEachLoopOperation loop)
    {
        if (loop.Locals.Length != 1 || loop.Locals[0] is not { } variable || !IsCollection(variable.Type))
        {
            return false;
        }

        if (EfContext.Unwrap(loop.Collection) is IInvocationOperation source
            && (source.TargetMethod.Name.Contains("Chunk") || source.TargetMethod.Name.Contains("Batch") || source.TargetMethod.Name.Contains("Partition")))
        {
            return true;
        }

        foreach (var use in loop.Body.Descendants().OfType<ILocalReferenceOperation>())
        {
            if (!SymbolEqualityComparer.Default.Equals(use.Local, variable))
            {
                continue;
            }

            IOperation holder = use;
            while (holder.Parent is IConversionOperation or IArgumentOperation)
            {
                holder = holder.Parent;
            }

            if (holder.Parent is IInvocationOperation { TargetMethod.Name: "Contains" or "AddRange" or "AddRangeAsync" or "UpdateRange" or "RemoveRange" or "AttachRange" })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The call writes a buffer that an inner loop of this iteration filled (Ombi's Emby sync: a page of shows
    /// read from the media server, then <c>AddRange(mediaToAdd)</c> once per page): one round trip per page, not per item.</summary>
    private static bool FlushesBuffer(IInvocationOperation call, IOperation loop)
    {
        foreach (var argument in call.Arguments)
        {
            if (Symbol(EfContext.Unwrap(argument.Value)) is not { } buffer || DeclaredIn(buffer, Body(loop)) || !IsCollection(argument.Value.Type ?? EfContext.Unwrap(argument.Value).Type))
            {
                continue;
            }

            var filled = Body(loop).Descendants().OfType<ILoopOperation>().Any(inner =>
                inner.Syntax.SpanStart < call.Syntax.SpanStart
                && inner.Body.Descendants().OfType<IInvocationOperation>().Any(add =>
                    (add.TargetMethod.Name is "Add" or "AddRange" && add.Instance is { } instance && Refers(instance, buffer))
                    || add.Arguments.Any(a => Refers(a.Value, buffer)))); // filled by a helper: ProcessMovies(item, mediaToAdd, …)
            if (filled)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A loop that works through a result set a bounded page at a time until it is exhausted: its condition reads
    /// a variable the body assigns from a query with <c>Take</c> (Oqtane's purges: <c>while (logs.Count &gt; 0) {
    /// RemoveRange(logs); SaveChanges(); logs = ….Take(100).ToList(); }</c>). Every round trip in it is one per page.</summary>
    private static bool Drains(IOperation loop)
    {
        if (loop is not IWhileLoopOperation { Condition: { } condition } whileLoop)
        {
            return false;
        }

        var tested = new HashSet<ISymbol>(condition.DescendantsAndSelf().Select(Symbol).Where(x => x is not null)!, SymbolEqualityComparer.Default);
        return tested.Count > 0 && whileLoop.Body.Descendants().OfType<ISimpleAssignmentOperation>().Any(a =>
            Symbol(EfContext.Unwrap(a.Target)) is { } target && tested.Contains(target)
            && a.Value.DescendantsAndSelf().Any(o => o is IInvocationOperation { TargetMethod.Name: "Take" }));
    }

    /// <summary>A lambda of the query tests membership in a key list cut per iteration: the loop's batch variable, or a
    /// local declared in the loop and assigned from a slice (<c>Skip</c>/<c>Take</c>/<c>GetRange</c>/<c>Chunk</c>…).</summary>
    private static bool FiltersByKeySlice(QueryChain chain, IOperation loop)
    {
        foreach (var op in chain.Operators)
        {
            foreach (var argument in op.Arguments)
            {
                if (EfContext.Lambda(argument.Value) is not { } lambda)
                {
                    continue;
                }

                foreach (var contains in lambda.Body.Descendants().OfType<IInvocationOperation>().Where(i => i.TargetMethod.Name == "Contains"))
                {
                    var set = contains.Instance ?? (contains.Arguments.Length > 0 ? contains.Arguments[0].Value : null);
                    if (set is not null && EfContext.Unwrap(set) is ILocalReferenceOperation local && IsCollection(local.Type)
                        && DeclaredIn(local.Local, loop) && IsSlice(local, loop))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool IsSlice(ILocalReferenceOperation local, IOperation loop)
    {
        if (loop is IForEachLoopOperation forEach && forEach.Locals.Contains(local.Local, SymbolEqualityComparer.Default))
        {
            return true;
        }

        return LocalFlow.AssignedValues(local).Any(v => v.DescendantsAndSelf().Any(o =>
            o is IInvocationOperation i && Slicing.Contains(i.TargetMethod.Name) || o is IRangeOperation));
    }

    /// <summary>Offset paging (<c>Skip(x)</c> with <c>x</c> changed by the loop) or keyset paging (a <c>Take</c> whose filter
    /// reads a variable the loop body assigns: the last key of the previous page).</summary>
    private static bool Pages(QueryChain chain, IOperation loop)
    {
        var writtenInLoop = Written(loop);
        var writtenInBody = Written(Body(loop));
        foreach (var op in chain.Operators)
        {
            var name = op.TargetMethod.Name;
            if (name == "Skip" && op.Arguments.Length > 1 && References(op.Arguments[1].Value, writtenInLoop))
            {
                return true;
            }
        }

        if (!chain.Operators.Any(o => o.TargetMethod.Name == "Take"))
        {
            return false;
        }

        return chain.Operators.Any(op => op.Arguments.Any(a => EfContext.Lambda(a.Value) is { } lambda && References(lambda.Body, writtenInBody)));
    }

    /// <summary>The call is guarded by a periodic condition: a remainder (<c>i % 100 == 0</c>), or a comparison of a counter
    /// the loop writes or of the size of a buffer kept across iterations (<c>pending.Count &gt;= 500</c>).</summary>
    private static bool IsPeriodic(IInvocationOperation call, IOperation loop)
    {
        for (var current = call.Parent; current is not null && !ReferenceEquals(current, loop); current = current.Parent)
        {
            if (current is IConditionalOperation { Condition: { } condition } && condition.DescendantsAndSelf().Any(o => IsPeriodicTest(o, loop, Written(loop))))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsPeriodicTest(IOperation operation, IOperation loop, HashSet<ISymbol> writtenInLoop)
    {
        if (operation is IBinaryOperation { OperatorKind: BinaryOperatorKind.Remainder })
        {
            return true;
        }

        if (operation is not IBinaryOperation { OperatorKind: BinaryOperatorKind.GreaterThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.Equals } comparison)
        {
            return false;
        }

        foreach (var (side, other) in new[] { (comparison.LeftOperand, comparison.RightOperand), (comparison.RightOperand, comparison.LeftOperand) })
        {
            if (!IsInteger(side.Type) || (other.ConstantValue.HasValue && other.ConstantValue.Value is 0 or null))
            {
                continue;
            }

            var s = EfContext.Unwrap(side);
            if (Symbol(s) is { } counter && writtenInLoop.Contains(counter) && !DeclaredIn(counter, Body(loop)))
            {
                return true;
            }

            var sized = s switch
            {
                IPropertyReferenceOperation { Property.Name: "Count" or "Length" } p => p.Instance,
                IInvocationOperation { TargetMethod.Name: "Count" } i => i.Instance ?? (i.Arguments.Length > 0 ? i.Arguments[0].Value : null),
                _ => null,
            };
            if (sized is not null && Symbol(EfContext.Unwrap(sized)) is { } buffer && buffer is ILocalSymbol or IFieldSymbol or IParameterSymbol && !DeclaredIn(buffer, loop))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInteger(ITypeSymbol? type)
        => type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16
            or SpecialType.System_UInt32 or SpecialType.System_UInt64;

    private static bool Refers(IOperation operation, ISymbol symbol)
        => Symbol(EfContext.Unwrap(operation)) is { } target && SymbolEqualityComparer.Default.Equals(target, symbol);

    private static IOperation Body(IOperation loop) => loop is ILoopOperation l ? l.Body : loop;

    /// <summary>Locals, fields and parameters assigned, compound-assigned or incremented inside <paramref name="scope"/>; once
    /// per loop (every call in a loop asks about the same loop).</summary>
    private static HashSet<ISymbol> Written(IOperation scope) => WrittenIn.GetValue(scope, CollectWritten);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IOperation, HashSet<ISymbol>> WrittenIn = new();

    private static HashSet<ISymbol> CollectWritten(IOperation scope)
    {
        var written = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var op in scope.DescendantsAndSelf())
        {
            var target = op switch
            {
                IAssignmentOperation assignment => assignment.Target,
                IIncrementOrDecrementOperation increment => increment.Target,
                _ => null,
            };
            if (target is not null && Symbol(EfContext.Unwrap(target)) is { } symbol)
            {
                written.Add(symbol);
            }
        }

        return written;
    }

    private static bool References(IOperation operation, HashSet<ISymbol> symbols)
        => symbols.Count > 0 && operation.DescendantsAndSelf().Any(o => Symbol(o) is { } s && symbols.Contains(s));

    private static ISymbol? Symbol(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IFieldReferenceOperation field => field.Field,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    private static bool DeclaredIn(ISymbol symbol, IOperation scope)
        => symbol is ILocalSymbol && symbol.DeclaringSyntaxReferences.Length > 0
            && scope.Syntax.Span.Contains(symbol.DeclaringSyntaxReferences[0].Span);

    private static bool IsCollection(ITypeSymbol? type)
        => type is not null && type.SpecialType != SpecialType.System_String
            && (type is IArrayTypeSymbol || type.AllInterfaces.Any(i => i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)
                || type.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T);
}
