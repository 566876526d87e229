using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.Workload;

/// <summary>How the simulated fleet is set up (<c>fleet --instances …</c>).</summary>
/// <param name="Mode"><c>listen</c>: today's runtime — rules through a LISTEN connection per instance on the primary.
/// <c>replicas</c>: issue 36's — rules read through the replicas' health checks, the primary's position read every
/// <paramref name="PrimaryReading"/>.</param>
/// <param name="ViaBouncers">Replicas reached through their own PgBouncers (Pooler = PgBouncerTransaction), not directly.</param>
internal sealed record FleetSettings(
    IReadOnlyList<int> Instances, string Mode, bool ViaBouncers, TimeSpan Interval, TimeSpan Measure, int StartPerSecond,
    int RuleRounds, int WaveSize, TimeSpan WavePause, TimeSpan PrimaryReading, int WriteEvery, TimeSpan RequestEvery, string Cli, bool Restart = true)
{
    public bool Listen => Mode == "listen";

    public string Describe => Listen
        ? $"before (today's runtime): rules by LISTEN, one direct connection per instance on the primary; replicas {(ViaBouncers ? "through their PgBouncers" : "direct")}; primary position read every HealthCheckInterval"
        : $"after (issue 36): rules read through the replicas (DatabaseRules.FromReplicas); replicas {(ViaBouncers ? "through their PgBouncers" : "direct")}; PrimaryReadingInterval {PrimaryReading.TotalSeconds:0.#} s";
}

/// <summary>The fleet's steady load, counted across instances.</summary>
internal sealed class FleetLoad
{
    private readonly ConcurrentDictionary<string, long> _failures = new(StringComparer.Ordinal);
    private readonly List<double> _readMs = new();
    private long _reads;
    private long _writes;
    private long _failedReads;
    private long _failedWrites;
    private long _stale;

    public long Reads => Interlocked.Read(ref _reads);

    public long Writes => Interlocked.Read(ref _writes);

    public long FailedReads => Interlocked.Read(ref _failedReads);

    public long FailedWrites => Interlocked.Read(ref _failedWrites);

    public long Stale => Interlocked.Read(ref _stale);

    public IReadOnlyDictionary<string, long> Failures => _failures;

    public void Read(double ms, bool stale)
    {
        Interlocked.Increment(ref _reads);
        if (stale)
        {
            Interlocked.Increment(ref _stale);
        }

        lock (_readMs)
        {
            _readMs.Add(ms);
        }
    }

    public void Wrote() => Interlocked.Increment(ref _writes);

    public void Failed(bool write, string key)
    {
        Interlocked.Increment(ref write ? ref _failedWrites : ref _failedReads);
        _failures.AddOrUpdate(key, 1, (_, n) => n + 1);
    }

    /// <summary>Forgets the latencies so far (the steady state is measured apart from the start).</summary>
    public void ResetLatencies()
    {
        lock (_readMs)
        {
            _readMs.Clear();
        }
    }

    public double ReadPercentile(double q)
    {
        lock (_readMs)
        {
            if (_readMs.Count == 0)
            {
                return 0;
            }

            _readMs.Sort();
            return _readMs[Math.Min(_readMs.Count - 1, (int)Math.Ceiling(q * _readMs.Count) - 1)];
        }
    }
}

/// <summary>One simulated app instance (a pod): its own runtime, its own pools (each connection string carries the
/// instance's Application Name, so Npgsql keeps its pools apart and pg_stat_activity tells the instances apart), and a
/// small steady load: one request every <see cref="FleetSettings.RequestEvery"/>, every <see cref="FleetSettings.WriteEvery"/>-th
/// a write and the others replica reads.</summary>
internal sealed class FleetInstance : IAsyncDisposable
{
    private readonly DbContextOptions<WorkloadDb> _db;
    private readonly string _primary;
    private readonly string? _rules;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private static int s_shown;
    private NpgsqlConnection? _appConnection;

    private FleetInstance(int index, PgDisciplineRuntime runtime, string primary, string? rules)
    {
        Index = index;
        Runtime = runtime;
        _primary = primary;
        _rules = rules;
        _db = new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(primary).UsePgDiscipline(runtime).Options;
    }

    public int Index { get; }

    public PgDisciplineRuntime Runtime { get; }

    public static string AppName(int index) => string.Create(CultureInfo.InvariantCulture, $"pgd-fleet-{index:0000}");

