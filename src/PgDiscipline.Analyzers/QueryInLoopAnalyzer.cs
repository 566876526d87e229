using System.Collections.Concurrent;
using System.Collections.Immutable;
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
    private static readonly ImmutableHashSet<string> Terminals = RoutingFacts.Terminals.Union(new[]
    {
        "Contains", "Load", "LoadAsync", "ForEachAsync", "ExecuteUpdate", "ExecuteUpdateAsync", "ExecuteDelete", "ExecuteDeleteAsync",
        "ElementAt", "ElementAtOrDefault",
    });

    private static readonly ImmutableHashSet<string> PerElementOperators = ImmutableHashSet.Create(
        System.StringComparer.Ordinal, "Select", "SelectMany", "Where", "ForEach", "Any", "All", "Count", "Sum", "ToDictionary", "GroupBy", "OrderBy");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.QueryInLoop);

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        // Per compilation: whether a method declared in it runs a query in its own body (one level of helpers).
        var helpers = new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default);
        context.RegisterOperationAction(c => Analyze(c, ef, helpers), OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef, ConcurrentDictionary<IMethodSymbol, bool> helpers)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;

        // Cheapest tests first: most calls neither could run a query nor have a body here, and most are not in a loop.
        var couldRunQuery = Terminals.Contains(method.Name) || method.Name is "Find" or "FindAsync" or "SaveChanges" or "SaveChangesAsync";
        if ((!couldRunQuery && method.OriginalDefinition.DeclaringSyntaxReferences.Length == 0) || EnclosingLoop(invocation, ef) is not { } loop)
        {
            return;
        }

        var runsQuery = couldRunQuery && RunsQuery(invocation, ef);
        if ((!runsQuery && (method.OriginalDefinition.DeclaringSyntaxReferences.Length == 0
                || !helpers.GetOrAdd(method.OriginalDefinition, m => HelperRunsQuery(m, context.Compilation, ef))))
            || ef.InsideExpressionTree(invocation) || IsMemoised(invocation))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.QueryInLoop, QueryChain.NameLocation(invocation), method.Name, loop, Advice(method.Name, runsQuery)));
    }

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
    private static bool RunsQuery(IInvocationOperation invocation, EfContext ef)
    {
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

        return Terminals.Contains(method.Name) && QueryChain.IsChainMember(invocation, ef) && QueryChain.IsOutermost(invocation, ef)
            && QueryChain.Build(invocation, ef).RootedInEf;
    }

    /// <summary>
    /// N+1 through a helper (bitwarden/server: <c>foreach (var id in ids) await db.BumpRevisionDateAsync(id);</c>): a method
    /// declared in this compilation whose own body runs a query or saves changes. One level only; interface and virtual
    /// calls without a body here are not followed. Computed once per method per compilation.
    /// </summary>
    private static bool HelperRunsQuery(IMethodSymbol method, Compilation compilation, EfContext ef)
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

            var body = syntax switch
            {
                MethodDeclarationSyntax m => (SyntaxNode?)m.Body ?? m.ExpressionBody,
                LocalFunctionStatementSyntax f => (SyntaxNode?)f.Body ?? f.ExpressionBody,
                _ => null,
            };
