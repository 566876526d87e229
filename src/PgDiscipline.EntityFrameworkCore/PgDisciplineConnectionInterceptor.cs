using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgDiscipline;

/// <summary>Direct mode: puts the timeouts into the connection's startup options before it opens (no per-command cost).</summary>
internal sealed class PgDisciplineConnectionInterceptor(PgDisciplineRuntime runtime) : DbConnectionInterceptor
{
    private static readonly object Marker = new();
    private readonly ConditionalWeakTable<DbConnection, object> _prepared = new();
    private readonly ConcurrentDictionary<string, string> _rewritten = new(StringComparer.Ordinal);

    public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        ApplyStartupOptions(connection);
        return result;
    }

    public override ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        ApplyStartupOptions(connection);
        return ValueTask.FromResult(result);
    }

    private void ApplyStartupOptions(DbConnection connection)
    {
        var options = runtime.Options;
        var timeouts = options.Timeouts;
        if (options.Pooler != PoolerMode.Direct || (timeouts.Statement is null && timeouts.Lock is null && timeouts.IdleInTransaction is null))
        {
            return;
        }

        // Once per connection object: after opening, Npgsql hides the password from ConnectionString.
        if (_prepared.TryGetValue(connection, out _))
        {
            return;
        }

        var original = connection.ConnectionString;
        connection.ConnectionString = _rewritten.GetOrAdd(original, cs => TimeoutSql.WithStartupOptions(cs, timeouts));
        _prepared.AddOrUpdate(connection, Marker);
    }
}
