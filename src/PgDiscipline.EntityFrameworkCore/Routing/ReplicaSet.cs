using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using PgDiscipline.Configuration;
using PgDiscipline.Pipeline;
using PgDiscipline.Sql;
using PgDiscipline.Diagnostics;
using PgDiscipline.HighAvailability;
using PgDiscipline.Operations;

namespace PgDiscipline.Routing;

/// <summary>
/// The replicas reads may go to: membership, pools, and changes while reads run. A replica whose definition is
/// unchanged keeps its endpoint (health, lag history, connections); a new one starts out of rotation and is admitted by
/// the health checks; a removed one takes no new read at once and its connections close when its reads in flight end.
/// </summary>
internal sealed class ReplicaSet : IAsyncDisposable, IGaugeSource
{
    private readonly CurrentOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly QueryStatistics? _statistics;
    private readonly object _gate = new();
    private readonly List<Task> _draining = new();
    private readonly int _created;
    private int _nextIndex;
    private volatile Members _members;

    public ReplicaSet(CurrentOptions options, ILogger logger, TimeProvider time, PrimaryTimelineGuard guard, QueryStatistics? statistics = null)
    {
        _options = options;
        _logger = logger;
        _time = time;
        _statistics = statistics;
        _members = new Members([.. options.Value.Replicas.Select(r => Create(WithTimeouts(r, options.Value)))]);
        _created = _members.All.Length;
        if (statistics is not null)
        {
            statistics.LagHistory = LagSnapshots;
        }

        PgDisciplineTelemetry.Register(this);
        guard.Witnesses = ReplicaTimelinesAsync;
    }

    /// <summary>The newest timeline any replica's WAL receiver streams (0 when none can tell: the column needs
    /// <c>pg_read_all_stats</c>), for the stale-primary guard to confirm a timeline a session token claims.</summary>
    private async Task<long> ReplicaTimelinesAsync(CancellationToken cancellationToken)
    {
        var newest = 0L;
        foreach (var replica in All)
        {
            try
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(3), _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
                await using var cmd = replica.Monitor.CreateCommand("select received_tli from pg_stat_wal_receiver");
                if (await cmd.ExecuteScalarAsync(linked.Token).ConfigureAwait(false) is int tli)
                {
                    newest = Math.Max(newest, tli);
                }
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
            }
        }

