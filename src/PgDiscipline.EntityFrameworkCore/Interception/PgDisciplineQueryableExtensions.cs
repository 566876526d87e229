using System.Globalization;
using Microsoft.EntityFrameworkCore;
using PgDiscipline.Pipeline;

namespace PgDiscipline;

/// <summary>Per-query instructions, carried to the interceptors as query tags (<c>-- pgdiscipline:…</c>; the two without
/// arguments as markers EF Core turns into those tags when it compiles the query, see Interception.IntentMarkers).</summary>
public static class PgDisciplineQueryableExtensions
{
    /// <summary>This read may be served by a replica (only if it is replica-safe and not inside a transaction).</summary>
    public static IQueryable<T> ReadFromReplica<T>(this IQueryable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Interception.IntentMarkers.Mark(source, Interception.IntentMarkers.MarkerKind.ReadFromReplica);
    }

    /// <summary>This read must be served by the primary; say why (it shows in reviews and reports).</summary>
    public static IQueryable<T> ReadFromPrimary<T>(this IQueryable<T> source, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return source.TagWith(QueryTags.ReadPrimary + " " + reason.ReplaceLineEndings(" "));
    }

    /// <summary>Marks the query's priority: <see cref="QueryPriority.Low"/> reads use the replica pool named <c>low</c> when there is one.</summary>
    public static IQueryable<T> WithPriority<T>(this IQueryable<T> source, QueryPriority priority)
        => source.TagWith(QueryTags.Priority + priority.ToString().ToLowerInvariant());

    /// <summary>While an identical execution of this read (same SQL, same parameter values) is in flight in this process,
    /// wait for it and share its rows instead of running another (a cache-miss storm becomes one query). Only for
    /// replica-safe reads outside transactions; see <see cref="PgDisciplineOptions.Coalescing"/>.</summary>
    public static IQueryable<T> Coalesce<T>(this IQueryable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Interception.IntentMarkers.Mark(source, Interception.IntentMarkers.MarkerKind.Coalesce);
    }

    /// <summary>Sets <c>statement_timeout</c> for this query only (server-side; the client timeout is aligned above it).</summary>
    public static IQueryable<T> WithStatementTimeout<T>(this IQueryable<T> source, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        var ms = ((long)Math.Ceiling(timeout.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        return source.TagWith(QueryTags.StatementTimeout + ms + "ms");
    }
}
