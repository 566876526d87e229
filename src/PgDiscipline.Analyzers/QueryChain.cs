using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>
/// A LINQ-to-Entities query as written: the chain of query operators from the outermost call (usually the terminal
/// operator) down to its EF root (a DbSet, <c>Set&lt;T&gt;()</c>, <c>FromSql*</c>, <c>Database.SqlQuery*</c>), following a
/// local variable through its assignments in the same method (queries built across several statements).
/// </summary>
internal sealed class QueryChain
{
    // A query stored in a local is built by the assignments that reach the call: `q = q.Where(…)` after `var q = …`,
    // or one of `if (npgsql) q = … else q = …`. Each alternative is one variant of the query; a few are kept.
    private const int MaxVariants = 16;

    private QueryChain(IInvocationOperation? outermost, List<List<IInvocationOperation>> variants, bool rootedInEf, IOperation root)
    {
        _root = root;
        Outermost = outermost;
        Variants = variants;
        RootedInEf = rootedInEf;
        Operators = variants.Count == 1 ? variants[0] : variants.SelectMany(v => v).Distinct().ToList();
    }

    private readonly IOperation _root;

    public IInvocationOperation? Outermost { get; }

    /// <summary>True when <paramref name="op"/> was written in a helper method the query was followed into (not in the
    /// method where the query is analysed): a helper over the limit on its own is reported there, not at every caller.</summary>
    public bool FromHelper(IInvocationOperation op) => !ReferenceEquals(RoutingFacts.Root(op), _root);

    /// <summary>Operators of every variant, outermost first (what the chain may contain: AsSplitQuery, routing calls).</summary>
    public List<IInvocationOperation> Operators { get; }

    /// <summary>The queries this call may run, each as its operators outermost first: one, unless a followed local is
    /// assigned on alternative paths (<c>if (…) q = a; else q = b;</c>). Rules that count (joins, collections) take the
    /// worst variant; summing them counted both branches of an if as one query.</summary>
    public List<List<IInvocationOperation>> Variants { get; }

    public bool RootedInEf { get; }

    public bool Has(string name) => Operators.Any(o => o.TargetMethod.Name == name);
    /// <summary>Is this invocation part of a query chain (an operator, or a terminal applied to a query)?</summary>
    public static bool IsChainMember(IInvocationOperation invocation, EfContext ef)
    {
        if (ef.IsQueryOperator(invocation.TargetMethod))
        {
            return true;
        }

        var source = EfContext.SourceOf(invocation);
        if (ef.IsIn(invocation.TargetMethod, ef.RelationalDatabaseFacadeExtensions))
        {
            return true; // Database.SqlQuery*/ExecuteSql*
        }

        return ef.IsIn(invocation.TargetMethod, ef.Enumerable) && source is not null && ef.IsQueryable(source.Type);
    }

    /// <summary>True when no enclosing chain member uses this invocation as its source.</summary>
    public static bool IsOutermost(IInvocationOperation invocation, EfContext ef)
    {
        IOperation current = invocation;
        while (current.Parent is IConversionOperation or ITranslatedQueryOperation)
        {
            current = current.Parent;
        }

        var parent = current.Parent is IArgumentOperation arg ? arg.Parent : current.Parent;
        return !(parent is IInvocationOperation outer && IsChainMember(outer, ef) && ReferenceEquals(EfContext.SourceOf(outer), invocation));
    }

    /// <summary>True when the chain's value is stored in a local (it is counted where the local is consumed).</summary>
    public static bool IsStoredInLocal(IInvocationOperation invocation)
    {
        IOperation current = invocation;
        while (current.Parent is IConversionOperation or ITranslatedQueryOperation)
        {
            current = current.Parent;
        }

        return current.Parent is IVariableInitializerOperation
            || (current.Parent is ISimpleAssignmentOperation { Target: ILocalReferenceOperation });
    }

    /// <summary>The whole EF query ending at <paramref name="invocation"/>, when it is the outermost call of a chain that is not
    /// stored in a local (then it is analyzed where the local is consumed); null otherwise.</summary>
    public static QueryChain? AtOutermost(IInvocationOperation invocation, EfContext ef)
    {
        if (!IsChainMember(invocation, ef) || !IsOutermost(invocation, ef) || IsStoredInLocal(invocation) || IsSubquery(invocation, ef))
        {
            return null;
        }

        // PGD101 and PGD102 both need the chain of every query; the operation trees are shared between analyzers, so the
        // second one finds it built (the chain depends only on the compilation's symbols, the same for both).
        var chain = BuiltAt(invocation, ef);
        return chain.RootedInEf ? chain : null;
    }

