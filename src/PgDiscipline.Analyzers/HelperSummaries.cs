using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>
/// PGD103's view of the methods declared in a compilation, gathered from the invocations the driver hands the analyzer
/// anyway: which methods run a query in their own body, which run one in a loop of their own (they are the batch), and
/// which methods of this compilation they call. A call in a loop is decided from these summaries at compilation end, so the
/// analyzer never binds another method's body itself (binding was nearly all of its time on a repository-heavy data layer).
/// </summary>
internal sealed class HelperSummaries
{
    private readonly EfContext _ef;
    private readonly ConcurrentDictionary<IMethodSymbol, Summary> _summaries = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _firstLevel = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _secondLevel = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _touches = new(SymbolEqualityComparer.Default);

    public HelperSummaries(EfContext ef) => _ef = ef;

    /// <summary>Records <paramref name="call"/> in the summary of every method or local function whose body holds it.</summary>
    public void Record(IInvocationOperation call, ISymbol containing, bool runsQuery, bool inLoop)
    {
        var callee = call.TargetMethod.OriginalDefinition;
        if (!runsQuery && callee.DeclaringSyntaxReferences.Length == 0)
        {
            return;
        }

        var method = containing as IMethodSymbol is { MethodKind: MethodKind.Ordinary } m ? m : null;
        if ((method is null && !InLocalFunction(call))
            // A query inside an expression tree is translated with the query that uses it; one in a cache's factory runs
            // once per cache entry; neither is a query of the helper's own.
            || _ef.InsideExpressionTree(call) || QueryChain.IsSubquery(call, _ef) || InsideCacheFactory(call))
        {
            return;
        }

        for (var current = call.Parent; current is not null; current = current.Parent)
        {
            if (current is ILocalFunctionOperation local)
            {
                Add(local.Symbol, callee, runsQuery, inLoop);
            }
        }

        if (method is not null)
        {
            Add(method, callee, runsQuery, inLoop);
        }
    }

    /// <summary>Whether calls in this body matter to the summaries: only a method that can reach the database is ever asked
    /// about (<see cref="Helper"/>), and a local function is asked about on its own.</summary>
    public bool Summarises(ISymbol containing, IOperation call)
        => (containing is IMethodSymbol { MethodKind: MethodKind.Ordinary } method && Touches(method)) || InLocalFunction(call);

    /// <summary>Whether a method could make a round trip at all (cheap: from its symbol; the summaries decide at the end).</summary>
    public bool CouldRunQuery(IMethodSymbol method) => ThroughDataAccess(method, _ => true);

    /// <summary>
    /// N+1 through a helper (bitwarden/server: <c>foreach (var id in ids) await db.BumpRevisionDateAsync(id);</c>): a method
    /// whose body runs a query or saves changes, directly or through a helper it calls (two levels); an interface or
    /// virtual method through its implementations here. Only once every body has been summarised (compilation end).
    /// </summary>
    public bool RunsQuery(IMethodSymbol method) => _firstLevel.GetOrAdd(method.OriginalDefinition, m => Helper(m, firstLevel: true));

    private bool Helper(IMethodSymbol method, bool firstLevel) => ThroughDataAccess(method, m => Body(m, firstLevel));

    /// <summary><paramref name="body"/> of the method, or for an interface or abstract/virtual method (a repository's
    /// GetByKey) of its implementations in the compilation; only methods that can reach the database count (an API
    /// client's method called in a loop is not data access).</summary>
    private bool ThroughDataAccess(IMethodSymbol method, System.Func<IMethodSymbol, bool> body)
    {
        if (method.IsAbstract || method.IsVirtual)
        {
            foreach (var implementation in _ef.Implementations(method))
            {
                if (!implementation.IsAbstract && Touches(implementation) && body(implementation))
                {
                    return true;
                }
            }

            if (method.IsAbstract)
            {
                return false;
            }
        }

        return Touches(method) && body(method);
    }

    private bool Touches(IMethodSymbol method) => _touches.GetOrAdd(method.OriginalDefinition, m => _ef.CouldTouchDatabase(m));

    /// <summary>Whether the method's own body runs a query (second level), or also through the helpers it calls (first
    /// level: Blogifier's <c>AddInternalAsync</c> → <c>GetSlugFromTitle</c>). A helper that runs its queries in a loop of
    /// its own (a sync per server, per library) is the batch: its per-item queries are reported in it, not in its caller.</summary>
    private bool Body(IMethodSymbol method, bool firstLevel)
    {
        if (!_summaries.TryGetValue(method.OriginalDefinition, out var summary))
        {
            return false;
        }

        if (summary.RunsInLoop)
        {
            return false;
        }

        var runs = summary.Runs;
        if (firstLevel)
        {
            foreach (var (callee, inLoop) in summary.Callees)
            {
                if (_secondLevel.GetOrAdd(callee, c => Helper(c, firstLevel: false)))
                {
                    if (inLoop)
                    {
                        return false;
                    }

                    runs = true;
                }
            }
        }

        return runs;
    }

    private void Add(IMethodSymbol owner, IMethodSymbol callee, bool runsQuery, bool inLoop)
    {
        if (!runsQuery && SymbolEqualityComparer.Default.Equals(owner.OriginalDefinition, callee))
        {
            return; // recursion adds nothing
        }

        var summary = _summaries.GetOrAdd(owner.OriginalDefinition, _ => new Summary());
        lock (summary)
        {
            if (runsQuery)
            {
                summary.Runs |= !inLoop;
                summary.RunsInLoop |= inLoop;
            }
            else
            {
                summary.Callees.Add((callee, inLoop));
            }
        }
    }

    private static bool InLocalFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is ILocalFunctionOperation)
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

    private sealed class Summary
    {
        public bool Runs;
        public bool RunsInLoop;
        public readonly List<(IMethodSymbol Callee, bool InLoop)> Callees = new();
    }
}
