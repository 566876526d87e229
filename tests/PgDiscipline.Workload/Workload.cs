using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PgDiscipline.Workload;

/// <summary>A row of the workload table. Each client owns one group of rows and is the only writer of them, so it knows
/// the version every one of its rows must at least have: a read returning less is a stale read (read-your-writes broken),
/// and a primary holding less at the end is a lost write.</summary>
internal sealed class WlItem
{
    public long Id { get; set; }

    public int Grp { get; set; }

    public long Version { get; set; }

    public string Body { get; set; } = "";
}

internal sealed class WorkloadDb(DbContextOptions<WorkloadDb> options) : DbContext(options)
{
    public DbSet<WlItem> Items => Set<WlItem>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<WlItem>(e =>
        {
            e.ToTable("wl_items");
            e.Property(i => i.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(i => i.Grp).HasColumnName("grp");
            e.Property(i => i.Version).HasColumnName("version");
            e.Property(i => i.Body).HasColumnName("body");
        });
}

/// <summary>What one run observed.</summary>
internal sealed class RunResult
{
    private readonly ConcurrentDictionary<string, long> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, long> _okPerSecond = new();
    private readonly ConcurrentDictionary<long, long> _failedPerSecond = new();
    private long _attempted;
    private long _succeeded;
    private long _stale;
    private long _failedReads;
    private long _reads;
    private long _writes;
    private long _acknowledged;

    public long Attempted => Interlocked.Read(ref _attempted);

    public long Succeeded => Interlocked.Read(ref _succeeded);

    public long Failed => Attempted - Succeeded;

    public long Stale => Interlocked.Read(ref _stale);

    /// <summary>Failed requests that were reads.</summary>
    public long FailedReads => Interlocked.Read(ref _failedReads);

    public long Reads => Interlocked.Read(ref _reads);

    public long Writes => Interlocked.Read(ref _writes);

    public long LostWrites { get; set; }

    /// <summary>Writes whose new version came back to the client.</summary>
    public long AcknowledgedWrites => Interlocked.Read(ref _acknowledged);

    /// <summary>Rows those writes touched (the lost-write check compares each row's last acknowledged version).</summary>
    public long AcknowledgedRows { get; set; }

    public TimeSpan Duration { get; set; }

    public List<double> LatenciesMs { get; } = [];

    /// <summary>Failed requests by error (SQLSTATE, exception type, or PgDiscipline rule) — never a message.</summary>
    public IReadOnlyDictionary<string, long> Failures => _failures;

    /// <summary>Failed requests per second since the start of the run.</summary>
    public IReadOnlyDictionary<long, long> FailedPerSecond => _failedPerSecond;

    /// <summary>Time of the last failure, since the start of the run.</summary>
    public TimeSpan? LastFailureAt { get; private set; }

    /// <summary>Time of the first failure, since the start of the run.</summary>
    public TimeSpan? FirstFailureAt { get; private set; }

    public double Throughput => Succeeded / Duration.TotalSeconds;

    public void Attempt(bool write)
    {
        Interlocked.Increment(ref _attempted);
        Interlocked.Increment(ref write ? ref _writes : ref _reads);
    }

    /// <summary>Takes back an attempt cut short by the end of the run.</summary>
    public void Abandon(bool write)
    {
        Interlocked.Decrement(ref _attempted);
        Interlocked.Decrement(ref write ? ref _writes : ref _reads);
    }

    public void Ok(TimeSpan at) { Interlocked.Increment(ref _succeeded); _okPerSecond.AddOrUpdate((long)at.TotalSeconds, 1, (_, n) => n + 1); }

    public void StaleRead() => Interlocked.Increment(ref _stale);

    public void FailedRead() => Interlocked.Increment(ref _failedReads);

    public void Acknowledged() => Interlocked.Increment(ref _acknowledged);

    public void Fail(string error, TimeSpan at)
    {
        _failures.AddOrUpdate(error, 1, (_, n) => n + 1);
        _failedPerSecond.AddOrUpdate((long)at.TotalSeconds, 1, (_, n) => n + 1);
        lock (_failures)
        {
            LastFailureAt = LastFailureAt is { } last && last > at ? last : at;
            FirstFailureAt = FirstFailureAt is { } first && first < at ? first : at;
        }
    }

