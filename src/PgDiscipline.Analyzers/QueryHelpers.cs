using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>One way a query may be built: its operators outermost first, whether it starts at an EF Core root, and — for
/// a query built in a helper from one of its parameters — that parameter, so the call site's argument continues it.</summary>
internal readonly struct QueryVariant
{
    public QueryVariant(List<IInvocationOperation> operators, bool rooted, IParameterSymbol? endParameter = null)
    {
        Operators = operators;
        Rooted = rooted;
        EndParameter = endParameter;
    }

    public List<IInvocationOperation> Operators { get; }

    public bool Rooted { get; }

    public IParameterSymbol? EndParameter { get; }
}

/// <summary>
/// Query building followed across methods, one level: a method declared in this compilation that returns an
/// <c>IQueryable</c> (<c>Prepare(db)</c>, <c>repository.Query()</c>, <c>q.IncludeAll()</c>) stands for the query it returns,
/// continued with the call's argument when it is built from a parameter. Calls inside the helper are not followed further.
/// Each helper's queries are worked out once per compilation (kept in <see cref="EfContext"/>).
/// </summary>
internal static class QueryHelpers
{
    private const int MaxVariants = 16;

    /// <summary>The queries a call to a query helper makes, or null when <paramref name="call"/> is not one (or its body
    /// says nothing about a query: then the call is taken as it is).</summary>
    public static List<QueryVariant>? Expand(IInvocationOperation call, EfContext ef, int depth)
    {
        var method = (call.TargetMethod.ReducedFrom ?? call.TargetMethod).OriginalDefinition;

        // A repository interface's method with one implementation in the compilation returns what that implementation does.
        if (method.IsAbstract && method.DeclaringSyntaxReferences.Length > 0 && ef.IsQueryable(method.ReturnType)
            && ef.Implementations(method) is { Length: 1 } implementations)
        {
            method = implementations[0];
        }

        if (depth >= 8 || method.DeclaringSyntaxReferences.Length == 0 || method.IsAbstract
            || method.MethodKind is not (MethodKind.Ordinary or MethodKind.LocalFunction) || !ef.IsQueryable(method.ReturnType))
        {
            return null;
        }

        var returned = ef.HelperQueries.GetOrAdd(method, m => Returned(m, ef));
        if (returned.Count == 0)
        {
            return null;
        }

        var variants = new List<QueryVariant>();
        foreach (var variant in returned)
        {
            if (variant.EndParameter is { } parameter && Argument(call, parameter) is { } argument)
            {
                foreach (var tail in QueryChain.FromValue(argument, ef, depth + 1, followHelpers: true))
                {
                    variants.Add(new QueryVariant([.. variant.Operators, .. tail.Operators], tail.Rooted, tail.EndParameter));
                }
            }
            else
            {
                variants.Add(new QueryVariant(variant.Operators, variant.Rooted));
            }
        }

        return variants.Take(MaxVariants).ToList();
    }

    private static IOperation? Argument(IInvocationOperation call, IParameterSymbol parameter)
    {
        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter is { } p && p.Ordinal == parameter.Ordinal)
            {
                return argument.Value;
            }
        }

        return null;
    }

    /// <summary>The queries a helper returns, built inside it without following further helpers; empty when none starts
    /// at an EF Core root or at a parameter (e.g. a generic <c>WhereIf</c> over an unconstrained <c>IQueryable&lt;T&gt;</c>
    /// that is not an entity query: the call then stays an ordinary operator of the caller's chain).</summary>
    private static List<QueryVariant> Returned(IMethodSymbol method, EfContext ef)
    {
        var variants = new List<QueryVariant>();
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax();
            if (!ef.Compilation.ContainsSyntaxTree(syntax.SyntaxTree))
            {
                continue;
            }

#pragma warning disable RS1030 // Only for helpers a query is built from, once per method per compilation (cached by the caller).
            var model = ef.Compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
            if (model.GetOperation(syntax) is not { } body)
            {
                continue;
            }

            foreach (var ret in Returns(body))
            {
                foreach (var variant in QueryChain.FromValue(ret, ef, 0, followHelpers: false))
                {
                    if ((variant.Rooted || variant.EndParameter is not null) && variants.Count < MaxVariants)
                    {
                        variants.Add(variant);
                    }
                }
            }
        }

        return variants;
    }

    /// <summary>The values the method itself returns (not those of its lambdas or local functions).</summary>
    private static IEnumerable<IOperation> Returns(IOperation body)
    {
        var pending = new Stack<IOperation>();
        pending.Push(body);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (current is IReturnOperation { ReturnedValue: { } value } && current.Kind == OperationKind.Return)
            {
                yield return value;
                continue;
            }

            foreach (var child in current.ChildOperations)
            {
                if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                {
                    pending.Push(child);
                }
            }
        }
    }
}
