using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;

using Npgsql;
using PgDiscipline.Configuration;
using PgDiscipline.HighAvailability;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Timeouts;

/// <summary>The context's own (primary) connection: Direct-mode timeouts as startup options, the deferred open, and the
/// refusal of a stale primary.</summary>
internal sealed class PrimaryConnection(CurrentOptions options, PrimaryTimelineGuard guard)
{
    private static readonly object PreparedMarker = new();
    private readonly ConditionalWeakTable<DbConnection, object> _preparedConnections = new();
    private readonly ConcurrentDictionary<string, string> _rewrittenConnectionStrings = new(StringComparer.Ordinal);

    /// <summary>Direct mode: the timeouts as startup options, once per connection object (after opening, Npgsql hides
    /// the password from ConnectionString, so it must not be rewritten twice).</summary>
    public void ApplyStartupOptions(DbConnection connection)
    {
        if (guard.PrepareOpen(connection, WithStartupOptions))
        {
            _preparedConnections.AddOrUpdate(connection, PreparedMarker);
            return;
        }

        var current = options.Value;
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

    /// <summary>A connection string with the Direct-mode startup options (unchanged in other modes).</summary>
    private string WithStartupOptions(string connectionString)
    {
        var current = options.Value;
        var timeouts = current.Timeouts;
        return current.Pooler != PoolerMode.Direct || (timeouts.Statement is null && timeouts.Lock is null && timeouts.IdleInTransaction is null)
            ? connectionString
            : _rewrittenConnectionStrings.GetOrAdd(connectionString, cs => TimeoutSql.WithStartupOptions(cs, timeouts));
    }

    /// <summary>Opens the primary connection if the connection interceptor deferred it, and refuses a stale primary.</summary>
    public ValueTask EnsureOpen(DbConnection? connection, bool sync, CancellationToken cancellationToken)
    {
        if (connection is null || connection.State == ConnectionState.Open)
        {
            return ValueTask.CompletedTask;
        }

        ApplyStartupOptions(connection);
        if (sync)
        {
            OpenVerified(connection);
            return ValueTask.CompletedTask;
        }

        return OpenAsync(connection, cancellationToken);
    }

    // A pooled connection whose server (or PgBouncer's server connection) went away breaks on its first query, which is
    // the check here: once, that connection is dropped and a fresh one opened, before the application's command runs.
    private void OpenVerified(DbConnection connection)
    {
        connection.Open();
        try
        {
            Verify(connection, sync: true, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (NpgsqlException) when (connection.State != ConnectionState.Open)
        {
            connection.Open();
            Verify(connection, sync: true, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    private async ValueTask OpenAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Verify(connection, sync: false, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException) when (connection.State != ConnectionState.Open && !cancellationToken.IsCancellationRequested)
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await Verify(connection, sync: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>After the primary connection opened (here or by EF Core): refuses a server on an older timeline.</summary>
    public ValueTask Verify(DbConnection connection, bool sync, CancellationToken cancellationToken)
        => guard.VerifyAsync(connection, WithStartupOptions, sync, cancellationToken);
}