    public double Percentile(double q)
    {
        if (LatenciesMs.Count == 0)
        {
            return 0;
        }

        LatenciesMs.Sort();
        return LatenciesMs[Math.Min(LatenciesMs.Count - 1, (int)Math.Ceiling(q * LatenciesMs.Count) - 1)];
    }

    public string FailureText => Failures.Count == 0 ? "—" : string.Join(", ", Failures.OrderByDescending(p => p.Value).Select(p => $"{p.Key} × {p.Value}"));
}

/// <summary>The read-heavy client mix: 55% point reads and 40% 20-row lists of the client's own rows, 5% single-row
/// updates that return the new version. One DbContext per request, as in a web app.</summary>
internal static class Workload
{
    public const int Groups = 2000;
    public const int RowsPerGroup = 10;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task CreateSchemaAsync(string primary)
    {
        await using var conn = new NpgsqlConnection(primary);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"""
            drop table if exists wl_items;
            create table wl_items (id bigint primary key, grp int not null, version bigint not null default 0, body text not null);
            insert into wl_items select g, g % {Groups}, 0, md5(g::text) from generate_series(0, {Groups * RowsPerGroup - 1}) g;
            create index wl_items_grp on wl_items (grp);
            analyze wl_items;
            """, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until every replica has replayed the primary's current position.</summary>
    public static async Task WaitForReplicasAsync(string primary, IEnumerable<string> replicas, TimeSpan timeout)
    {
        string lsn;
        await using (var conn = new NpgsqlConnection(primary))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("select pg_current_wal_lsn()::text", conn);
            lsn = (string)(await cmd.ExecuteScalarAsync())!;
        }

        var deadline = Stopwatch.StartNew();
        foreach (var replica in replicas)
        {
            while (true)
            {
                try
                {
                    await using var conn = new NpgsqlConnection(replica);
                    await conn.OpenAsync();
                    await using var cmd = new NpgsqlCommand("select pg_last_wal_replay_lsn() >= @lsn::pg_lsn", conn);
                    cmd.Parameters.AddWithValue("lsn", lsn);
                    if ((bool)(await cmd.ExecuteScalarAsync())!)
                    {
                        break;
                    }
                }
                catch (NpgsqlException) when (deadline.Elapsed < timeout)
                {
                }

                if (deadline.Elapsed > timeout)
                {
                    throw new TimeoutException("replica did not catch up");
                }

                await Task.Delay(100);
            }
        }
    }

    /// <summary>Runs <paramref name="workers"/> clients for <paramref name="duration"/>; <paramref name="firstGroup"/>
    /// keeps concurrent runs on separate rows.</summary>
    public static Task<RunResult> RunAsync(Variant variant, int workers, TimeSpan duration, string primary, int firstGroup = 0, CancellationToken cancellationToken = default)
        => RunAsync(variant, workers, duration, () => primary, firstGroup, cancellationToken);

