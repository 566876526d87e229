using Npgsql;
using NpgsqlTypes;
using PgDiscipline.Pipeline;
using PgDiscipline.Statistics;

namespace PgDiscipline.Routing;

/// <summary>One replica: its data source, its health as last observed, and its load.</summary>
internal sealed class ReplicaEndpoint : IAsyncDisposable, IExecutionSlot
{
    private int _inFlight;
    private const int LagHistoryLength = 720;
    private readonly LagSample[] _lag = new LagSample[LagHistoryLength];
    private volatile ReplicaHealth _health;
    private int _lagNext;
    private int _lagCount;
    private DateTimeOffset _lastSample = DateTimeOffset.MinValue;
    private long _replayed;
    private long _probedBehindAt = long.MinValue;
    private long _probedBehindPosition;

    /// <param name="options">The replica as configured, with the Direct-mode startup options in its connection string.</param>
    /// <param name="index">Its statistics target index.</param>
    /// <param name="statementTimeout">The statement timeout its server applies to a read without an override: the
    /// replica's own, else the configured one.</param>
    /// <param name="behindPgBouncer">Its connections go through PgBouncer in transaction mode.</param>
    internal ReplicaEndpoint(ReplicaOptions options, int index, TimeSpan? statementTimeout = null, bool behindPgBouncer = false)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        Index = index;
        Host = builder.Host;
        Port = builder.Port;
        Name = options.Name ?? $"{builder.Host}:{builder.Port}";
        Definition = options;
        Pool = options.Pool;
        Weight = options.Weight;
        StatementTimeout = statementTimeout;
        Bounded(builder, options.ConnectionString, statementTimeout);
        Monitor = NpgsqlDataSource.Create(ForMonitoring(new NpgsqlConnectionStringBuilder(builder.ConnectionString), behindPgBouncer));
        // Reads carry no command timeout of Npgsql's own (their bound is kept outside, see Routing.Bounded): the same default
        // keeps Npgsql from changing the socket's send timeout twice per read (setsockopt, 2% of a client's CPU under load).
        // Not the health checks' source: its rule-table poll has the configured command timeout as its own bound.
        builder.CommandTimeout = 0;
        DataSource = NpgsqlDataSource.Create(builder);
        _health = new ReplicaHealth(false, "not checked yet", default, null, null, DateTimeOffset.MinValue);
    }

    /// <summary>A replica that stops answering (frozen, partitioned) must cost a read no more than its statement timeout.
    /// Reads stop waiting at that bound themselves (<see cref="Routing.Bounded"/>) and leave the abandoned work to finish:
    /// opening a connection is bounded like the read, and TCP keepalives end a connection whose host is gone (unless the
    /// connection string says otherwise).</summary>
    private static void Bounded(NpgsqlConnectionStringBuilder builder, string configured, TimeSpan? statementTimeout)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = configured };
        if (!given.ContainsKey("Tcp Keepalive") && !given.ContainsKey("Tcp Keepalive Time"))
        {
            builder.TcpKeepAlive = true;
            builder.TcpKeepAliveTime = 10;
            builder.TcpKeepAliveInterval = 2;
        }

        if (ExecutionTimeouts.ClientBound(statementTimeout) is { } bound && !given.ContainsKey("Timeout"))
        {
            var seconds = (int)Math.Max(1, Math.Min(1024, Math.Ceiling(bound.TotalSeconds)));
            builder.Timeout = builder.Timeout == 0 ? seconds : Math.Min(builder.Timeout, seconds);
        }
    }

    /// <summary>The health checks' own pool: at most two connections, closed after half a minute idle, so a fleet's
    /// monitoring costs a replica (or its PgBouncer) a bounded number of client connections whatever the reads do. Behind
    /// PgBouncer in transaction mode a returned connection is not reset (its DISCARD ALL would run on any server).</summary>
    private static NpgsqlConnectionStringBuilder ForMonitoring(NpgsqlConnectionStringBuilder builder, bool behindPgBouncer)
    {
        builder.MaxPoolSize = 2;
        builder.MinPoolSize = 0;
        builder.ConnectionIdleLifetime = 30;
        if (behindPgBouncer)
        {
            builder.NoResetOnClose = true;
        }

        return builder;
    }

    /// <summary>The health checks' data source (see <see cref="ForMonitoring"/>).</summary>
    internal NpgsqlDataSource Monitor { get; }

    /// <summary>The statement timeout of a read on this replica without a tag or rule override (null: none).</summary>
    internal TimeSpan? StatementTimeout { get; }

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

    /// <summary>When (<see cref="TimeProvider"/> timestamp) a freshness probe last found this replica behind a session;
    /// probes pause briefly after that so a replica whose replay is stopped does not get one probe per read.</summary>
    internal long ProbedBehindAt
    {
        get => Volatile.Read(ref _probedBehindAt);
        set => Volatile.Write(ref _probedBehindAt, value);
    }

    /// <summary>The lowest position this replica was found behind since <see cref="ProbedBehindAt"/> began its pause: only
    /// reads that need at least that much are kept from probing it. A session token can claim any position; a replica
    /// found behind an absurd one must not be paused for everyone else.</summary>
    internal NpgsqlLogSequenceNumber ProbedBehindPosition => new((ulong)Volatile.Read(ref _probedBehindPosition));

    /// <summary>A probe at <paramref name="now"/> found this replica behind <paramref name="required"/>.</summary>
    internal void FoundBehind(long now, NpgsqlLogSequenceNumber required, long pauseTicks)
    {
        lock (_lag)
        {
            var last = ProbedBehindAt;
            var fresh = last == long.MinValue || now - last > pauseTicks;
            var lowest = fresh || required < ProbedBehindPosition ? required : ProbedBehindPosition;
            Volatile.Write(ref _probedBehindPosition, (long)(ulong)lowest);
            ProbedBehindAt = now;
        }
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

    /// <summary>A read that ran here is done (or will not run here after all).</summary>
    public void Leave() => Interlocked.Decrement(ref _inFlight);

    /// <summary>A read-only snapshot for <see cref="PgDisciplineRuntime.Replicas"/>.</summary>
    public ReplicaStatus Status() => new(Name, Pool, Weight, Admitted, InFlight, Health);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Monitor.DisposeAsync().ConfigureAwait(false);
        await DataSource.DisposeAsync().ConfigureAwait(false);
    }
}
