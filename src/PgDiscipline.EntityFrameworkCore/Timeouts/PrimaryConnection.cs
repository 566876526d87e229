using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;

namespace PgDiscipline.Timeouts;

/// <summary>The context's own (primary) connection: Direct-mode timeouts as startup options, the deferred open, and the
/// timeouts of a command that runs on it.</summary>
internal sealed class PrimaryConnection(Func<PgDisciplineOptions> options)
{
    private static readonly object PreparedMarker = new();
    private readonly ConditionalWeakTable<DbConnection, object> _preparedConnections = new();
    private readonly ConcurrentDictionary<string, string> _rewrittenConnectionStrings = new(StringComparer.Ordinal);

    /// <summary>Direct mode: the timeouts as startup options, once per connection object (after opening, Npgsql hides
    /// the password from ConnectionString, so it must not be rewritten twice).</summary>
    public void ApplyStartupOptions(DbConnection connection)
    {
        var current = options();
        var timeouts = current.Timeouts;
        if (current.Pooler != PoolerMode.Direct || (timeouts.Statement is null && timeouts.Lock is null && timeouts.IdleInTransaction is null))
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
    public ValueTask EnsureOpen(DbConnection? connection, bool sync, CancellationToken cancellationToken)
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

    /// <summary>The timeouts of a command that runs on the primary: the per-transaction <c>set_config</c> prefix (inside an
    /// explicit transaction only a statement-timeout override) and a client timeout just above the server's.</summary>
    public static void ApplyTimeouts(DbCommand command, CommandPlan plan)
    {
        var prefixed = command.Transaction is not null ? plan.PrefixedInsideTransaction : plan.PrefixedOutsideTransaction;
        if (prefixed is not null)
        {
            command.CommandText = prefixed;
        }

        if (plan.ClientTimeoutSeconds is { } seconds)
        {
            command.CommandTimeout = seconds;
        }
    }

    /// <summary>True when the command runs with the timeout prefix (its first result is the <c>set_config</c> row).</summary>
    public static bool IsPrefixed(DbCommand command) => command.CommandText.StartsWith(TimeoutSql.Marker, StringComparison.Ordinal);
}