    /// <summary>As above; lost writes are counted on the server <paramref name="primary"/> names when the run ends.</summary>
    public static async Task<RunResult> RunAsync(Variant variant, int workers, TimeSpan duration, Func<string> primary, int firstGroup = 0, CancellationToken cancellationToken = default)
    {
        var result = new RunResult();
        var acked = new ConcurrentDictionary<long, long>();
        var clock = Stopwatch.StartNew();
        var latencies = new List<double>[workers];

        async Task Client(int index)
        {
            var group = (firstGroup + index) % Groups;
            var rows = Enumerable.Range(0, RowsPerGroup).Select(i => (long)(group + (i * Groups))).ToArray();
            var known = rows.ToDictionary(r => r, _ => 0L);
            var rng = new Random(index * 7919 + 17);
            string? token = null;
            var mine = latencies[index] = new List<double>(capacity: 16_384);
            while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
            {
                var roll = rng.Next(100);
                var write = roll >= 95;
                result.Attempt(write);
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    if (write)
                    {
                        var id = rows[rng.Next(rows.Length)];
                        await using var db = variant.CreateWrites();
                        if (variant.Runtime is not null && token is not null)
                        {
                            db.GetPgDisciplineSession().Token = token;
                        }

                        var version = (await db.Database.SqlQuery<long>($"update wl_items set version = version + 1 where id = {id} returning version as \"Value\"").ToListAsync(cancellationToken)).Single();
                        known[id] = version;
                        acked[id] = version;
                        result.Acknowledged();
                        if (variant.Runtime is not null)
                        {
                            token = await db.GetPgDisciplineSession().GetTokenAsync(cancellationToken);
                        }
                    }
                    else
                    {
                        await using var db = variant.CreateReads();
                        if (variant.Runtime is not null && token is not null)
                        {
                            db.GetPgDisciplineSession().Token = token;
                        }

                        IQueryable<WlItem> items = db.Items.AsNoTracking();
                        if (variant.Runtime is not null)
                        {
                            items = items.ReadFromReplica();
                        }

                        List<WlItem> seen;
                        if (roll < 55)
                        {
                            var id = rows[rng.Next(rows.Length)];
                            seen = await items.Where(i => i.Id == id).ToListAsync(cancellationToken);
                        }
                        else
                        {
                            seen = await items.Where(i => i.Grp == group).OrderBy(i => i.Id).Take(20).ToListAsync(cancellationToken);
                        }

                        if (seen.Any(i => i.Version < known[i.Id]))
                        {
                            result.StaleRead();
                        }
                    }

                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    result.Ok(clock.Elapsed);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    result.Abandon(write); // the run was stopped: the request in flight does not count
                    break;
                }
                catch (Exception ex)
                {
                    result.Fail(ErrorKey(ex), clock.Elapsed);
                    if (!write)
                    {
                        result.FailedRead();
                    }

                    await Task.Delay(5, CancellationToken.None); // a failing client does not spin
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(i => Task.Run(() => Client(i), CancellationToken.None)));
        result.Duration = clock.Elapsed;
        foreach (var l in latencies)
        {
            result.LatenciesMs.AddRange(l ?? []);
        }

        (result.AcknowledgedRows, result.LostWrites) = await CountLostWritesAsync(primary(), acked);
        return result;
    }

    /// <summary>Every acknowledged version must be on the primary (a higher one is fine: a write whose answer was lost
    /// may still have committed).</summary>
    private static async Task<(long Acknowledged, long Lost)> CountLostWritesAsync(string primary, ConcurrentDictionary<long, long> acked)
    {
        if (acked.IsEmpty)
        {
            return (0, 0);
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(primary) { Pooling = false }.ConnectionString);
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("select id, version from wl_items where id = any(@ids)", conn);
                cmd.Parameters.AddWithValue("ids", acked.Keys.ToArray());
                var onPrimary = new Dictionary<long, long>();
                await using (var reader = await cmd.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        onPrimary[reader.GetInt64(0)] = reader.GetInt64(1);
                    }
                }

                return (acked.Count, acked.Count(p => onPrimary.GetValueOrDefault(p.Key, -1) < p.Value));
            }
            catch (NpgsqlException) when (attempt < 60)
            {
                await Task.Delay(500); // the primary may still be coming back
            }
        }
    }

    /// <summary>A stable, value-free name for an error.</summary>
    public static string ErrorKey(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case QueryBlockedException blocked:
                    return $"blocked ({blocked.RuleId})";
                case QueryRateLimitedException limited:
                    return $"rate-limited ({limited.RuleId})";
                case PostgresException pg:
                    return pg.SqlState;
                case System.Net.Sockets.SocketException socket:
                    return "socket " + socket.SocketErrorCode.ToString();
                case TimeoutException:
                    return "client timeout";
                case NpgsqlException npgsql when npgsql.Message.Contains("suitable host", StringComparison.OrdinalIgnoreCase):
                    return "no writable host";
                case NpgsqlException { InnerException: null } npgsql when npgsql.Message.Contains("pool", StringComparison.OrdinalIgnoreCase):
                    return "pool exhausted";
                case EndOfStreamException:
                    return "connection closed";
                default:
                    break;
            }
        }

        return ex.GetType().Name;
    }

    public static string Ms(double ms) => ms.ToString(ms >= 100 ? "0" : "0.0", Inv);
}
