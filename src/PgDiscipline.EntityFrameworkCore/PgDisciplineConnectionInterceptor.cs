using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline;

/// <summary>Direct mode: puts the timeouts into the connection's startup options before it opens (no per-command cost).
/// With replicas: remembers the primary, and defers opening the primary connection until a command needs it.</summary>
internal sealed class PgDisciplineConnectionInterceptor(PgDisciplineRuntime runtime) : DbConnectionInterceptor
{
    public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
        => Opening(connection, result);

    public override ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Opening(connection, result));

    private InterceptionResult Opening(DbConnection connection, InterceptionResult result)
    {
        if (runtime.Router is { } router)
        {
            router.SeePrimary(connection.ConnectionString);
            if (runtime.Options.LazyPrimaryConnection)
            {
                return InterceptionResult.Suppress(); // opened by EnsureOpen when a command needs the primary
            }
        }

        runtime.ApplyStartupOptions(connection);
        return result;
    }
}

/// <summary>Connection helpers shared by the interceptors.</summary>
public sealed partial class PgDisciplineRuntime
{
    private static readonly object PreparedMarker = new();
    private readonly ConditionalWeakTable<DbConnection, object> _preparedConnections = new();
    private readonly ConcurrentDictionary<string, string> _rewrittenConnectionStrings = new(StringComparer.Ordinal);

    /// <summary>Direct mode: the timeouts as startup options, once per connection object (after opening, Npgsql hides
    /// the password from ConnectionString, so it must not be rewritten twice).</summary>
    internal void ApplyStartupOptions(DbConnection connection)
    {
        var options = Options;
        var timeouts = options.Timeouts;
        if (options.Pooler != PoolerMode.Direct || (timeouts.Statement is null && timeouts.Lock is null && timeouts.IdleInTransaction is null))
        {
            return;
        }

        if (_preparedConnections.TryGetValue(connection, out _) || connection.State != ConnectionState.Closed)
        {
            return;
        }

        var original = connection.ConnectionString;
        connection.ConnectionString = _rewrittenConnectionStrings.GetOrAdd(original, cs => TimeoutSql.WithStartupOptions(cs, timeouts));
        _preparedConnections.AddOrUpdate(connection, PreparedMarker);
    }

    /// <summary>Opens the primary connection if the connection interceptor deferred it.</summary>
    internal ValueTask EnsureOpen(DbConnection? connection, bool sync, CancellationToken cancellationToken)
    {
        if (connection is null || connection.State == ConnectionState.Open)
        {
            return ValueTask.CompletedTask;
        }

        ApplyStartupOptions(connection);
        if (sync)
        {
            connection.Open();
            return ValueTask.CompletedTask;
        }

        return new ValueTask(connection.OpenAsync(cancellationToken));
    }
}
