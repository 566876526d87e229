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
    private QueryChain(IInvocationOperation outermost, List<IInvocationOperation> operators, bool rootedInEf)
    {
        Outermost = outermost;
        Operators = operators;
        RootedInEf = rootedInEf;
    }

    public IInvocationOperation Outermost { get; }

    /// <summary>Operators, outermost first (from every assignment of a followed local).</summary>
    public List<IInvocationOperation> Operators { get; }

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
        if (!IsChainMember(invocation, ef) || !IsOutermost(invocation, ef) || IsStoredInLocal(invocation))
        {
            return null;
        }

        // PGD101 and PGD102 both need the chain of every query; the operation trees are shared between analyzers, so the
        // second one finds it built (the chain depends only on the compilation's symbols, the same for both).
        var chain = Built.GetValue(invocation, i => Build(i, ef));
        return chain.RootedInEf ? chain : null;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IInvocationOperation, QueryChain> Built = new();

    public static QueryChain Build(IInvocationOperation outermost, EfContext ef)
    {
        var operators = new List<IInvocationOperation>();
        var rooted = Collect(outermost, ef, operators, new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default), 0);
        return new QueryChain(outermost, operators, rooted);
    }

    private static bool Collect(IInvocationOperation start, EfContext ef, List<IInvocationOperation> operators, HashSet<ILocalSymbol> visited, int depth)
    {
        IInvocationOperation? current = start;
        while (current is not null)
        {
            operators.Add(current);
            if (ef.IsIn(current.TargetMethod, ef.RelationalDatabaseFacadeExtensions))
            {
                return true;
            }

            var source = EfContext.SourceOf(current);
            switch (source)
            {
                case IInvocationOperation inner when IsChainMember(inner, ef):
                    current = inner;
                    continue;
                case ILocalReferenceOperation local when depth < 8 && visited.Add(local.Local):
                    var rooted = false;
                    foreach (var value in AssignedValues(local))
                    {
                        if (EfContext.Unwrap(value) is IInvocationOperation assigned && IsChainMember(assigned, ef))
                        {
                            rooted |= Collect(assigned, ef, operators, visited, depth + 1);
                        }
                        else if (EfContext.Unwrap(value) is ILocalReferenceOperation other && depth < 8 && visited.Add(other.Local))
                        {
                            rooted |= FollowLocal(other, ef, operators, visited, depth + 1);
                        }
                        else
                        {
                            rooted |= IsEfRoot(EfContext.Unwrap(value), ef);
                        }
                    }

                    return rooted;
                default:
                    return source is not null && IsEfRoot(source, ef);
            }
        }

        return false;
    }

    private static bool FollowLocal(ILocalReferenceOperation local, EfContext ef, List<IInvocationOperation> operators, HashSet<ILocalSymbol> visited, int depth)
    {
        var rooted = false;
        foreach (var value in AssignedValues(local))
        {
            var unwrapped = EfContext.Unwrap(value);
            if (unwrapped is IInvocationOperation assigned && IsChainMember(assigned, ef))
            {
                rooted |= Collect(assigned, ef, operators, visited, depth + 1);
            }
            else if (unwrapped is ILocalReferenceOperation other && depth < 8 && visited.Add(other.Local))
            {
                rooted |= FollowLocal(other, ef, operators, visited, depth + 1);
            }
            else
            {
                rooted |= IsEfRoot(unwrapped, ef);
            }
        }

        return rooted;
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

        return AssignmentsIn(root).TryGetValue(local.Local, out var values) ? values : [];
    }

    // Every local's initializer and assignments, collected in one walk of a method's operation tree and kept while the tree
    // lives (analyzers share a semantic model's trees). Walking the whole method once per followed local cost PGD101 and
    // PGD102 most of their time on real code (PiranhaCMS's repositories).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IOperation, Dictionary<ILocalSymbol, List<IOperation>>> Assignments = new();

    private static Dictionary<ILocalSymbol, List<IOperation>> AssignmentsIn(IOperation root)
        => Assignments.GetValue(root, static r =>
        {
            var map = new Dictionary<ILocalSymbol, List<IOperation>>(SymbolEqualityComparer.Default);
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
                        map[symbol] = list = new List<IOperation>();
                    }

                    list.Add(value);
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
