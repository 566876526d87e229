using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
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
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.QueryInLoop, DiagnosticDescriptors.QueryInLoopThroughHelper);

    /// <summary>Every body is read, generated ones and files where PGD103 is off included: a helper's summary is needed
    /// wherever it is declared (a compilation-end analyzer that analyzes generated code is never skipped for a file). The
    /// driver still drops findings located in generated code.</summary>
    internal override GeneratedCodeAnalysisFlags GeneratedCode => GeneratedCodeAnalysisFlags.Analyze;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        // A call of a helper declared here is decided at compilation end, from the summaries of every method's body the
        // driver handed to this analyzer; a call that runs a query itself is reported at once.
        var summaries = new HelperSummaries(ef);
        var throughHelpers = new ConcurrentQueue<(IMethodSymbol Helper, Diagnostic Diagnostic)>();
        context.RegisterOperationAction(c => Analyze(c, ef, summaries, throughHelpers), OperationKind.Invocation);
        context.RegisterCompilationEndAction(c =>
        {
            foreach (var (helper, diagnostic) in throughHelpers)
            {
                if (summaries.RunsQuery(helper))
                {
                    c.ReportDiagnostic(diagnostic);
                }
            }
        });
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef, HelperSummaries summaries, ConcurrentQueue<(IMethodSymbol, Diagnostic)> throughHelpers)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;

        // Cheapest tests first: most calls neither could run a query nor have a body here.
        var couldRunQuery = IsQueryCallName(method.Name);
        var hasBody = method.OriginalDefinition.DeclaringSyntaxReferences.Length > 0;
        if (!couldRunQuery && !hasBody)
        {
            return;
        }

        // Outside a loop a call matters only to the summary of a body that could be a helper (one that can reach the database).
        var found = EnclosingLoop(invocation, ef);
        var summarise = summaries.Summarises(context.ContainingSymbol, invocation);
        if (found is null && !summarise)
        {
            return;
        }

        QueryChain? chain = null;
        var runsQuery = couldRunQuery && RunsQuery(invocation, ef, out chain);
        if (summarise)
        {
            summaries.Record(invocation, context.ContainingSymbol, runsQuery, found is not null);
        }

        if (found is not { } inLoop)
        {
            return;
        }

        var (loop, loopOperation) = inLoop;
        if (!runsQuery && (!hasBody || IsStrategyCall(invocation, loopOperation, ef) || !summaries.CouldRunQuery(method.OriginalDefinition)))
        {
            return;
        }

        if (ef.InsideExpressionTree(invocation) || LoopMemoisation.IsMemoised(invocation) || LoopBatching.IsBatched(invocation, loopOperation, chain))
        {
            return;
        }

        if (runsQuery)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.QueryInLoop, QueryChain.NameLocation(invocation), method.Name, loop, Advice(method.Name, runsQuery)));
        }
        else
        {
            throughHelpers.Enqueue((method.OriginalDefinition, Diagnostic.Create(DiagnosticDescriptors.QueryInLoopThroughHelper,
                QueryChain.NameLocation(invocation), method.Name, loop, Advice(method.Name, runsQuery))));
        }
    }

    /// <summary>A method name that could run a query: a terminal, <c>Find</c>, <c>SaveChanges</c>.</summary>
    internal static bool IsQueryCallName(string name)
        => Terminals.Contains(name) || name is "Find" or "FindAsync" or "SaveChanges" or "SaveChangesAsync";

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

        chain = QueryChain.BuiltAt(invocation, ef);
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
