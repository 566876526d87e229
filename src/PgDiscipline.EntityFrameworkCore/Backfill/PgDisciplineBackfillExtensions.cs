using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using PgDiscipline.Backfill;

namespace PgDiscipline;

/// <summary>What the EF Core runtime adds to backfills (PgDiscipline.Operations): definitions over an entity, and running
/// a backfill with a runtime's replica health, timeouts and statistics.</summary>
public static class PgDisciplineBackfillExtensions
{
    /// <summary>Uses a PgDiscipline runtime: replica lag from its health monitor (no second set of probes), its lock and
    /// statement timeouts when set, its logger, and its statistics snapshot shows the backfill.</summary>
    public static BackfillOptions UseRuntime(this BackfillOptions options, PgDisciplineRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runtime);
        options.Logger = runtime.Logger;
        options.Recorder = runtime.Statistics is { } statistics ? statistics.RecordBackfill : null;
        if (runtime.Replicas.Count > 0)
        {
            _ = runtime.StartMonitoringAsync(); // checks run in the background from now on, queries or not
            options.ReplicaLag = () => runtime.Replicas.Select(r => new ReplicaLagReading(r.Name, r.Health.Lag, r.Health.LagBytes)).ToArray();
        }

        if (runtime.Options.Timeouts.Lock is { } lockTimeout)
        {
            options.LockTimeout = lockTimeout;
        }

        if (runtime.Options.Timeouts.Statement is { } statementTimeout)
        {
            options.StatementTimeout = statementTimeout;
        }

        return options;
    }

    extension(BackfillDefinition)
    {
        /// <summary>An EF Core backfill over <typeparamref name="TEntity"/>'s table, keyed by an integer property (its primary
        /// key, usually). Each batch creates a context with <paramref name="createContext"/>, begins a transaction, and calls
        /// <paramref name="batch"/> with the entities of the key range — e.g.
        /// <c>(range, ct) =&gt; range.Where(u =&gt; u.EmailLower == null).ExecuteUpdateAsync(s =&gt; s.SetProperty(u =&gt; u.EmailLower, u =&gt; u.Email.ToLower()), ct)</c>
        /// — returning the rows it changed; the progress row commits in the same transaction. The range bounds are query
        /// parameters, so every batch is the same SQL.</summary>
        public static BackfillDefinition ForEntity<TContext, TEntity, TKey>(
            string name,
            Func<TContext> createContext,
            Expression<Func<TEntity, TKey>> key,
            Func<IQueryable<TEntity>, CancellationToken, Task<int>> batch)
            where TContext : DbContext
            where TEntity : class
            where TKey : struct
        {
            BackfillDefinition.CheckName(name);
            ArgumentNullException.ThrowIfNull(createContext);
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(batch);
            if (typeof(TKey) != typeof(long) && typeof(TKey) != typeof(int) && typeof(TKey) != typeof(short))
            {
                throw new BackfillDefinitionException(name, $"an EF Core backfill needs an integer key (long, int or short), not {typeof(TKey).Name}; use FromSql for other key types");
            }

            if (key.Body is not MemberExpression { Member: System.Reflection.PropertyInfo property })
            {
                throw new BackfillDefinitionException(name, "the key must be a property of the entity, e.g. u => u.Id");
            }

            using var context = createContext();
            var entityType = context.Model.FindEntityType(typeof(TEntity))
                ?? throw new BackfillDefinitionException(name, $"{typeof(TEntity).Name} is not an entity of {typeof(TContext).Name}");
            var store = StoreObjectIdentifier.Create(entityType, StoreObjectType.Table)
                ?? throw new BackfillDefinitionException(name, $"{typeof(TEntity).Name} is not mapped to a table");
            var keyProperty = entityType.FindProperty(property.Name)
                ?? throw new BackfillDefinitionException(name, $"{property.Name} is not a mapped property of {typeof(TEntity).Name}");
            var column = keyProperty.GetColumnName(store)
                ?? throw new BackfillDefinitionException(name, $"{property.Name} has no column in {store.Name}");
            var table = Quote(store.Schema) is { } schema ? schema + "." + Quote(store.Name) : Quote(store.Name)!;
            return BackfillDefinition.Create(name, new EfBackfillWork<TContext, TEntity, TKey>(table, column, createContext, key, batch));
        }
    }

    private static string? Quote(string? identifier) => identifier is null ? null : "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
