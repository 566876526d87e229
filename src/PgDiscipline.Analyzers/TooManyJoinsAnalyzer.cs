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
        context.RegisterOperationAction(c => Analyze(c, ef), OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (QueryChain.AtOutermost(invocation, ef) is not { } chain)
        {
            return;
        }

        var counted = CountJoins(chain, ef);
        var joins = counted.Sum(c => c.Joins);
        var max = AnalyzerOptionsReader.GetInt(context.Options, invocation.Syntax.SyntaxTree, RuleIdentifiers.TooManyJoins, "max_joins", DefaultMaxJoins, min: 0);
        if (joins > max)
        {
            // The message says what was counted, so a reader can check it against the query.
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TooManyJoins, QueryChain.ReportLocation(invocation), joins, max, string.Join(", ", counted.Select(c => c.Label))));
        }
    }

    /// <summary>Joins the chain will make: Join/GroupJoin/SelectMany, each Include/ThenInclude step (unless split),
    /// distinct reference navigations used in lambdas, and the joins of raw SQL.</summary>
    internal static List<(string Label, int Joins)> CountJoins(QueryChain chain, EfContext ef)
    {
        var split = (chain.Has("AsSplitQuery") || ef.GlobalSplitQuery) && !chain.Has("AsSingleQuery");
        var explicitJoins = new List<(string Label, int Joins)>();
        var navigations = new HashSet<string>(System.StringComparer.Ordinal);
        var includes = new HashSet<string>(System.StringComparer.Ordinal);
        var groupJoins = 0;
        var includePath = "";

        // Innermost first, so ThenInclude continues the path of the Include before it.
        for (var i = chain.Operators.Count - 1; i >= 0; i--)
        {
            var op = chain.Operators[i];
            var method = op.TargetMethod;
            var name = method.Name;
            if (ef.IsIn(method, ef.Queryable) && name is "Join" or "GroupJoin")
            {
                explicitJoins.Add(((name == "Join" ? "join " : "group join ") + method.TypeArguments[1].Name, 1));
                groupJoins += name == "GroupJoin" ? 1 : 0;
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

            foreach (var argument in op.Arguments)
            {
                if (EfContext.Lambda(argument.Value) is { } lambda)
                {
                    CollectNavigations(lambda, ef, navigations);
                }
            }
        }

        // Navigations keyed "Root.A.B": shown without the root type, marked by where they came from.
        var counted = navigations
            .Select(n => (Label: n.Substring(n.IndexOf('.') + 1) + (includes.Contains(n) ? " (Include)" : " (navigation)"), Joins: 1))
            .ToList();
        counted.AddRange(explicitJoins);
        return counted;
    }

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
    /// Paths are keyed by the root's type, so the same navigation used in Where and Select counts once.</summary>
    private static void CollectNavigations(IAnonymousFunctionOperation lambda, EfContext ef, HashSet<string> navigations)
    {
        foreach (var op in lambda.Body.Descendants())
        {
            if (op is not IPropertyReferenceOperation property || property.Property.ContainingType.IsAnonymousType || !ef.IsEntity(property.Property.Type))
            {
                continue;
            }

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
}