#pragma warning disable RS1030 // Only for methods called inside loops, once per method per compilation (cached above).
            var model = compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
            // Binding a body is the costly part: only bodies that name a call which could run a query are bound (most
            // helpers called in loops are not data access at all).
            if (body is null || !NamesAQueryCall(body) || model.GetOperation(body) is not { } operation)
            {
                continue;
            }

            foreach (var op in operation.DescendantsAndSelf())
            {
                if (op is IInvocationOperation call
                    && (RunsQuery(call, ef) || (call.TargetMethod.Name is "SaveChanges" or "SaveChangesAsync" && ef.IsDbContext(call.TargetMethod.ContainingType))))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool NamesAQueryCall(SyntaxNode body)
    {
        foreach (var token in body.DescendantTokens())
        {
            if (token.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.IdentifierToken)
                && (Terminals.Contains(token.ValueText) || token.ValueText is "Find" or "FindAsync" or "SaveChanges" or "SaveChangesAsync"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"foreach loop", "for loop", "while loop" or "Select lambda" when the invocation runs once per iteration.</summary>
    private static string? EnclosingLoop(IOperation operation, EfContext ef)
    {
        for (var child = operation; child.Parent is { } parent; child = parent)
        {
            switch (parent)
            {
                case IForEachLoopOperation forEach when !ReferenceEquals(child, forEach.Collection):
                    return "foreach loop";
                case IForLoopOperation forLoop when ReferenceEquals(child, forLoop.Body):
                    return "for loop";
                case IWhileLoopOperation whileLoop when ReferenceEquals(child, whileLoop.Body) && !IsPollingLoop(whileLoop) && !InsideTry(operation, whileLoop):
                    return "while loop";
                case IAnonymousFunctionOperation lambda:
                    // A lambda runs per element when it is passed to an in-memory LINQ operator or List<T>.ForEach.
                    var argument = lambda.Parent is IDelegateCreationOperation d ? d.Parent : lambda.Parent;
                    if (argument?.Parent is IInvocationOperation call && PerElementOperators.Contains(call.TargetMethod.Name)
                        && (ef.IsIn(call.TargetMethod, ef.Enumerable) || (ef.ListOfT is not null && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType.OriginalDefinition, ef.ListOfT))))
                    {
                        return call.TargetMethod.Name + " lambda";
                    }

                    return null; // a lambda passed elsewhere (e.g. to a query, or as a callback) is not a loop
                case ILocalFunctionOperation or IMethodBodyOperation:
                    return null;
            }
        }

        return null;
    }

    /// <summary>A lookup run at most once by the loop: <c>x ??= await query</c>, or <c>if (x == null) x = await query</c> /
    /// <c>if (x is null) { x = … }</c> (found on PiranhaCMS: a language looked up on the first iteration that needs it).</summary>
    private static bool IsMemoised(IInvocationOperation invocation)
    {
        IOperation value = invocation;
        while (value.Parent is IAwaitOperation or IConversionOperation
            || (value.Parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configure && ReferenceEquals(configure.Instance, value)))
        {
            value = value.Parent;
        }

        if (value.Parent is ICoalesceAssignmentOperation coalesce && ReferenceEquals(coalesce.Value, value))
        {
            return true;
        }

        if (value.Parent is not ISimpleAssignmentOperation assignment || !ReferenceEquals(assignment.Value, value) || TargetOf(assignment.Target) is not { } target)
        {
            return false;
        }

        for (var current = assignment.Parent; current is not null; current = current.Parent)
        {
            if (current is IConditionalOperation conditional && ChecksNull(conditional.Condition, target) && !IsInside(assignment, conditional.WhenFalse))
            {
                // Only state that outlives an iteration is a memo: a local declared in the loop body is null again on the
                // next iteration (PiranhaCMS's tag lookups: `var tag = …; if (tag == null) tag = …` runs per tag).
                return !DeclaredInsideLoop(target, conditional);
            }

            if (current is ILoopOperation or IAnonymousFunctionOperation or ILocalFunctionOperation or IMethodBodyOperation)
            {
                return false;
            }
        }

        return false;
    }

    private static bool DeclaredInsideLoop(ISymbol target, IOperation from)
    {
        if (target is not ILocalSymbol local || local.DeclaringSyntaxReferences.Length == 0)
        {
            return false;
        }

        var declared = local.DeclaringSyntaxReferences[0].Span;
        for (var current = from.Parent; current is not null; current = current.Parent)
        {
            if (current is ILoopOperation loop)
            {
                return loop.Syntax.Span.Contains(declared);
            }
        }

        return false;
    }

    private static ISymbol? TargetOf(IOperation target) => target switch
    {
        ILocalReferenceOperation local => local.Local,
        IFieldReferenceOperation field => field.Field,
        IPropertyReferenceOperation property => property.Property,
        _ => null,
    };

    /// <summary><c>x == null</c>, <c>null == x</c>, <c>x is null</c> (possibly as one operand of <c>&amp;&amp;</c>).</summary>
    private static bool ChecksNull(IOperation condition, ISymbol target)
    {
        switch (condition)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and:
                return ChecksNull(and.LeftOperand, target) || ChecksNull(and.RightOperand, target);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals:
                return (IsNull(equals.RightOperand) && Refers(equals.LeftOperand, target)) || (IsNull(equals.LeftOperand) && Refers(equals.RightOperand, target));
            case IIsPatternOperation { Pattern: IConstantPatternOperation constant } pattern:
                return IsNull(constant.Value) && Refers(pattern.Value, target);
            default:
                return false;
        }
    }

    private static bool IsNull(IOperation operation)
        => operation.ConstantValue.HasValue && operation.ConstantValue.Value is null;

    private static bool Refers(IOperation operation, ISymbol target)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return TargetOf(operation) is { } symbol && SymbolEqualityComparer.Default.Equals(symbol, target);
    }

    private static bool IsInside(IOperation operation, IOperation? container)
    {
        for (var current = operation; current is not null; current = current.Parent)
        {
            if (ReferenceEquals(current, container))
            {
                return true;
            }
        }

        return false;
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
