using Npgsql;

namespace PgDiscipline;

/// <summary>One replica: its data source, its health as last observed, and its load.</summary>
public sealed class ReplicaEndpoint : IAsyncDisposable
{
    private int _inFlight;
    private volatile ReplicaHealth _health;

    internal ReplicaEndpoint(ReplicaOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Name = options.Name ?? $"{builder.Host}:{builder.Port}";
        Pool = options.Pool;
        Weight = options.Weight;
        DataSource = NpgsqlDataSource.Create(builder);
        _health = new ReplicaHealth(false, "not checked yet", default, null, null, DateTimeOffset.MinValue);
    }

    /// <summary>Display name (metrics, logs, health check).</summary>
    public string Name { get; }

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

    internal void Observe(ReplicaHealth health) => _health = health;

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
