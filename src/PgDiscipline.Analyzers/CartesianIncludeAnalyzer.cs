using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PgDiscipline.Analyzers;

/// <summary>PGD102: several collection Includes in one single (not split) query.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CartesianIncludeAnalyzer : EfCoreAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.CartesianInclude);

    /// <inheritdoc />
    internal override bool IsApplicable(EfContext ef) => ef.EfQueryableExtensions is not null;

    /// <inheritdoc />
    internal override void RegisterActions(CompilationStartAnalysisContext context, EfContext ef)
    {
        context.RegisterOperationAction(c => Analyze(c, ef), OperationKind.Invocation, OperationKind.Return);
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef)
    {
        var (chain, at) = QueryChain.AnalysedAt(context.Operation, ef);
        if (chain is null || at is null || chain.Has("AsSplitQuery"))
        {
            return;
        }

        var location = at is IInvocationOperation invocation ? QueryChain.NameLocation(invocation) : at.Syntax.GetLocation();

        // The worst of the queries this call may run (a local built differently on two branches is one or the other).
        foreach (var variant in chain.Variants)
        {
            if (Collections(variant, ef) is { Count: >= 2 } collections && collections.LastInclude is { } lastInclude
                && Collections(variant.Where(chain.FromHelper).ToList(), ef).Count < 2) // else reported in the helper
            {
                // The project-wide split-query setting is looked up only for a query that would be reported: finding it
                // reads the whole compilation once, a first-use cost most builds need not pay.
                if (ef.GlobalSplitQuery && !chain.Has("AsSingleQuery"))
                {
                    return;
                }

                var properties = ImmutableDictionary<string, string?>.Empty.Add("IncludeSpanStart", lastInclude.Syntax.SpanStart.ToString(System.Globalization.CultureInfo.InvariantCulture));
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.CartesianInclude, location, properties, collections.Count, string.Join(", ", collections.Names)));
                return;
            }
        }
    }

    private readonly struct Branches
    {
        public Branches(List<string> names, IInvocationOperation? lastInclude)
        {
            Names = names;
            LastInclude = lastInclude;
        }

        public List<string> Names { get; }

        public IInvocationOperation? LastInclude { get; }

        public int Count => Names.Count;
    }

    private static Branches Collections(List<IInvocationOperation> operators, EfContext ef)
    {
        // Rows multiply only across sibling collection branches: Include(a => a.Xs).Include(a => a.Ys) gives |Xs| × |Ys|
        // rows per parent, while one path Include(a => a.Xs).ThenInclude(x => x.Ys) gives one row per leaf. So collect the
        // collection navigations with their full paths (an Include starts a path at the root, a ThenInclude extends the
        // one before it) and count those not on one line of descent.
        var paths = new List<(string Path, bool Collection)>();
        IInvocationOperation? lastInclude = null;
        var current = "";
        for (var i = operators.Count - 1; i >= 0; i--) // source order
        {
            var op = operators[i];
            if (paths.Count > 0 && TooManyJoinsAnalyzer.IncludesIgnoredAfter(op, ef))
            {
                paths.Clear(); // the query no longer returns the entity the Includes were on: EF Core ignores them
                lastInclude = null;
                current = "";
            }

            if (op.TargetMethod.Name is not ("Include" or "ThenInclude") || !ef.IsIn(op.TargetMethod, ef.EfQueryableExtensions))
            {
                continue;
            }

            lastInclude = op; // the outermost include, at the end
            var step = QueryChain.IncludePath(op);
            current = op.TargetMethod.Name == "Include" || current.Length == 0 ? step : current + "." + step;
            var isCollection = IncludedType(op) is { } type && ef.CollectionElement(type) is not null;
            paths.Add((current, isCollection));
        }

        var branches = paths.Where(p => p.Collection).Select(p => p.Path).Distinct(System.StringComparer.Ordinal).ToList();
        var collections = branches
            .Where(path => branches.Any(other => !OnOneLine(path, other)))
            .Select(path => path.Substring(path.LastIndexOf('.') + 1))
            .ToList();
        return new Branches(collections, lastInclude);
    }

    /// <summary>True when one path is the other or leads to it (<c>Blocks</c> and <c>Blocks.Fields</c>).</summary>
    private static bool OnOneLine(string a, string b)
        => a == b || b.StartsWith(a + ".", System.StringComparison.Ordinal) || a.StartsWith(b + ".", System.StringComparison.Ordinal);

    private static ITypeSymbol? IncludedType(IInvocationOperation include)
        => include.TargetMethod.TypeArguments.Length > 1 ? include.TargetMethod.TypeArguments[include.TargetMethod.TypeArguments.Length - 1] : null;
}
