using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>Facts about writes, transactions and routing scopes in a method body, shared by PGD201–PGD204.</summary>
internal static class RoutingFacts
{
    public static readonly ImmutableHashSet<string> Terminals = ImmutableHashSet.Create(
        System.StringComparer.Ordinal,
        "ToList", "ToListAsync", "ToArray", "ToArrayAsync", "ToDictionary", "ToDictionaryAsync", "ToHashSet", "ToHashSetAsync",
        "First", "FirstAsync", "FirstOrDefault", "FirstOrDefaultAsync", "Single", "SingleAsync", "SingleOrDefault", "SingleOrDefaultAsync",
        "Last", "LastAsync", "LastOrDefault", "LastOrDefaultAsync", "Count", "CountAsync", "LongCount", "LongCountAsync",
        "Any", "AnyAsync", "All", "AllAsync", "Sum", "SumAsync", "Min", "MinAsync", "Max", "MaxAsync", "Average", "AverageAsync",
        "ContainsAsync", "ElementAtAsync", "ElementAtOrDefaultAsync");

    private static readonly ImmutableHashSet<string> WriteMethods = ImmutableHashSet.Create(
        System.StringComparer.Ordinal,
        "SaveChanges", "SaveChangesAsync", "ExecuteUpdate", "ExecuteUpdateAsync", "ExecuteDelete", "ExecuteDeleteAsync",
        "ExecuteSql", "ExecuteSqlAsync", "ExecuteSqlRaw", "ExecuteSqlRawAsync", "ExecuteSqlInterpolated", "ExecuteSqlInterpolatedAsync",
        "Add", "AddAsync", "AddRange", "AddRangeAsync", "Remove", "RemoveRange", "Update", "UpdateRange", "Attach", "AttachRange");

    /// <summary>An invocation that writes through EF Core (on a DbContext, a DbSet, a query, or Database).</summary>
    public static bool IsWrite(IInvocationOperation invocation, EfContext ef)
    {
        var method = invocation.TargetMethod;
        if (!WriteMethods.Contains(method.Name))
        {
            return false;
        }

        return ef.IsDbContext(method.ContainingType) || ef.IsDbSet(method.ContainingType)
            || ef.IsRelationalExtension(method) || ef.IsIn(method, ef.EfQueryableExtensions);
    }

    public static bool IsRoutingCall(IInvocationOperation invocation, EfContext ef, string name)
        => invocation.TargetMethod.Name == name && ef.IsIn(invocation.TargetMethod, ef.RoutingExtensions);

    public static bool IsScopeCall(IInvocationOperation invocation, EfContext ef, string name)
        => invocation.TargetMethod.Name == name && ef.IsIn(invocation.TargetMethod, ef.PgDisciplineRouting);

    public static bool IsBeginTransaction(IOperation op, EfContext ef)
        => (op is IInvocationOperation { TargetMethod.Name: "BeginTransaction" or "BeginTransactionAsync" })
            || (op is IObjectCreationOperation creation && ef.TransactionScope is not null
                && SymbolEqualityComparer.Default.Equals(creation.Type, ef.TransactionScope));

    public static IOperation Root(IOperation operation)
    {
        while (operation.Parent is not null)
        {
            operation = operation.Parent;
        }

        return operation;
    }

    /// <summary>Is <paramref name="operation"/> inside the region governed by a resource matching <paramref name="isResource"/>:
    /// the body of <c>using (resource) { … }</c>, or the rest of the block after <c>using var x = resource;</c> or
    /// <c>var x = resource;</c>, until a Commit/Rollback on it.</summary>
    public static bool InsideRegion(IOperation operation, System.Func<IOperation, bool> isResource)
    {
        var position = operation.Syntax.SpanStart;
        for (var current = operation; current.Parent is { } parent; current = parent)
        {
            if (parent is IUsingOperation @using && ReferenceEquals(current, @using.Body) && @using.Resources.DescendantsAndSelf().Any(isResource))
            {
                return true;
            }

            if (parent is IBlockOperation block)
            {
                foreach (var statement in block.Operations)
                {
                    if (statement.Syntax.SpanStart >= position)
                    {
                        break;
                    }

                    if (statement is IUsingDeclarationOperation or IVariableDeclarationGroupOperation or IExpressionStatementOperation
                        && statement.DescendantsAndSelf().Any(isResource)
                        && !Ended(block, statement.Syntax.SpanStart, position))
                    {
                        return true;
                    }
                }
            }

            if (parent is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return false;
    }

    private static bool Ended(IBlockOperation block, int from, int to)
        => block.Descendants().OfType<IInvocationOperation>().Any(i =>
            i.Syntax.SpanStart > from && i.Syntax.SpanStart < to && i.TargetMethod.Name is "Commit" or "CommitAsync" or "Rollback" or "RollbackAsync");

    /// <summary>True when the method containing <paramref name="operation"/> writes anywhere.</summary>
    public static bool MethodWrites(IOperation operation, EfContext ef)
        => Root(operation).Descendants().OfType<IInvocationOperation>().Any(i => IsWrite(i, ef));

    /// <summary>True when a write happens earlier in the same method.</summary>
    public static bool WriteBefore(IOperation operation, EfContext ef)
        => Root(operation).Descendants().OfType<IInvocationOperation>().Any(i => i.Syntax.SpanStart < operation.Syntax.SpanStart && IsWrite(i, ef));

    public static bool ChainHas(QueryChain chain, EfContext ef, string name)
        => chain.Operators.Any(o => IsRoutingCall(o, ef, name));
}
