using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PgDiscipline.Sql;

namespace PgDiscipline.Analyzers;

/// <summary>PGD101: a query that will make more joins in SQL than <c>pgdiscipline.PGD101.max_joins</c> (default 3).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TooManyJoinsAnalyzer : EfCoreAnalyzer
{
    /// <summary>Default for <c>pgdiscipline.PGD101.max_joins</c>.</summary>
    public const int DefaultMaxJoins = 3;

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.TooManyJoins);

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        context.RegisterOperationAction(c => Analyze(c, ef), OperationKind.Invocation, OperationKind.Return);
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef)
    {
        var (chain, at) = QueryChain.AnalysedAt(context.Operation, ef);
        if (chain is null || at is null)
        {
            return;
        }

        var location = at is IInvocationOperation invocation ? QueryChain.ReportLocation(invocation) : at.Syntax.GetLocation();

        // The worst of the queries this call may run (a local built differently on two branches is one or the other).
        var max = AnalyzerOptionsReader.GetInt(context.Options, context.Operation.Syntax.SyntaxTree, RuleIdentifiers.TooManyJoins, "max_joins", DefaultMaxJoins, min: 0);
        var split = chain.Has("AsSplitQuery") && !chain.Has("AsSingleQuery");
        var counted = Worst(chain, split, ef);
        var joins = counted.Sum(c => c.Joins);
        if (joins > max && !split && !chain.Has("AsSingleQuery") && ef.GlobalSplitQuery)
        {
            // The project-wide split-query setting is looked up only for a query over the limit (finding it reads the
            // whole compilation once, a first-use cost most builds need not pay); split, its Includes are separate queries.
            counted = Worst(chain, split: true, ef);
            joins = counted.Sum(c => c.Joins);
        }

        // A helper followed into that is over the limit on its own is reported in the helper, not again at each caller.
        if (joins > max && !HelperAloneOver(chain, split || (ef.GlobalSplitQuery && !chain.Has("AsSingleQuery")), max, ef))
        {
            // The message says what was counted, so a reader can check it against the query.
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TooManyJoins, location, joins, max, string.Join(", ", counted.Select(c => c.Label))));
        }
    }

    private static bool HelperAloneOver(QueryChain chain, bool split, int max, EfContext ef)
        => chain.Variants.Any(v => v.Any(chain.FromHelper) && CountJoins(v.Where(chain.FromHelper).ToList(), split, ef).Sum(c => c.Joins) > max);

    private static List<(string Label, int Joins)> Worst(QueryChain chain, bool split, EfContext ef)
        => chain.Variants.Select(v => CountJoins(v, split, ef)).OrderByDescending(c => c.Sum(j => j.Joins)).First();

    /// <summary>Joins the chain will make: Join/GroupJoin/SelectMany, each Include/ThenInclude step (unless split),
    /// distinct reference navigations used in lambdas, and the joins of raw SQL.</summary>
    internal static List<(string Label, int Joins)> CountJoins(List<IInvocationOperation> operators, bool split, EfContext ef, int depth = 0)
    {
        var nested = new List<(string Label, int Joins)>();
        var explicitJoins = new List<(string Label, int Joins)>();
        var navigations = new HashSet<string>(System.StringComparer.Ordinal);
        var includes = new HashSet<string>(System.StringComparer.Ordinal);
        var groupJoins = 0;
        var includePath = "";

        var lambdaNavigations = new HashSet<string>(System.StringComparer.Ordinal);

        // Innermost first, so ThenInclude continues the path of the Include before it.
        for (var i = operators.Count - 1; i >= 0; i--)
        {
            var op = operators[i];
            var method = op.TargetMethod;
            var name = method.Name;
            if (includes.Count > 0 && IncludesIgnoredAfter(op, ef))
            {
                // EF Core ignores Includes once the query stops returning the entity they were on (found on Blogifier:
                // `Categories.Include(…).ThenInclude(…).SelectMany(c => c.PostCategories, (c, pc) => pc.Post)`).
                navigations.RemoveWhere(n => includes.Contains(n) && !lambdaNavigations.Contains(n));
                includes.Clear();
            }
            if (ef.IsIn(method, ef.Queryable) && name is "Join" or "GroupJoin" or "LeftJoin" or "RightJoin")
            {
                // LeftJoin/RightJoin: the .NET 10 operators EF Core 10 translates to LEFT/RIGHT JOIN.
                var kind = name switch { "Join" => "join ", "GroupJoin" => "group join ", "LeftJoin" => "left join ", _ => "right join " };
                explicitJoins.Add((kind + JoinedName(op), 1));
                groupJoins += name == "GroupJoin" ? 1 : 0;

                // Joined to a query of the app's (`join gou in givenOrgUsers`): its joins are in the same statement.
                if (depth < 4 && op.Arguments.Length > 1 && QueryChain.Of(op.Arguments[1].Value, ef) is { } joined)
                {
                    nested.AddRange(Worst(joined, ef, depth + 1).Select(j => (j.Label + " (in " + JoinedName(op) + ")", j.Joins)));
                }
            }
            else if (ef.IsIn(method, ef.Queryable) && name is "SelectMany")
            {
                // `join … into g from x in g.DefaultIfEmpty()` is a GroupJoin flattened by this SelectMany: one LEFT JOIN,
                // already counted with the GroupJoin (it was counted twice: two left joins were reported as 4 joins).
                if (groupJoins > 0 && FlattensGroup(op))
                {
                    groupJoins--;
                    var at = explicitJoins.FindLastIndex(j => j.Label.StartsWith("group join ", System.StringComparison.Ordinal));
                    explicitJoins[at] = ("left join " + explicitJoins[at].Label.Substring("group join ".Length), 1);
                }
                else
                {
                    explicitJoins.Add(("SelectMany " + method.TypeArguments[1].Name, 1));
                }
            }
            else if (ef.IsIn(method, ef.EfQueryableExtensions) && name is "Include" or "ThenInclude")
            {
                var path = QueryChain.IncludePath(op);
                includePath = name == "Include" ? method.TypeArguments[0].Name + "." + path : includePath + "." + path;
                if (!split)
                {
                    foreach (var prefix in Prefixes(includePath))
                    {
                        navigations.Add(prefix);
                        includes.Add(prefix);
                    }
                }

                continue;
            }
            else if (name is "FromSqlRaw" or "FromSql" or "FromSqlInterpolated" or "SqlQueryRaw" or "SqlQuery" or "ExecuteSqlRaw" or "ExecuteSql"
                or "ExecuteSqlRawAsync" or "ExecuteSqlAsync" or "ExecuteSqlInterpolated" or "ExecuteSqlInterpolatedAsync")
            {
                var sqlArgument = op.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1);
                if (sqlArgument is not null && QueryChain.SqlText(sqlArgument.Value) is { } sql && SqlCommandInfo.Analyze(sql).MaxJoinCount is > 0 and var rawJoins)
                {
                    explicitJoins.Add(($"{rawJoins} in raw SQL", rawJoins));
                }
            }

            // Union/Concat/Intersect/Except: each arm is planned as a join tree of its own, so the statement's largest is the
            // larger arm (three two-join selects UNIONed are not a six-join query); what follows applies to the result.
            if (ef.IsIn(method, ef.Queryable) && name is "Union" or "Concat" or "Intersect" or "Except" or "UnionBy" or "IntersectBy" or "ExceptBy"
                && depth < 4 && op.Arguments.Length > 1 && QueryChain.Of(op.Arguments[1].Value, ef) is { } other)
            {
                var right = Worst(other, ef, depth + 1);
                var left = Counted(navigations, includes, explicitJoins, nested);
                if (right.Sum(j => j.Joins) > left.Sum(j => j.Joins))
                {
                    navigations.Clear();
                    includes.Clear();
                    explicitJoins.Clear();
                    groupJoins = 0;
                    nested.Clear();
                    nested.AddRange(right.Select(j => (j.Label + " (" + name + " arm)", j.Joins)));
                }
            }

            foreach (var argument in op.Arguments)
            {
                if (EfContext.Lambda(argument.Value) is { } lambda)
                {
                    var subqueries = new List<IInvocationOperation>();
                    var found = new HashSet<string>(System.StringComparer.Ordinal);
                    CollectNavigations(lambda.Body, ef, found, subqueries);
                    navigations.UnionWith(found);
                    lambdaNavigations.UnionWith(found);
                    foreach (var subquery in subqueries)
                    {
                        // `!db.Xs.Any(…)`, `ids.Contains(…)` over a query: the subquery's joins are joins of this statement.
                        if (depth < 4 && QueryChain.Of(subquery, ef) is { } chain)
                        {
                            nested.AddRange(Worst(chain, ef, depth + 1).Select(j => (j.Label + " (subquery)", j.Joins)));
                        }
                    }
                }
            }
        }

        return Counted(navigations, includes, explicitJoins, nested);
    }

    /// <summary>A projection (<c>Select</c>, <c>SelectMany</c>, <c>GroupBy</c>) to another type than the entity the query
    /// returned: the Includes before it no longer apply (an anonymous type may hold the entity: counted, to be safe).</summary>
    internal static bool IncludesIgnoredAfter(IInvocationOperation op, EfContext ef)
    {
        if (op.TargetMethod.Name is not ("Select" or "SelectMany" or "GroupBy") || !ef.IsIn(op.TargetMethod, ef.Queryable))
        {
            return false;
        }

        var before = op.TargetMethod.TypeArguments.Length > 0 ? op.TargetMethod.TypeArguments[0] : null;
        var after = ef.QueryElement(op.Type);
        return before is not null && after is not null && !after.IsAnonymousType
            && !SymbolEqualityComparer.Default.Equals(before, after);
    }

    private static List<(string Label, int Joins)> Counted(
        HashSet<string> navigations, HashSet<string> includes, List<(string Label, int Joins)> explicitJoins, List<(string Label, int Joins)> nested)
    {
        // Navigations keyed "Root.A.B": shown without the root type, marked by where they came from.
        var counted = navigations
            .Select(n => (Label: n.Substring(n.IndexOf('.') + 1) + (includes.Contains(n) ? " (Include)" : " (navigation)"), Joins: 1))
            .ToList();
        counted.AddRange(explicitJoins);
        counted.AddRange(nested);
        return counted;
    }

    /// <summary>What a Join joins: the entity type, or for a query of anonymous rows the local holding it.</summary>
    private static string JoinedName(IInvocationOperation join)
    {
        var type = join.TargetMethod.TypeArguments[1];
        if (!type.IsAnonymousType && type.Name.Length > 0)
        {
            return type.Name;
        }

        return join.Arguments.Length > 1 && EfContext.Unwrap(join.Arguments[1].Value) is ILocalReferenceOperation local ? local.Local.Name : "a query";
    }

    /// <summary>The joins of the worst variant of a query (a subquery or the other side of a set operation).</summary>
    private static List<(string Label, int Joins)> Worst(QueryChain chain, EfContext ef, int depth)
        => chain.Variants.Select(v => CountJoins(v, split: false, ef, depth)).OrderByDescending(c => c.Sum(j => j.Joins)).First();

    /// <summary>A SelectMany whose collection selector is <c>group.DefaultIfEmpty()</c> over a query-syntax range variable
    /// or lambda parameter (the group of a GroupJoin), not over an entity's navigation.</summary>
    private static bool FlattensGroup(IInvocationOperation selectMany)
    {
        if (selectMany.Arguments.Length < 2 || EfContext.Lambda(selectMany.Arguments[1].Value) is not { } lambda)
        {
            return false;
        }

        var body = lambda.Body.Operations.LastOrDefault();
        var value = body is IReturnOperation ret ? ret.ReturnedValue : body;
        if (value is null || EfContext.Unwrap(value) is not IInvocationOperation { TargetMethod.Name: "DefaultIfEmpty" } defaultIfEmpty)
        {
            return false;
        }

        var source = defaultIfEmpty.Instance ?? (defaultIfEmpty.Arguments.Length > 0 ? defaultIfEmpty.Arguments[0].Value : null);
        return (source is null ? null : EfContext.Unwrap(source)) switch
        {
            IParameterReferenceOperation => true,
            IPropertyReferenceOperation property => property.Property.ContainingType.IsAnonymousType,
            _ => false,
        };
    }

    private static IEnumerable<string> Prefixes(string path)
    {
        var parts = path.Split('.');
        for (var i = 2; i <= parts.Length; i++) // parts[0] is the root entity type
        {
            yield return string.Join(".", parts.Take(i));
        }
    }

    /// <summary>Reference navigations reached from a lambda parameter (<c>m.Conversation.Owner</c> = two joins). Query-syntax
    /// range variables (properties of the compiler's anonymous "transparent identifier" types) are roots, not navigations.
    /// Paths are keyed by the root's type, so the same navigation used in Where and Select counts once. Queries met on the
    /// way (subqueries) are collected, not entered: their navigations are theirs.</summary>
    private static void CollectNavigations(IOperation operation, EfContext ef, HashSet<string> navigations, List<IInvocationOperation> subqueries)
    {
        foreach (var op in operation.ChildOperations)
        {
            if (op is IInvocationOperation invocation && QueryChain.IsChainMember(invocation, ef) && QueryChain.IsOutermost(invocation, ef))
            {
                subqueries.Add(invocation);
                continue;
            }

            if (op is IPropertyReferenceOperation property && !property.Property.ContainingType.IsAnonymousType && ef.IsEntity(property.Property.Type))
            {
                AddNavigation(property, navigations);
            }

            CollectNavigations(op, ef, navigations, subqueries);
        }
    }

    private static void AddNavigation(IPropertyReferenceOperation property, HashSet<string> navigations)
    {
        var names = new List<string> { property.Property.Name };
        var instance = property.Instance is null ? null : EfContext.Unwrap(property.Instance);
        while (instance is IPropertyReferenceOperation parent && !parent.Property.ContainingType.IsAnonymousType)
        {
            names.Insert(0, parent.Property.Name);
            instance = parent.Instance is null ? null : EfContext.Unwrap(parent.Instance);
        }

        var root = instance switch
        {
            IParameterReferenceOperation parameter => parameter.Type,
            IPropertyReferenceOperation rangeVariable => rangeVariable.Type,
            _ => null,
        };
        if (root is not null)
        {
            var path = root.Name;
            foreach (var n in names)
            {
                path += "." + n;
                navigations.Add(path);
            }
        }
    }
}
