using Npgsql;
using NpgsqlTypes;
using PgDiscipline.HighAvailability;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Routing;

/// <summary>The runtime's own connections to the primary (the health checks' primary readings, read-your-writes position
/// captures), made from the first primary connection string a context shows and checked by the stale-primary guard.</summary>
internal sealed class PrimaryPosition(PrimaryTimelineGuard guard) : IAsyncDisposable
{
    private readonly object _gate = new();
    private PrimaryDataSource? _source;

    /// <summary>The primary's data source now (rebuilt without fenced hosts), or null before a context showed it.</summary>
    public NpgsqlDataSource? DataSource => Volatile.Read(ref _source)?.Current;

    /// <summary>Remembers the primary (from the first connection a context opens).</summary>
    public void See(string connectionString)
    {
        if (Volatile.Read(ref _source) is not null || string.IsNullOrEmpty(connectionString))
        {
            return;
        }

        lock (_gate)
        {
            _source ??= new PrimaryDataSource(connectionString, guard);
        }
    }

    /// <summary>Reads the primary's insert position now (one round trip).</summary>
    public async ValueTask<NpgsqlLogSequenceNumber> CaptureAsync(bool sync, CancellationToken cancellationToken)
    {
        var primary = DataSource ?? throw new InvalidOperationException("PgDiscipline has not seen the primary connection yet.");
        await using var cmd = primary.CreateCommand(ShapeSql.CaptureSql);
        var text = (string?)(sync ? cmd.ExecuteScalar() : await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
        return Lsns.TryParse(text, out var lsn) ? lsn : default;
    }

    public ValueTask DisposeAsync() => Volatile.Read(ref _source)?.DisposeAsync() ?? ValueTask.CompletedTask;
}
