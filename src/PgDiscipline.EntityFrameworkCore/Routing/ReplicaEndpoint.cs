using Npgsql;
using NpgsqlTypes;

namespace PgDiscipline.Routing;

/// <summary>One replica: its data source, its health as last observed, and its load.</summary>
internal sealed class ReplicaEndpoint : IAsyncDisposable
{
    private int _inFlight;
    private const int LagHistoryLength = 720;
    private readonly LagSample[] _lag = new LagSample[LagHistoryLength];
    private volatile ReplicaHealth _health;
    private int _lagNext;
    private int _lagCount;
    private DateTimeOffset _lastSample = DateTimeOffset.MinValue;
    private long _replayed;
    private long _probedBehindAt;

    internal ReplicaEndpoint(ReplicaOptions options, int index)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Index = index;
        Host = builder.Host;
        Port = builder.Port;
        Name = options.Name ?? $"{builder.Host}:{builder.Port}";
        Definition = options;
        Pool = options.Pool;
        Weight = options.Weight;
        DataSource = NpgsqlDataSource.Create(builder);
        _health = new ReplicaHealth(false, "not checked yet", default, null, null, DateTimeOffset.MinValue);
    }

    /// <summary>Display name (metrics, logs, health check).</summary>
    public string Name { get; }

    /// <summary>The options it was made from (connection string with the Direct-mode startup options).</summary>
    internal ReplicaOptions Definition { get; }

    /// <summary>The name a replica's options give it: <see cref="ReplicaOptions.Name"/>, else host:port.</summary>
    internal static string NameOf(ReplicaOptions options)
    {
        if (options.Name is { } name)
        {
            return name;
        }

        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        return $"{builder.Host}:{builder.Port}";
    }

    /// <summary>Taken out of the replica set: no new reads; its data source is disposed once the reads in flight end.</summary>
    internal volatile bool Removed;

    /// <summary>Position in the routing targets (0 is the primary, replicas from 1 in configuration order).</summary>
    internal int Index { get; }

    internal string? Host { get; }

    internal int Port { get; }

    /// <summary>Pool for workload isolation.</summary>
    public string Pool { get; }

    /// <summary>Relative share of reads.</summary>
    public int Weight { get; }

    /// <summary>The latest health observation.</summary>
    public ReplicaHealth Health => _health;

    /// <summary>True while the replica is in rotation (healthy, and re-admitted after its recovery checks).</summary>
    public bool IsInRotation => Admitted;

    /// <summary>Commands now running on this replica.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    internal NpgsqlDataSource DataSource { get; }

    /// <summary>In rotation (healthy and admitted by the monitor's hysteresis).</summary>
    internal volatile bool Admitted;

    internal int HealthyStreak;

    internal int EjectionCount;

    internal DateTimeOffset LastEjected;

    /// <summary>The highest replay position known: from the last health check, raised by freshness probes in between.</summary>
    internal NpgsqlLogSequenceNumber Replayed => new((ulong)Volatile.Read(ref _replayed));

    /// <summary>A freshness probe saw <paramref name="position"/> (only ever raises the known position).</summary>
    internal void SawReplay(NpgsqlLogSequenceNumber position)
    {
        var seen = Volatile.Read(ref _replayed);
        while ((ulong)seen < (ulong)position)
        {
            var was = Interlocked.CompareExchange(ref _replayed, (long)(ulong)position, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    /// <summary>When (Stopwatch ticks) a freshness probe last found this replica behind a session; probes pause briefly
    /// after that so a replica whose replay is stopped does not get one probe per read.</summary>
    internal long ProbedBehindAt
    {
        get => Volatile.Read(ref _probedBehindAt);
        set => Volatile.Write(ref _probedBehindAt, value);
    }

    internal void Observe(ReplicaHealth health)
    {
        _health = health;
        // The health check is authoritative (a rebuilt replica can start over at a lower position).
        Volatile.Write(ref _replayed, (long)(ulong)health.ReplayPosition);
        lock (_lag)
        {
            // At most one sample a second, the last LagHistoryLength of them (12 minutes at one check a second).
            if (health.CheckedAt - _lastSample < TimeSpan.FromSeconds(1))
            {
                return;
            }

            _lastSample = health.CheckedAt;
            _lag[_lagNext] = new LagSample(health.CheckedAt, health.Lag?.TotalSeconds ?? 0, health.LagBytes, health.Healthy);
            _lagNext = (_lagNext + 1) % _lag.Length;
            _lagCount = Math.Min(_lagCount + 1, _lag.Length);
        }
    }

    /// <summary>Recent lag observations, oldest first (for the statistics snapshot and the report's lag chart).</summary>
    internal IReadOnlyList<LagSample> LagHistory()
    {
        lock (_lag)
        {
            var result = new LagSample[_lagCount];
            for (var i = 0; i < _lagCount; i++)
            {
                result[i] = _lag[(_lagNext - _lagCount + i + _lag.Length) % _lag.Length];
            }

            return result;
        }
    }

    internal void Enter() => Interlocked.Increment(ref _inFlight);

    internal void Leave() => Interlocked.Decrement(ref _inFlight);

    /// <summary>A read-only snapshot for <see cref="PgDisciplineRuntime.Replicas"/>.</summary>
    public ReplicaStatus Status() => new(Name, Pool, Weight, Admitted, InFlight, Health);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
