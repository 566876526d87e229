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
        context.RegisterOperationAction(c => Analyze(c, ef), OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context, EfContext ef)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (QueryChain.AtOutermost(invocation, ef) is not { } chain || chain.Has("AsSplitQuery") || (ef.GlobalSplitQuery && !chain.Has("AsSingleQuery")))
        {
            return;
        }

        var collections = new List<string>();
        IInvocationOperation? lastInclude = null;
        foreach (var op in chain.Operators)
        {
            if (op.TargetMethod.Name is not ("Include" or "ThenInclude") || !ef.IsIn(op.TargetMethod, ef.EfQueryableExtensions))
            {
                continue;
            }

            lastInclude ??= op; // outermost include
            if (IncludedType(op) is { } type && ef.CollectionElement(type) is not null)
            {
                var path = QueryChain.IncludePath(op);
                collections.Add(path.Substring(path.LastIndexOf('.') + 1));
            }
        }

        if (collections.Count >= 2 && lastInclude is not null)
        {
            collections.Reverse();
            var properties = ImmutableDictionary<string, string?>.Empty.Add("IncludeSpanStart", lastInclude.Syntax.SpanStart.ToString(System.Globalization.CultureInfo.InvariantCulture));
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.CartesianInclude, QueryChain.NameLocation(invocation), properties, collections.Count, string.Join(", ", collections)));
        }
    }

    private static ITypeSymbol? IncludedType(IInvocationOperation include)
        => include.TargetMethod.TypeArguments.Length > 1 ? include.TargetMethod.TypeArguments[include.TargetMethod.TypeArguments.Length - 1] : null;
}