    /// <summary>Starts an instance as a host does: monitoring started, rules loaded, then the load.</summary>
    public static async Task<FleetInstance> StartAsync(LocalCluster cluster, FleetSettings s, int index, FleetLoad load)
    {
        var app = AppName(index);
        static string Named(string cs, string name) => new NpgsqlConnectionStringBuilder(cs) { ApplicationName = name }.ConnectionString;
        var o = new PgDisciplineOptions
        {
            HealthCheckInterval = s.Interval,
            Consistency = ReadConsistency.Session,
            MaxReplicaLag = TimeSpan.FromSeconds(1),
            Pooler = s.ViaBouncers ? PoolerMode.PgBouncerTransaction : PoolerMode.Direct,
            Statistics = { Enabled = false },
        };
        o.Timeouts.Statement = TimeSpan.FromSeconds(2);
        var replicas = s.ViaBouncers ? cluster.ReplicaPgBouncers : cluster.Replicas;
        for (var r = 0; r < replicas.Count; r++)
        {
            o.Replicas.Add(new ReplicaOptions { ConnectionString = Named(replicas[r], app), Name = $"replica{r + 1}" });
        }

        string? rules = null;
        if (s.Listen)
        {
            rules = Named(cluster.Primary, app + "-rules");
            o.DatabaseRules.ConnectionString = rules;
        }
        else
        {
            o.DatabaseRules.FromReplicas = true;
            o.PrimaryReadingInterval = s.PrimaryReading;
        }

        var instance = new FleetInstance(index, PgDisciplineRuntime.Create(o), Named(cluster.Primary, app), rules);
        await instance.Runtime.StartMonitoringAsync();
        await Task.WhenAny(instance.Runtime.DatabaseRulesLoaded, Task.Delay(TimeSpan.FromSeconds(15)));
        instance._loop = Task.Run(() => instance.LoadAsync(load, s.WriteEvery, s.RequestEvery));
        return instance;
    }

    private async Task LoadAsync(FleetLoad load, int writeEvery, TimeSpan every)
    {
        var ct = _stop.Token;
        var rng = new Random(Index * 7919 + 17);
        var group = Index % Workload.Groups;
        var rows = Enumerable.Range(0, Workload.RowsPerGroup).Select(i => (long)(group + (i * Workload.Groups))).ToArray();
        var known = rows.ToDictionary(r => r, _ => 0L);
        string? token = null;
        try
        {
            await Task.Delay(every * rng.NextDouble(), ct); // instances out of phase, as real pods are
            using var timer = new PeriodicTimer(every);
            var tick = 0;
            do
            {
                // The first request writes: the instance then holds what a serving pod holds (its primary pool, and
                // the primary seen by the runtime); then every writeEvery-th.
                var write = tick++ % writeEvery == 0;
                var id = rows[rng.Next(rows.Length)];
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await using var db = new WorkloadDb(_db);
                    if (token is not null)
                    {
                        db.GetPgDisciplineSession().Token = token;
                    }

                    if (write)
                    {
                        known[id] = (await db.Database.SqlQuery<long>($"update wl_items set version = version + 1 where id = {id} returning version as \"Value\"").ToListAsync(ct)).Single();
                        // Its connection string as the runtime rewrote it (Direct mode adds the timeouts): the pool to close.
                        _appConnection ??= (NpgsqlConnection)db.Database.GetDbConnection();
                        token = await db.GetPgDisciplineSession().GetTokenAsync(ct);
                        load.Wrote();
                    }
                    else
                    {
                        var seen = await db.Items.AsNoTracking().ReadFromReplica().Where(i => i.Id == id).ToListAsync(ct);
                        load.Read(Stopwatch.GetElapsedTime(t0).TotalMilliseconds, seen.Any(i => i.Version < known[i.Id]));
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    load.Failed(write, Workload.ErrorKey(ex));
                    if (Interlocked.Increment(ref s_shown) <= 3)
                    {
                        // The first few in full on stderr (test cluster only): where a failure came from.
                        Console.Error.WriteLine($"[fleet] instance {Index}: {(write ? "write" : "read")} failed: {ex}");
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops the instance as a pod stops: load ended, runtime disposed, and its pools' connections closed (in a
    /// real pod they die with the process; here Npgsql's global pools would keep them).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await Runtime.DisposeAsync();
        if (_appConnection is not null)
        {
            NpgsqlConnection.ClearPool(_appConnection);
        }

        foreach (var cs in new[] { _primary, _rules })
        {
            if (cs is not null)
            {
                await using var c = new NpgsqlConnection(cs);
                NpgsqlConnection.ClearPool(c);
            }
        }

        _stop.Dispose();
    }
}
