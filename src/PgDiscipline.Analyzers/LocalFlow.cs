using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>Which assignments of a local reach a use of it, within one method's operation tree (queries built across
/// several statements: <c>var q = …; if (x) q = q.Where(…); q.ToList()</c>).</summary>
internal static class LocalFlow
{
    /// <summary>The values of a local that can reach this reference: the last assignment before it on every path (one
    /// in a block the reference is in), and the assignments after that one made only on some paths (in an if, a loop, a
    /// switch, a try). Assignments after the reference do not reach it; without any before it (a use in a loop or a
    /// lambda ahead of the assignment) every assignment counts.</summary>
    public static IEnumerable<IOperation> ReachingValues(ILocalReferenceOperation reference)
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
}
