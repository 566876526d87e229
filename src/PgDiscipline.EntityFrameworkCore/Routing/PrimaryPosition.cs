using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using PgDiscipline.HighAvailability;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Routing;

/// <summary>The runtime's own work on the primary, from the first primary connection a context shows: the health
/// checks' primary readings run on a connection from the app's own pool (a fleet's monitoring then holds no primary
/// connection per instance beyond the app's pool), verified like the app's; read-your-writes position captures that
/// the write's round trip did not take run on a data source of their own (a capture must not wait for the app's pool
/// while the request holds one of its connections), checked by the stale-primary guard. <paramref name="prepare"/> and
/// <paramref name="verify"/> are what the app's primary connections get before and after they open (the composition root
/// passes <c>PrimaryConnection</c>'s).</summary>
internal sealed class PrimaryPosition(
    PrimaryTimelineGuard guard, Action<DbConnection> prepare, Func<DbConnection, bool, CancellationToken, ValueTask> verify) : IAsyncDisposable
{
    private readonly object _gate = new();
    private NpgsqlConnection? _template;
    private string? _connectionString;
    private PrimaryDataSource? _source;

    /// <summary>True once a context showed the primary.</summary>
    public bool Seen => Volatile.Read(ref _template) is not null;

    /// <summary>The captures' data source now (rebuilt without fenced hosts; created on the first capture), or null
    /// before a context showed the primary.</summary>
    public NpgsqlDataSource? DataSource
    {
        get
        {
            if (Volatile.Read(ref _source) is { } source)
            {
                return source.Current;
            }

            lock (_gate)
            {
                return _connectionString is null ? null : (_source ??= new PrimaryDataSource(_connectionString, guard)).Current;
            }
        }
    }

    /// <summary>Remembers the primary (from the first connection a context opens, before it opens: its connection
    /// string still carries the password, and a clone of it opens from the same pool).</summary>
    public void See(DbConnection connection)
    {
        if (Volatile.Read(ref _template) is not null || connection is not NpgsqlConnection npgsql || string.IsNullOrEmpty(npgsql.ConnectionString))
        {
            return;
        }

        lock (_gate)
        {
            if (_template is null)
            {
                _connectionString = npgsql.ConnectionString;
                Volatile.Write(ref _template, Clone(npgsql));
            }
        }
    }

    /// <summary>A connection from the app's own pool, opened as the app's are (Direct-mode startup options, a stale
    /// primary refused), or null before a context showed the primary. The caller disposes it (back to the pool).</summary>
    public async ValueTask<NpgsqlConnection?> OpenAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _template) is not { } template)
        {
            return null;
        }

        var connection = Clone(template);
        try
        {
            prepare(connection);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await verify(connection, false, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Npgsql's clone: the same connection string and password, the same pool (or data source).</summary>
    private static NpgsqlConnection Clone(NpgsqlConnection connection) => (NpgsqlConnection)((ICloneable)connection).Clone();

    /// <summary>Reads the primary's insert position now (one round trip).</summary>
    public async ValueTask<NpgsqlLogSequenceNumber> CaptureAsync(bool sync, CancellationToken cancellationToken)
    {
        var primary = DataSource ?? throw new InvalidOperationException("PgDiscipline has not seen the primary connection yet.");
        await using var cmd = primary.CreateCommand(ShapeSql.CaptureSql);
        var text = (string?)(sync ? cmd.ExecuteScalar() : await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
        return Lsns.TryParse(text, out var lsn) ? lsn : default;
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _template) is { } template)
        {
            await template.DisposeAsync().ConfigureAwait(false);
        }

        if (Volatile.Read(ref _source) is { } source)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }
}
