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

    private QueryChain(IInvocationOperation? outermost, List<List<IInvocationOperation>> variants, bool rootedInEf)
    {
        Outermost = outermost;
        Variants = variants;
        RootedInEf = rootedInEf;
        Operators = variants.Count == 1 ? variants[0] : variants.SelectMany(v => v).Distinct().ToList();
    }

    public IInvocationOperation? Outermost { get; }

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
        var chain = Built.GetValue(invocation, i => Build(i, ef));
        return chain.RootedInEf ? chain : null;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IInvocationOperation, QueryChain> Built = new();

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
            var variants = FromLocal(local, ef, 1).Where(v => v.Rooted).Take(MaxVariants).Select(v => v.Operators).ToList();
            return variants.Count > 0 ? new QueryChain(null, variants, rootedInEf: true) : null;
        }

        return null;
    }

    public static QueryChain Build(IInvocationOperation outermost, EfContext ef)
    {
        var all = Collect(outermost, ef, 0);
        var rooted = all.Where(v => v.Rooted).Select(v => v.Operators).ToList();
        return rooted.Count > 0
            ? new QueryChain(outermost, rooted, rootedInEf: true)
            : new QueryChain(outermost, [all.SelectMany(v => v.Operators).Distinct().ToList()], rootedInEf: false);
    }

    private readonly struct Variant
    {
        public Variant(List<IInvocationOperation> operators, bool rooted)
        {
            Operators = operators;
            Rooted = rooted;
        }

        public List<IInvocationOperation> Operators { get; }

        public bool Rooted { get; }
    }

    private static List<Variant> Collect(IInvocationOperation start, EfContext ef, int depth)
    {
        var prefix = new List<IInvocationOperation>();
        IInvocationOperation current = start;
        while (true)
        {
            prefix.Add(current);
            if (ef.IsIn(current.TargetMethod, ef.RelationalDatabaseFacadeExtensions))
            {
                return [new Variant(prefix, true)];
            }

            var source = EfContext.SourceOf(current);
            switch (source)
            {
                case IInvocationOperation inner when IsChainMember(inner, ef):
                    current = inner;
                    continue;
                case ILocalReferenceOperation local when depth < 8:
                    var variants = new List<Variant>();
                    foreach (var tail in FromLocal(local, ef, depth + 1))
                    {
                        if (variants.Count == MaxVariants)
                        {
                            break;
                        }

                        variants.Add(new Variant([.. prefix, .. tail.Operators], tail.Rooted));
                    }

                    return variants.Count > 0 ? variants : [new Variant(prefix, false)];
                default:
                    return [new Variant(prefix, source is not null && IsEfRoot(source, ef))];
            }
        }
    }

    private static IEnumerable<Variant> FromLocal(ILocalReferenceOperation local, EfContext ef, int depth)
    {
        foreach (var value in ReachingValues(local))
        {
            var unwrapped = EfContext.Unwrap(value);
            if (unwrapped is IInvocationOperation assigned && IsChainMember(assigned, ef))
            {
                foreach (var v in Collect(assigned, ef, depth))
                {
                    yield return v;
                }
            }
            else if (unwrapped is ILocalReferenceOperation other && depth < 8)
            {
                foreach (var v in FromLocal(other, ef, depth + 1))
                {
                    yield return v;
                }
            }
            else
            {
                yield return new Variant([], IsEfRoot(unwrapped, ef));
            }
        }
    }

    /// <summary>The values of a local that can reach this reference: the last assignment before it on every path (one
    /// in a block the reference is in), and the assignments after that one made only on some paths (in an if, a loop, a
    /// switch, a try). Assignments after the reference do not reach it; without any before it (a use in a loop or a
    /// lambda ahead of the assignment) every assignment counts.</summary>
    internal static IEnumerable<IOperation> ReachingValues(ILocalReferenceOperation reference)
    {
        var root = (IOperation)reference;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        if (!AssignmentsIn(root).TryGetValue(reference.Local, out var assignments))
        {
            return [];
        }

        var at = reference.Syntax.SpanStart;
        var before = assignments
            .Where(a => a.Definition.Syntax.Span.End <= at && !OnAnotherBranch(a.Definition, reference.Syntax.Span))
            .OrderBy(a => a.Definition.Syntax.SpanStart)
            .ToList();
        if (before.Count == 0)
        {
            return assignments.Select(a => a.Value);
        }

        var lastOnEveryPath = before.FindLastIndex(a => OnEveryPathTo(a.Definition, reference.Syntax.Span));
        return before.Skip(System.Math.Max(lastOnEveryPath, 0)).Select(a => a.Value);
    }

    /// <summary>Is the assignment in one branch of an if / ?: / switch and the use in another (they never both run)?</summary>
    private static bool OnAnotherBranch(IOperation definition, Microsoft.CodeAnalysis.Text.TextSpan use)
    {
        IOperation child = definition;
        for (var node = definition.Parent; node is not null; child = node, node = node.Parent)
        {
            if (!node.Syntax.Span.Contains(use))
            {
                continue;
            }

            // The first construct holding both: are they in different arms of it?
            return node switch
            {
                IConditionalOperation conditional when conditional.WhenFalse is { } whenFalse =>
                    (ReferenceEquals(child, conditional.WhenTrue) && whenFalse.Syntax.Span.Contains(use))
                    || (ReferenceEquals(child, whenFalse) && conditional.WhenTrue.Syntax.Span.Contains(use)),
                ISwitchOperation => child is ISwitchCaseOperation && !child.Syntax.Span.Contains(use),
                _ => false,
            };
        }

        return false;
    }

    /// <summary>Is this assignment made on every path from it to <paramref name="use"/>: between it and the first
    /// construct that also holds the use, only statements, declarations and blocks (no if, loop, switch, try, ?:).</summary>
    private static bool OnEveryPathTo(IOperation definition, Microsoft.CodeAnalysis.Text.TextSpan use)
    {
        for (var node = definition.Parent; node is not null; node = node.Parent)
        {
            if (node.Syntax.Span.Contains(use))
            {
                return true;
            }

            if (node is not (IExpressionStatementOperation or ISimpleAssignmentOperation or IVariableDeclaratorOperation
                or IVariableDeclarationOperation or IVariableDeclarationGroupOperation or IVariableInitializerOperation
                or IBlockOperation or IConversionOperation or IUsingOperation or IUsingDeclarationOperation))
            {
                return false;
            }
        }

        return false;
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

    private static bool IsEfRoot(IOperation source, EfContext ef) => ef.IsDbSet(source.Type) || ef.IsDbContext(source.Type);

    /// <summary>Initializer and assignments of a local in its method.</summary>
    public static IEnumerable<IOperation> AssignedValues(ILocalReferenceOperation local)
    {
        var root = (IOperation)local;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        return AssignmentsIn(root).TryGetValue(local.Local, out var values) ? values.Select(v => v.Value) : [];
    }

    // Every local's initializer and assignments, collected in one walk of a method's operation tree and kept while the tree
    // lives (analyzers share a semantic model's trees). Walking the whole method once per followed local cost PGD101 and
    // PGD102 most of their time on real code (PiranhaCMS's repositories).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IOperation, Dictionary<ILocalSymbol, List<(IOperation Definition, IOperation Value)>>> Assignments = new();

    private static Dictionary<ILocalSymbol, List<(IOperation Definition, IOperation Value)>> AssignmentsIn(IOperation root)
        => Assignments.GetValue(root, static r =>
        {
            var map = new Dictionary<ILocalSymbol, List<(IOperation Definition, IOperation Value)>>(SymbolEqualityComparer.Default);
            foreach (var op in r.Descendants())
            {
                var (symbol, value) = op switch
                {
                    IVariableDeclaratorOperation { Initializer: { } init } declarator => (declarator.Symbol, init.Value),
                    ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment => (target.Local, assignment.Value),
                    _ => (null, null),
                };
                if (symbol is not null && value is not null)
                {
                    if (!map.TryGetValue(symbol, out var list))
                    {
                        map[symbol] = list = new List<(IOperation Definition, IOperation Value)>();
                    }

                    list.Add((op, value));
                }
            }

            return map;
        });

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
