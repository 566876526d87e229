using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.Internal;

namespace PgDiscipline.Interception;

/// <summary>
/// <c>ReadFromReplica()</c> and <c>Coalesce()</c> on a context that runs PgDiscipline add an argument-free marker call to
/// the query instead of <c>TagWith(tag)</c>, and <see cref="IntentMarkerRewriter"/> turns the marker into that tag when
/// EF Core compiles the query (once per query shape). Why: EF Core's funcletizer reads <c>[NotParameterized]</c> off
/// <c>TagWith</c>'s parameter by reflection on every execution of a tagged query (measured ~5% of a client's CPU under the
/// mix). On any other context (an application's SQLite or in-memory tests) the plain tag is used: nothing there would
/// rewrite a marker.
/// </summary>
internal static class IntentMarkers
{
    private static readonly MethodInfo TagWith = typeof(EntityFrameworkQueryableExtensions).GetMethods()
        .Single(m => m.Name == nameof(EntityFrameworkQueryableExtensions.TagWith) && m.GetParameters().Length == 2);

    // The markers, and the public methods themselves: in a compiled query (EF.CompileQuery) they are never called, so EF
    // Core meets the public method in the tree; rewriting it too lets such queries translate on PgDiscipline contexts.
    private static readonly Dictionary<MethodInfo, string> Tags = new()
    {
        [typeof(IntentMarkers).GetMethod(nameof(ReadFromReplica))!] = Pipeline.QueryTags.ReadReplica,
        [typeof(IntentMarkers).GetMethod(nameof(Coalesce))!] = Pipeline.QueryTags.Coalesce,
        [typeof(PgDisciplineQueryableExtensions).GetMethod(nameof(PgDisciplineQueryableExtensions.ReadFromReplica))!] = Pipeline.QueryTags.ReadReplica,
        [typeof(PgDisciplineQueryableExtensions).GetMethod(nameof(PgDisciplineQueryableExtensions.Coalesce))!] = Pipeline.QueryTags.Coalesce,
    };

    /// <summary>Marker for <see cref="Pipeline.QueryTags.ReadReplica"/>; never executed (rewritten before translation).</summary>
    public static IQueryable<T> ReadFromReplica<T>(IQueryable<T> source) => throw NotRewritten();

    /// <summary>Marker for <see cref="Pipeline.QueryTags.Coalesce"/>; never executed (rewritten before translation).</summary>
    public static IQueryable<T> Coalesce<T>(IQueryable<T> source) => throw NotRewritten();

    /// <summary>The query with the marker of <paramref name="kind"/> on a PgDiscipline context, else tagged as usual.</summary>
    public static IQueryable<T> Mark<T>(IQueryable<T> source, MarkerKind kind)
        => source.Provider is PgDisciplineQueryProvider
            ? source.Provider.CreateQuery<T>(Expression.Call(null, kind == MarkerKind.ReadFromReplica ? Of<T>.ReadFromReplica : Of<T>.Coalesce, source.Expression))
            : source.TagWith(kind == MarkerKind.ReadFromReplica ? Pipeline.QueryTags.ReadReplica : Pipeline.QueryTags.Coalesce);

    /// <summary>The tag a marker call stands for, or null when <paramref name="call"/> is not a marker.</summary>
    internal static string? TagOf(MethodCallExpression call)
        => call.Method.IsGenericMethod
           && (call.Method.DeclaringType == typeof(IntentMarkers) || call.Method.DeclaringType == typeof(PgDisciplineQueryableExtensions))
           && Tags.TryGetValue(call.Method.GetGenericMethodDefinition(), out var tag) ? tag : null;

    /// <summary><c>TagWith(source, tag)</c> for the element type of <paramref name="source"/>.</summary>
    internal static Expression Tagged(Expression source, Type elementType, string tag)
        => Expression.Call(null, TagWith.MakeGenericMethod(elementType), source, Expression.Constant(tag));

    private static InvalidOperationException NotRewritten()
        => new("PgDiscipline's query intent marker reached execution without being rewritten (is PgDiscipline's interceptor registered?).");

    internal enum MarkerKind
    {
        ReadFromReplica,
        Coalesce,
    }

    /// <summary>The closed marker methods per element type (made once).</summary>
    private static class Of<T>
    {
        public static readonly MethodInfo ReadFromReplica = typeof(IntentMarkers).GetMethod(nameof(IntentMarkers.ReadFromReplica))!.MakeGenericMethod(typeof(T));
        public static readonly MethodInfo Coalesce = typeof(IntentMarkers).GetMethod(nameof(IntentMarkers.Coalesce))!.MakeGenericMethod(typeof(T));
    }
}

/// <summary>Turns intent markers back into the query tags they stand for when EF Core starts compiling a query.</summary>
internal sealed class IntentMarkerRewriter : ExpressionVisitor, IQueryExpressionInterceptor
{
    public static readonly IntentMarkerRewriter Instance = new();

    public Expression QueryCompilationStarting(Expression queryExpression, QueryExpressionEventData eventData) => Visit(queryExpression);

    protected override Expression VisitMethodCall(MethodCallExpression node)
        => IntentMarkers.TagOf(node) is { } tag
            ? IntentMarkers.Tagged(Visit(node.Arguments[0]), node.Method.GetGenericArguments()[0], tag)
            : base.VisitMethodCall(node);
}

#pragma warning disable EF1001 // EF Core's query provider, subclassed only so PgDiscipline's query extensions know the context runs PgDiscipline
/// <summary>EF Core's query provider for contexts that run PgDiscipline (registered by its options extension); behaves
/// exactly as EF Core's.</summary>
internal sealed class PgDisciplineQueryProvider(IQueryCompiler queryCompiler) : EntityQueryProvider(queryCompiler);
#pragma warning restore EF1001
