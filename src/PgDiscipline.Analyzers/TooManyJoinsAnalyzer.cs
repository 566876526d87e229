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

        var joins = CountJoins(chain, ef);
        var max = AnalyzerOptionsReader.GetInt(context.Options, invocation.Syntax.SyntaxTree, RuleIdentifiers.TooManyJoins, "max_joins", DefaultMaxJoins, min: 0);
        if (joins > max)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TooManyJoins, QueryChain.ReportLocation(invocation), joins, max));
        }
    }

    /// <summary>Joins the chain will make: Join/GroupJoin/SelectMany, each Include/ThenInclude step (unless split),
    /// distinct reference navigations used in lambdas, and the joins of raw SQL.</summary>
    internal static int CountJoins(QueryChain chain, EfContext ef)
    {
        var split = (chain.Has("AsSplitQuery") || ef.GlobalSplitQuery) && !chain.Has("AsSingleQuery");
        var explicitJoins = 0;
        var navigations = new HashSet<string>(System.StringComparer.Ordinal);
        var includePath = "";

        // Innermost first, so ThenInclude continues the path of the Include before it.
        for (var i = chain.Operators.Count - 1; i >= 0; i--)
        {
            var op = chain.Operators[i];
            var method = op.TargetMethod;
            var name = method.Name;
            if (ef.IsIn(method, ef.Queryable) && name is "Join" or "GroupJoin" or "SelectMany")
            {
                explicitJoins++;
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
                    }
                }

                continue;
            }
            else if (name is "FromSqlRaw" or "FromSql" or "FromSqlInterpolated" or "SqlQueryRaw" or "SqlQuery" or "ExecuteSqlRaw" or "ExecuteSql"
                or "ExecuteSqlRawAsync" or "ExecuteSqlAsync" or "ExecuteSqlInterpolated" or "ExecuteSqlInterpolatedAsync")
            {
                var sqlArgument = op.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1);
                if (sqlArgument is not null && QueryChain.SqlText(sqlArgument.Value) is { } sql)
                {
                    explicitJoins += SqlCommandInfo.Analyze(sql).MaxJoinCount;
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

        return explicitJoins + navigations.Count;
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
