using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace PgDiscipline;

/// <summary>Per-query routing intent and the read-your-writes session of a DbContext.</summary>
public static class RoutingExtensions
{
    /// <summary>This read may be served by a replica (only if it is replica-safe and not inside a transaction).</summary>
    public static IQueryable<T> ReadFromReplica<T>(this IQueryable<T> source) => source.TagWith(PgDisciplineRuntime.ReadReplicaTag);

    /// <summary>This read must be served by the primary; say why (it shows in reviews and reports).</summary>
    public static IQueryable<T> ReadFromPrimary<T>(this IQueryable<T> source, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return source.TagWith(PgDisciplineRuntime.ReadPrimaryTag + " " + reason.ReplaceLineEndings(" "));
    }

    /// <summary>Marks the query's priority: <see cref="QueryPriority.Low"/> reads use the replica pool named <c>low</c> when there is one.</summary>
    public static IQueryable<T> WithPriority<T>(this IQueryable<T> source, QueryPriority priority)
        => source.TagWith(PgDisciplineRuntime.PriorityTag + priority.ToString().ToLowerInvariant());

    /// <summary>The read-your-writes session of this context (token to carry across requests and instances).</summary>
    public static PgDisciplineSession GetPgDisciplineSession(this DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var router = FindRuntime(context)?.Router
            ?? throw new InvalidOperationException("This DbContext has no PgDiscipline replicas configured (UsePgDiscipline with AddReplica).");
        return router.Session(context);
    }

    /// <summary>The PgDiscipline runtime this context uses, or null.</summary>
    public static PgDisciplineRuntime? FindRuntime(DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var core = context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>();
        return core?.Interceptors?.OfType<PgDisciplineCommandInterceptor>().FirstOrDefault()?.Runtime;
    }
}