    /// <summary><see cref="Build"/>, once per outermost invocation whichever rule asks first.</summary>
    public static QueryChain BuiltAt(IInvocationOperation outermost, EfContext ef) => Built.GetValue(outermost, i => Build(i, ef));

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IInvocationOperation, QueryChain> Built = new();

    /// <summary>The query PGD101/PGD102 analyse at <paramref name="operation"/>: the chain ending at an outermost invocation
    /// (<see cref="AtOutermost"/>), or the query a method returns from a local (<c>var q = …; q = q.Include(…); return q;</c>,
    /// a helper's query built in steps, which no invocation consumes in that method).</summary>
    public static (QueryChain? Chain, IOperation? At) AnalysedAt(IOperation operation, EfContext ef)
    {
        if (operation is IInvocationOperation invocation)
        {
            return (AtOutermost(invocation, ef), invocation);
        }

        if (operation is IReturnOperation { ReturnedValue: { } value } && operation.Kind == OperationKind.Return
            && EfContext.Unwrap(value) is ILocalReferenceOperation local && ef.IsQueryable(local.Type))
        {
            return (Of(local, ef), local);
        }

        return (null, null);
    }

    /// <summary>Is this query inside a lambda of another query (<c>.Where(c =&gt; !db.Xs.Any(…))</c>)? Then it is a subquery of
    /// that query's SQL, counted with it, not a query of its own (found on bitwarden/server: a NOT EXISTS subquery was
    /// reported as a second query next to the statement it belongs to). A compiled query's lambda is not a query's.</summary>
    public static bool IsSubquery(IOperation operation, EfContext ef)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda && ef.IsExpressionTree(lambda))
            {
                var holder = lambda.Parent;
                while (holder is IConversionOperation or IDelegateCreationOperation or IArgumentOperation)
                {
                    holder = holder.Parent;
                }

                if (holder is IInvocationOperation outer && IsChainMember(outer, ef))
                {
                    return true;
                }
            }

            if (current is ILocalFunctionOperation or IMethodBodyOperation)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>The query a value holds: a chain ending in it, or the query a local holds where it is read.</summary>
    public static QueryChain? Of(IOperation value, EfContext ef)
    {
        var unwrapped = EfContext.Unwrap(value);
        if (unwrapped is IInvocationOperation invocation && IsChainMember(invocation, ef))
        {
            var chain = Build(invocation, ef);
            return chain.RootedInEf ? chain : null;
        }

        if (unwrapped is ILocalReferenceOperation local)
        {
            var variants = FromValue(local, ef, 1, followHelpers: true).Where(v => v.Rooted).Take(MaxVariants).Select(v => v.Operators).ToList();
            return variants.Count > 0 ? new QueryChain(null, variants, rootedInEf: true, RoutingFacts.Root(local)) : null;
        }

        return null;
    }

    public static QueryChain Build(IInvocationOperation outermost, EfContext ef)
    {
        var all = Collect(outermost, ef, 0, followHelpers: true);
        var rooted = all.Where(v => v.Rooted).Select(v => v.Operators).ToList();
        var root = RoutingFacts.Root(outermost);
        return rooted.Count > 0
            ? new QueryChain(outermost, rooted, rootedInEf: true, root)
            : new QueryChain(outermost, [all.SelectMany(v => v.Operators).Distinct().ToList()], rootedInEf: false, root);
    }

    /// <summary>The operators of a query from <paramref name="start"/> inwards, one variant per way the query may be built.
    /// With <paramref name="followHelpers"/>, a call to a method of this compilation that returns a query (a helper or a
    /// repository method) is replaced by the query it returns, one level deep (<see cref="QueryHelpers"/>).</summary>
    internal static List<QueryVariant> Collect(IInvocationOperation start, EfContext ef, int depth, bool followHelpers)
    {
        var prefix = new List<IInvocationOperation>();
        IInvocationOperation current = start;
        while (true)
        {
            prefix.Add(current);
            if (ef.IsIn(current.TargetMethod, ef.RelationalDatabaseFacadeExtensions))
            {
                return [new QueryVariant(prefix, true)];
            }

            // A query helper of the compilation used as an operator (`this IQueryable<Item> q`): its operators, then its source.
            if (followHelpers && QueryHelpers.Expand(current, ef, depth) is { } expanded)
            {
                return Combine(prefix, expanded);
            }

            var source = EfContext.SourceOf(current);
            if (source is IInvocationOperation inner && IsChainMember(inner, ef))
            {
                current = inner;
                continue;
            }

            return source is null ? [new QueryVariant(prefix, false)] : Combine(prefix, FromValue(source, ef, depth, followHelpers));
        }
    }

    private static List<QueryVariant> Combine(List<IInvocationOperation> prefix, IEnumerable<QueryVariant> tails)
    {
        var variants = new List<QueryVariant>();
        foreach (var tail in tails)
        {
            if (variants.Count == MaxVariants)
            {
                break;
            }

            variants.Add(new QueryVariant([.. prefix, .. tail.Operators], tail.Rooted, tail.EndParameter));
        }

        return variants.Count > 0 ? variants : [new QueryVariant(prefix, false)];
    }

    /// <summary>The queries a value may hold: a chain, a local's reaching assignments, a helper's result, either arm of a
    /// conditional, or a root (a DbSet, a DbContext, any <c>IQueryable</c> of an entity type; a parameter is remembered,
    /// so a helper's query can be continued at its call site).</summary>
    internal static IEnumerable<QueryVariant> FromValue(IOperation value, EfContext ef, int depth, bool followHelpers)
    {
        var unwrapped = EfContext.Unwrap(value);
        switch (unwrapped)
        {
            case IInvocationOperation invocation when IsChainMember(invocation, ef):
                return Collect(invocation, ef, depth, followHelpers);
            case IInvocationOperation { TargetMethod.Name: "AsQueryable" } asQueryable when ef.IsIn(asQueryable.TargetMethod, ef.Queryable):
                // db.Users.AsQueryable() is the query; list.AsQueryable() is LINQ to Objects.
                return EfContext.SourceOf(asQueryable) is { } inner && ef.IsQueryable(inner.Type)
                    ? Combine([asQueryable], FromValue(inner, ef, depth, followHelpers))
                    : [new QueryVariant([], false)];
            case ILocalReferenceOperation local when depth < 8:
                return LocalFlow.ReachingValues(local).SelectMany(v => FromValue(v, ef, depth + 1, followHelpers)).Take(MaxVariants).ToList();
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional when depth < 8:
                return FromValue(conditional.WhenTrue, ef, depth + 1, followHelpers).Concat(FromValue(whenFalse, ef, depth + 1, followHelpers)).Take(MaxVariants).ToList();
            case ICoalesceOperation coalesce when depth < 8:
                return FromValue(coalesce.Value, ef, depth + 1, followHelpers).Concat(FromValue(coalesce.WhenNull, ef, depth + 1, followHelpers)).Take(MaxVariants).ToList();
            case IInvocationOperation call when followHelpers && QueryHelpers.Expand(call, ef, depth) is { } expanded:
                return expanded;
            case IInvocationOperation transform when depth < 8 && ef.IsQueryable(transform.Type)
                && transform.Arguments.FirstOrDefault(a => ef.IsQueryable(a.Value.Type)) is { } input:
                // A library's query transformer (AutoMapper's ProjectTo<Dto>(query), a paging helper): the query it is
                // given goes on (the joins its mapping adds are not seen).
                return Combine([transform], FromValue(input.Value, ef, depth + 1, followHelpers));
            case IParameterReferenceOperation parameter:
                return [new QueryVariant([], IsEfRoot(unwrapped, ef), parameter.Parameter)];
            default:
                return [new QueryVariant([], IsEfRoot(unwrapped, ef))];
        }
    }

    /// <summary>Where to report: the whole query expression for query syntax, else the method name.</summary>
    public static Location ReportLocation(IInvocationOperation invocation)
    {
        IOperation current = invocation;
        while (current.Parent is IConversionOperation conversion)
        {
            current = conversion;
        }

        if (current.Parent is ITranslatedQueryOperation query)
        {
            // The query's first clause (`from u in db.Users`), not the whole expression (up to 65 lines on real code).
            return query.Syntax is QueryExpressionSyntax expression ? expression.FromClause.GetLocation() : query.Syntax.GetLocation();
        }

        // AsEnumerable() runs nothing: the query runs at the in-memory call that enumerates it (`.AsEnumerable().Select(…).ToList()`).
        if (invocation.TargetMethod.Name is "AsEnumerable" or "AsAsyncEnumerable")
        {
            IOperation executing = invocation;
            while (executing.Parent is IConversionOperation or IArgumentOperation { Parameter.Ordinal: 0 }
                && (executing.Parent is IConversionOperation || executing.Parent.Parent is IInvocationOperation { TargetMethod.IsExtensionMethod: true }))
            {
                executing = executing.Parent is IArgumentOperation argument ? argument.Parent! : executing.Parent;
            }

            return executing is IInvocationOperation outer ? NameLocation(outer) : NameLocation(invocation);
        }

        return NameLocation(invocation);
    }

    /// <summary>Where an EF Core query starts: a DbSet, a DbContext (<c>Set&lt;T&gt;()</c>, <c>Database</c>), or by its type any
    /// <c>IQueryable</c> of an entity type (a repository's <c>Query()</c>, a field, a specification's input).</summary>
    private static bool IsEfRoot(IOperation source, EfContext ef)
        => ef.IsDbSet(source.Type) || ef.IsDbContext(source.Type) || ef.IsEntityQuery(source.Type);

    /// <summary>The navigation path an Include/ThenInclude names: <c>Orders</c>, <c>Team.Company</c>, the string of a string
    /// Include, or <c>?</c>.</summary>
    public static string IncludePath(IInvocationOperation include)
    {
        var argument = include.Arguments.Length > 1 ? EfContext.Unwrap(include.Arguments[1].Value) : null;
        if (argument is not null && argument.ConstantValue.HasValue && argument.ConstantValue.Value is string text)
        {
            return text; // Include("Orders.Lines")
        }

        if (argument is not null && EfContext.Lambda(argument) is { } lambda)
        {
            var body = lambda.Body.Operations.LastOrDefault();
            var value = body is IReturnOperation ret ? ret.ReturnedValue : body;
            var names = new List<string>();
            for (var current = value is null ? null : EfContext.Unwrap(value); current is not null;)
            {
                switch (current)
                {
                    case IPropertyReferenceOperation property:
                        names.Insert(0, property.Property.Name);
                        current = property.Instance is null ? null : EfContext.Unwrap(property.Instance);
                        break;
                    case IInvocationOperation filtered when filtered.Arguments.Length > 0: // filtered include: x.Orders.Where(…)
                        current = EfContext.Unwrap(filtered.Arguments[0].Value);
                        break;
                    default:
                        current = null;
                        break;
                }
            }

            return names.Count > 0 ? string.Join(".", names) : "?";
        }

        return "?";
    }

    /// <summary>The location to report on: the called method's name (e.g. <c>ToListAsync</c>).</summary>
    public static Location NameLocation(IInvocationOperation invocation)
    {
        return invocation.Syntax switch
        {
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } => member.Name.Identifier.GetLocation(),
            InvocationExpressionSyntax { Expression: SimpleNameSyntax name } => name.Identifier.GetLocation(),
            _ => invocation.Syntax.GetLocation(),
        };
    }

    /// <summary>The SQL text of a constant or interpolated string argument (holes become <c>$n</c>), or null.</summary>
    public static string? SqlText(IOperation value)
    {
        value = EfContext.Unwrap(value);
        if (value.ConstantValue.HasValue && value.ConstantValue.Value is string constant)
        {
            return constant;
        }

        if (value is IInterpolatedStringOperation interpolated)
        {
            var sb = new StringBuilder();
            var n = 0;
            foreach (var part in interpolated.Parts)
            {
                if (part is IInterpolatedStringTextOperation text && text.Text.ConstantValue.Value is string s)
                {
                    sb.Append(s);
                }
                else
                {
                    sb.Append('$').Append(++n);
                }
            }

            return sb.ToString();
        }

        return null;
    }
}
