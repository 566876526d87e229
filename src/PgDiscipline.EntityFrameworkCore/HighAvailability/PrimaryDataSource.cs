using Npgsql;

namespace PgDiscipline.HighAvailability;

/// <summary>The runtime's own connections to the primary (health readings, read-your-writes position captures): an
/// Npgsql data source whose physical connections are checked by the <see cref="PrimaryTimelineGuard"/> and which is
/// rebuilt without the fenced hosts whenever the fenced set changes.</summary>
internal sealed class PrimaryDataSource : IAsyncDisposable
{
    private readonly string _configured;
    private readonly PrimaryTimelineGuard _guard;
    private readonly object _gate = new();
    private readonly List<NpgsqlDataSource> _retired = new();
    private NpgsqlDataSource _current;
    private int _version;

    public PrimaryDataSource(string configured, PrimaryTimelineGuard guard)
    {
        _configured = configured;
        _guard = guard;
        _version = guard.Version;
        _current = Build(Hosts());
    }

    /// <summary>The data source for the hosts not fenced now.</summary>
    public NpgsqlDataSource Current
    {
        get
        {
            var version = _guard.Version;
            if (version == Volatile.Read(ref _version))
            {
                return _current;
            }

            lock (_gate)
            {
                if (version != _version)
                {
                    _retired.Add(_current);
                    _current = Build(Hosts());
                    _version = version;
                }

                return _current;
            }
        }
    }

    private string Hosts() => MultiHost.Without(_configured, _guard.Fenced.Keys) ?? _configured;

    private NpgsqlDataSource Build(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UsePhysicalConnectionInitializer(
            // Npgsql's synchronous open path: one bounded round trip per physical connection.
            c => _guard.VerifyPhysicalAsync(c, sync: true).GetAwaiter().GetResult(),
            c => _guard.VerifyPhysicalAsync(c, sync: false));
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlDataSource[] all;
        lock (_gate)
        {
            all = [.. _retired, _current];
        }

        foreach (var ds in all)
        {
            await ds.DisposeAsync().ConfigureAwait(false);
        }
    }
}
