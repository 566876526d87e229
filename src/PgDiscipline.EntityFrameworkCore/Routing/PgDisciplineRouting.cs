using PgDiscipline.Pipeline;
namespace PgDiscipline;

/// <summary>Ambient routing intent for a block of code: <c>using (PgDisciplineRouting.ReadFromReplica()) { … }</c>. A
/// query's own intent (<c>ReadFromReplica()</c> / <c>ReadFromPrimary(reason)</c>) wins over the ambient one.</summary>
public static class PgDisciplineRouting
{
    private static readonly AsyncLocal<Scope?> Current = new();

    internal static ReadIntent AmbientIntent => Current.Value?.Intent ?? ReadIntent.None;

    internal static QueryPriority? AmbientPriority => Current.Value?.Priority;

    /// <summary>Replica-safe reads in this block go to a replica (writes and reads inside transactions still go to the primary).</summary>
    public static IDisposable ReadFromReplica(QueryPriority? priority = null) => Push(ReadIntent.Replica, priority);

    /// <summary>Reads in this block go to the primary; say why (it shows in reviews).</summary>
    public static IDisposable ReadFromPrimary(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return Push(ReadIntent.Primary, null);
    }

    private static Scope Push(ReadIntent intent, QueryPriority? priority)
    {
        var scope = new Scope(Current.Value, intent, priority);
        Current.Value = scope;
        return scope;
    }

    private sealed class Scope(Scope? parent, ReadIntent intent, QueryPriority? priority) : IDisposable
    {
        public ReadIntent Intent { get; } = intent;

        public QueryPriority? Priority { get; } = priority;

        public void Dispose() => Current.Value = parent;
    }
}
