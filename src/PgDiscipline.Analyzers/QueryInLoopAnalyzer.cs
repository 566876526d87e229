using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD103: a query executed inside a loop body (or a per-element LINQ lambda): the N+1 pattern.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class QueryInLoopAnalyzer : EfCoreAnalyzer
{
    /// <summary>Calls that run a query: the read terminals plus loads, updates and deletes.</summary>
    internal static readonly ImmutableHashSet<string> Terminals = RoutingFacts.Terminals.Union(new[]
    {
        "Contains", "Load", "LoadAsync", "ForEachAsync", "ExecuteUpdate", "ExecuteUpdateAsync", "ExecuteDelete", "ExecuteDeleteAsync",
        "ElementAt", "ElementAtOrDefault",
        "ExecuteSql", "ExecuteSqlAsync", "ExecuteSqlRaw", "ExecuteSqlRawAsync", "ExecuteSqlInterpolated", "ExecuteSqlInterpolatedAsync",
    });

    private static readonly ImmutableHashSet<string> PerElementOperators = ImmutableHashSet.Create(
        System.StringComparer.Ordinal, "Select", "SelectMany", "Where", "ForEach", "Any", "All", "Count", "Sum", "ToDictionary", "GroupBy", "OrderBy");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.QueryInLoop);

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        // Per compilation: whether a method declared in it runs a query (its body, or a helper it calls: two levels), and
        // whether it does in its own body (the second level).
        var helpers = new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        var nested = new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        var reach = new HelperReach(context.Compilation);
        context.RegisterOperationAction(c => Analyze(c, ef, helpers, nested, reach), OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef, ConcurrentDictionary<IMethodSymbol, bool> helpers, ConcurrentDictionary<IMethodSymbol, bool> nested, HelperReach reach)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;

        // Cheapest tests first: most calls neither could run a query nor have a body here, and most are not in a loop.
        var couldRunQuery = HelperReach.IsQueryCallName(method.Name);
        if ((!couldRunQuery && method.OriginalDefinition.DeclaringSyntaxReferences.Length == 0) || EnclosingLoop(invocation, ef) is not { } found)
        {
            return;
        }

        var (loop, loopOperation) = found;
        QueryChain? chain = null;
        var runsQuery = couldRunQuery && RunsQuery(invocation, ef, out chain);
        if (!runsQuery && IsStrategyCall(invocation, loopOperation, ef))
        {
            return;
        }

        // The helper's answer (binding its body) comes after the tests that only walk this method's operations.
        if ((!runsQuery && method.OriginalDefinition.DeclaringSyntaxReferences.Length == 0)
            || ef.InsideExpressionTree(invocation) || LoopMemoisation.IsMemoised(invocation)
            || (!runsQuery && !helpers.GetOrAdd(method.OriginalDefinition, m => HelperRunsQuery(m, context.Compilation, ef, nested, reach)))
            || LoopBatching.IsBatched(invocation, loopOperation, chain))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.QueryInLoop, QueryChain.NameLocation(invocation), method.Name, loop, Advice(method.Name, runsQuery)));
    }

    /// <summary><c>foreach (var rule in rules) await rule.Execute(request);</c>: a polymorphic call on the iteration variable
    /// (an interface or virtual method with several implementations) runs a different step per iteration, a loop over
    /// strategies rather than over data (found on Ombi's rule evaluator).</summary>
    private static bool IsStrategyCall(IInvocationOperation invocation, IOperation loop, EfContext ef)
        => loop is IForEachLoopOperation { Locals.Length: 1 } forEach
            && invocation.Instance is { } instance && EfContext.Unwrap(instance) is ILocalReferenceOperation local
            && SymbolEqualityComparer.Default.Equals(local.Local, forEach.Locals[0])
            && (invocation.TargetMethod.IsAbstract || invocation.TargetMethod.IsVirtual)
            && ef.Implementations(invocation.TargetMethod).Length >= 2;

    /// <summary>What to do instead, by what the call does (loading advice was wrong for a SaveChanges in a loop).</summary>
    internal static string Advice(string method, bool runsQuery) => method switch
    {
        "SaveChanges" or "SaveChangesAsync" => "save once after the loop",
        _ when method.StartsWith("ExecuteUpdate", System.StringComparison.Ordinal) || method.StartsWith("ExecuteDelete", System.StringComparison.Ordinal)
            || method.StartsWith("ExecuteSql", System.StringComparison.Ordinal) => "change all the rows in one statement",
        _ when !runsQuery => "pass all the items to it and let it make one query",
        _ => "load the data for all items in one query",
    };

    /// <summary>The invocation itself makes a round trip: a terminal of a chain rooted in EF, <c>Find</c>, or <c>SaveChanges</c>.</summary>
    private static bool RunsQuery(IInvocationOperation invocation, EfContext ef, out QueryChain? chain)
    {
        chain = null;
        var method = invocation.TargetMethod;
        if (method.Name is "Find" or "FindAsync" && ef.IsDbSet(method.ContainingType))
        {
            return true;
        }

        // A SaveChanges per iteration is a round trip (and a transaction) per item: save once after the loop.
        if (method.Name is "SaveChanges" or "SaveChangesAsync" && ef.IsDbContext(method.ContainingType))
        {
            return true;
        }

        if (Terminals.Contains(method.Name) && ef.IsIn(method, ef.Enumerable) && EnumeratedQuery(invocation, ef) is { } enumerated)
        {
            // `q.AsEnumerable().Join(list, …)` kept in a local and counted later: the query runs where it is enumerated.
            chain = QueryChain.Build(enumerated, ef);
            return chain.RootedInEf;
        }

        if (!Terminals.Contains(method.Name) || !QueryChain.IsChainMember(invocation, ef) || !QueryChain.IsOutermost(invocation, ef))
        {
            return false;
        }

        chain = QueryChain.Build(invocation, ef);
        return chain.RootedInEf;
    }

    /// <summary>The <c>AsEnumerable()</c> of an EF Core query that an in-memory terminal enumerates through in-memory
    /// operators and locals (<c>var played = repo.GetAll().Where(…).AsEnumerable().Join(…); played.Count()</c>).</summary>
    private static IInvocationOperation? EnumeratedQuery(IInvocationOperation terminal, EfContext ef)
    {
        var current = EfContext.SourceOf(terminal);
        for (var depth = 0; current is not null && depth < 12; depth++)
        {
            switch (current)
            {
                case IInvocationOperation { TargetMethod.Name: "AsEnumerable" or "AsAsyncEnumerable" } asEnumerable
                    when EfContext.SourceOf(asEnumerable) is { } source && ef.IsQueryable(source.Type):
                    return asEnumerable;
                case IInvocationOperation inMemory when ef.IsIn(inMemory.TargetMethod, ef.Enumerable) && !Terminals.Contains(inMemory.TargetMethod.Name):
                    current = EfContext.SourceOf(inMemory);
                    break;
                case ILocalReferenceOperation local when LocalFlow.ReachingValues(local).ToList() is { Count: 1 } values:
                    current = EfContext.Unwrap(values[0]);
                    break;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// N+1 through a helper (bitwarden/server: <c>foreach (var id in ids) await db.BumpRevisionDateAsync(id);</c>): a method
    /// declared in this compilation whose body runs a query or saves changes, directly or through a helper it calls (two
    /// levels); an interface or virtual method through its implementations here. Computed once per method per compilation.
    /// </summary>
    private static bool HelperRunsQuery(IMethodSymbol method, Compilation compilation, EfContext ef, ConcurrentDictionary<IMethodSymbol, bool>? nested, HelperReach reach)
    {
        // An interface or abstract/virtual method (a repository's GetByKey) runs what its implementations in the compilation run.
        if (method.IsAbstract || method.IsVirtual)
        {
            foreach (var implementation in ef.Implementations(method))
            {
                if (!implementation.IsAbstract && ef.CouldTouchDatabase(implementation) && BodyRunsQuery(implementation, compilation, ef, nested, reach))
                {
                    return true;
                }
            }

            if (method.IsAbstract)
            {
                return false;
            }
        }

        // Only methods that can reach the database are bound (an API client's method called in a loop is not).
        return ef.CouldTouchDatabase(method) && BodyRunsQuery(method, compilation, ef, nested, reach);
    }

    /// <summary>Whether the method's own body runs a query; with <paramref name="nested"/> (the first level), also through
    /// the helpers it calls (second level: Blogifier's <c>AddInternalAsync</c> → <c>GetSlugFromTitle</c>).</summary>
    private static bool BodyRunsQuery(IMethodSymbol method, Compilation compilation, EfContext ef, ConcurrentDictionary<IMethodSymbol, bool>? nested, HelperReach reach)
    {
        if (method.IsAbstract || method.DeclaringSyntaxReferences.Length == 0 || method.MethodKind is not (MethodKind.Ordinary or MethodKind.LocalFunction))
        {
            return false;
        }

        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax();
            if (!compilation.ContainsSyntaxTree(syntax.SyntaxTree))
            {
                continue;
            }

            var body = HelperReach.BodyOf(syntax);
#pragma warning disable RS1030 // Only for methods called inside loops, once per method per compilation (cached above).
            var model = compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
            // Binding a body is the costly part: only bodies that could reach a query call by name are bound (most
            // helpers called in loops are not data access at all).
            if (body is null || !(nested is null ? HelperReach.NamesAQueryCall(body) : reach.MayReachQuery(body)) || model.GetOperation(body) is not { } operation)
            {
                continue;
            }

            // A query inside an expression tree (a helper that only returns `e => db.Xs.Any(…)`, or composes an IQueryable
            // with a subquery) is translated with the query that uses it, never run by the helper.
            // A helper that walks a collection with database work in its own loop (a sync per server, per library) is the
            // batch: its per-item queries are reported in it, and the loop calling it once per server is not N+1 on top.
            var runs = false;
            foreach (var op in operation.DescendantsAndSelf())
            {
                if (op is not IInvocationOperation call || ef.InsideExpressionTree(call) || QueryChain.IsSubquery(call, ef) || InsideCacheFactory(call))
                {
                    continue;
                }

                var callee = call.TargetMethod.OriginalDefinition;
                if (RunsQuery(call, ef, out _)
                    || (nested is not null && !SymbolEqualityComparer.Default.Equals(callee, method) && callee.DeclaringSyntaxReferences.Length > 0
                        && nested.GetOrAdd(callee, m => HelperRunsQuery(m, compilation, ef, nested: null, reach))))
                {
                    if (EnclosingLoop(call, ef) is not null)
                    {
                        return false;
                    }

                    runs = true;
                }
            }

            if (runs)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A query in the factory lambda of a cache (<c>_cache.GetOrCreate(key, e =&gt; db.Xs.ToList())</c>, Oqtane's
    /// <c>GetCache</c>) runs once per cache entry, not once per call of the helper.</summary>
    private static bool InsideCacheFactory(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda)
            {
                var holder = lambda.Parent is IDelegateCreationOperation d ? d.Parent : lambda.Parent;
                if (holder?.Parent is IInvocationOperation { TargetMethod.Name: var name }
                    && (name.StartsWith("GetOr", System.StringComparison.Ordinal) || name.IndexOf("Cache", System.StringComparison.Ordinal) >= 0))
                {
                    return true;
                }
            }

            if (current is IMethodBodyOperation or ILocalFunctionOperation)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>"foreach loop", "for loop", "while loop" or "Select lambda" when the invocation runs once per iteration.</summary>
    private static (string Name, IOperation Loop)? EnclosingLoop(IOperation operation, EfContext ef)
    {
        for (var child = operation; child.Parent is { } parent; child = parent)
        {
            switch (parent)
            {
                case IForEachLoopOperation forEach when !ReferenceEquals(child, forEach.Collection):
                    return ("foreach loop", forEach);
                case IForLoopOperation forLoop when ReferenceEquals(child, forLoop.Body):
                    return ("for loop", forLoop);
                case IWhileLoopOperation whileLoop when ReferenceEquals(child, whileLoop.Body) && !IsPollingLoop(whileLoop) && !InsideTry(operation, whileLoop):
                    return ("while loop", whileLoop);
                case IAnonymousFunctionOperation lambda:
                    // A lambda runs per element when it is passed to an in-memory LINQ operator or List<T>.ForEach.
                    var argument = lambda.Parent is IDelegateCreationOperation d ? d.Parent : lambda.Parent;
                    if (argument?.Parent is IInvocationOperation call && PerElementOperators.Contains(call.TargetMethod.Name)
                        && (ef.IsIn(call.TargetMethod, ef.Enumerable) || (ef.ListOfT is not null && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType.OriginalDefinition, ef.ListOfT))))
                    {
                        return (call.TargetMethod.Name + " lambda", lambda);
                    }

                    // EF Core's execution strategy runs its lambda once, in place (Ombi's Sonarr sync: a DELETE per series
                    // inside `strategy.ExecuteAsync(async () => …)` in a foreach): look further out for the loop.
                    if (argument?.Parent is IInvocationOperation { TargetMethod: { Name: "Execute" or "ExecuteAsync" or "ExecuteInTransaction" or "ExecuteInTransactionAsync" } strategy }
                        && (strategy.ContainingNamespace?.ToDisplayString() ?? "").StartsWith("Microsoft.EntityFrameworkCore", System.StringComparison.Ordinal))
                    {
                        continue;
                    }

                    return null; // a lambda passed elsewhere (e.g. to a query, or as a callback) is not a loop
                case ILocalFunctionOperation or IMethodBodyOperation:
                    return null;
            }
        }

        return null;
    }

    /// <summary>A query inside a <c>try</c> within a while/do loop is a retry loop (one logical query), not N+1.</summary>
    private static bool InsideTry(IOperation operation, IOperation loop)
    {
        for (var current = operation.Parent; current is not null && !ReferenceEquals(current, loop); current = current.Parent)
        {
            if (current is ITryOperation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>while (true)</c> and <c>while (!token.IsCancellationRequested)</c> are polling/batch loops, not N+1.</summary>
    private static bool IsPollingLoop(IWhileLoopOperation loop)
    {
        if (loop.Condition is null || (loop.Condition.ConstantValue.HasValue && loop.Condition.ConstantValue.Value is true))
        {
            return true;
        }

        foreach (var op in loop.Condition.DescendantsAndSelf())
        {
            if (op is IPropertyReferenceOperation { Property.Name: "IsCancellationRequested" })
            {
                return true;
            }
        }

        return false;
    }
}
