using Npgsql;

namespace PgDiscipline;

/// <summary>One replica: its data source, its health as last observed, and its load.</summary>
public sealed class ReplicaEndpoint : IAsyncDisposable
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
        Pool = options.Pool;
        Weight = options.Weight;
        DataSource = NpgsqlDataSource.Create(builder);
        _health = new ReplicaHealth(false, "not checked yet", default, null, null, DateTimeOffset.MinValue);
    }

    /// <summary>Display name (metrics, logs, health check).</summary>
    public string Name { get; }

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
    internal Lsn Replayed => new((ulong)Volatile.Read(ref _replayed));

    /// <summary>A freshness probe saw <paramref name="position"/> (only ever raises the known position).</summary>
    internal void SawReplay(Lsn position)
    {
        var seen = Volatile.Read(ref _replayed);
        while ((ulong)seen < position.Value)
        {
            var was = Interlocked.CompareExchange(ref _replayed, (long)position.Value, seen);
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
        Volatile.Write(ref _replayed, (long)health.ReplayPosition.Value);
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

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}

/// <summary>What a health check saw.</summary>
/// <param name="Healthy">Reachable, in recovery, and within <c>MaxReplicaLag</c>.</param>
/// <param name="Status">Why it is (un)healthy, for logs and the health check.</param>
/// <param name="ReplayPosition">Last replayed WAL position.</param>
/// <param name="LagBytes">Primary position minus replay position, when the primary answered.</param>
/// <param name="Lag">Time since the last replayed commit while replay is behind what was received (zero when caught up).</param>
/// <param name="CheckedAt">When.</param>
public sealed record ReplicaHealth(bool Healthy, string Status, Lsn ReplayPosition, long? LagBytes, TimeSpan? Lag, DateTimeOffset CheckedAt);

/// <summary>One lag observation kept for the statistics snapshot.</summary>
internal readonly record struct LagSample(DateTimeOffset At, double Seconds, long? Bytes, bool Healthy);