        return newest;
    }

    /// <summary>The runtime was created with replicas (only such a runtime routes reads, and may change its set later).</summary>
    public bool Configured => _created > 0;

    /// <summary>The replicas in the set now (a removed replica leaves it at once).</summary>
    public ReplicaEndpoint[] All => _members.All;

    /// <summary>Whether a pool of that name exists now.</summary>
    public bool HasPool(string pool) => _members.Pools.ContainsKey(pool);

    /// <summary>The members of <paramref name="pool"/>; an unknown pool reads from the default pool (or all replicas).</summary>
    public ReplicaEndpoint[] PoolMembers(string pool)
    {
        var members = _members;
        return members.Pools.TryGetValue(pool, out var replicas) || members.Pools.TryGetValue(ReplicaOptions.DefaultPool, out replicas) ? replicas : members.All;
    }

    /// <summary>Makes <paramref name="replicas"/> the replica set while reads run.</summary>
    public (int Added, int Removed) Set(IReadOnlyList<ReplicaOptions> replicas)
    {
        lock (_gate)
        {
            var current = _members.All;
            var kept = new List<ReplicaEndpoint>();
            var added = 0;
            foreach (var definition in replicas.Select(r => WithTimeouts(r, _options.Value)))
            {
                var same = current.FirstOrDefault(e => !kept.Contains(e) && SameDefinition(e.Definition, definition));
                if (same is not null)
                {
                    kept.Add(same);
                }
                else
                {
                    kept.Add(Create(definition));
                    added++;
                }
            }

            var removed = current.Where(e => !kept.Contains(e)).ToList();
            _members = new Members([.. kept]);
            foreach (var endpoint in removed)
            {
                endpoint.Removed = true;
                endpoint.Admitted = false;
                _draining.Add(DrainAsync(endpoint));
            }

            if (added > 0 || removed.Count > 0)
            {
                Log.ReplicaSetChanged(_logger, added, removed.Count, kept.Count);
            }

            return (added, removed.Count);
        }
    }

    private ReplicaEndpoint Create((ReplicaOptions Definition, TimeSpan? Statement) replica)
    {
        var name = ReplicaEndpoint.NameOf(replica.Definition);
        var index = _statistics?.TargetIndex(name) ?? Interlocked.Increment(ref _nextIndex);
        return new ReplicaEndpoint(replica.Definition, index, replica.Statement, _options.Value.Pooler == PoolerMode.PgBouncerTransaction);
    }

    private static bool SameDefinition(ReplicaOptions a, (ReplicaOptions Definition, TimeSpan? Statement) b)
        => a.ConnectionString == b.Definition.ConnectionString && a.Name == b.Definition.Name && a.Pool == b.Definition.Pool && a.Weight == b.Definition.Weight;

    /// <summary>Direct mode: the replica's timeouts (its own, else the configured ones) become startup options of its
    /// connections. Also the statement timeout its server applies.</summary>
    private static (ReplicaOptions Definition, TimeSpan? Statement) WithTimeouts(ReplicaOptions replica, PgDisciplineOptions options)
    {
        if (options.Pooler != PoolerMode.Direct)
        {
            return (replica, options.Timeouts.Statement);
        }

        var merged = new TimeoutOptions
        {
            Statement = replica.Timeouts.Statement ?? options.Timeouts.Statement,
            Lock = replica.Timeouts.Lock ?? options.Timeouts.Lock,
            IdleInTransaction = replica.Timeouts.IdleInTransaction ?? options.Timeouts.IdleInTransaction,
        };
        var definition = new ReplicaOptions
        {
            ConnectionString = TimeoutSql.WithStartupOptions(replica.ConnectionString, merged),
            Name = replica.Name,
            Pool = replica.Pool,
            Weight = replica.Weight,
        };
        return (definition, merged.Statement);
    }

    /// <summary>Waits for the reads running on a removed replica (at most a minute), then closes its connections.</summary>
    private async Task DrainAsync(ReplicaEndpoint endpoint)
    {
        var started = _time.GetTimestamp();
        while (endpoint.InFlight > 0 && _time.GetElapsedTime(started) < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time).ConfigureAwait(false);
        }

        await endpoint.DisposeAsync().ConfigureAwait(false);
    }

    private IEnumerable<ReplicaLagSnapshot> LagSnapshots() => All.Select(r => new ReplicaLagSnapshot
    {
        Name = r.Name,
        Pool = r.Pool,
        InRotation = r.IsInRotation,
        Lag = r.LagHistory().Select(s => new LagPoint { T = s.At, Seconds = Math.Round(s.Seconds, 4), Bytes = s.Bytes, Healthy = s.Healthy }).ToList(),
    });

    public void Observe(GaugeKind kind, List<Measurement<double>> into)
    {
        foreach (var r in All)
        {
            double? value = kind switch
            {
                GaugeKind.ReplicaLag => r.Health.Lag?.TotalSeconds ?? 0,
                GaugeKind.ReplicaLagBytes => r.Health.LagBytes ?? 0,
                GaugeKind.ReplicaAdmitted => r.Admitted ? 1 : 0,
                _ => null,
            };
            if (value is { } v)
            {
                into.Add(new Measurement<double>(v, new KeyValuePair<string, object?>("pgdiscipline.replica", r.Name)));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        PgDisciplineTelemetry.Unregister(this);
        Task[] draining;
        lock (_gate)
        {
            draining = [.. _draining];
        }

        foreach (var r in _members.All)
        {
            await r.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(draining).ConfigureAwait(false);
    }

    /// <summary>An immutable membership: read once per routing decision, replaced whole by <see cref="Set"/>.</summary>
    private sealed class Members
    {
        public Members(ReplicaEndpoint[] all)
        {
            All = all;
            Pools = all.GroupBy(r => r.Pool, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        }

        public ReplicaEndpoint[] All { get; }

        public Dictionary<string, ReplicaEndpoint[]> Pools { get; }
    }
}
