using System.Collections.Concurrent;
using PgDiscipline.Sql;

namespace PgDiscipline.Statistics;

/// <summary>Counters for one fingerprint (or the overflow bucket). Updated lock-free; read by snapshots.</summary>
internal sealed class FingerprintStatistics
{
    /// <summary>At most this many distinct SQLSTATEs / call sites are kept per fingerprint; the rest are counted under "other".</summary>
    internal const int MaxKeys = 16;

    private readonly ConcurrentDictionary<string, Counter> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counter> _callSites = new(StringComparer.Ordinal);
    private readonly long[] _targets;
    private long _calls;
    private long _errorCount;
    private long _rows;
    private long _totalMicros;
    private long _blocked;
    private long _rateLimited;
    private long _fallbacks;
    private long _sessionWaits;
    private long _sessionWaitsServed;
    private long _sessionWaitMicros;
    private long _coalescedReads;
    private long _coalescedFlights;
    private long _coalescedRanOwn;
    private long _coalescedWaitMicros;
    private readonly long[] _fallbackReasons = new long[FallbackReasons.Names.Length];

    public FingerprintStatistics(string fingerprint, SqlCommandInfo? info, string? source, int targetCount)
    {
        Fingerprint = fingerprint;
        Normalized = info?.Fingerprint.Normalized ?? "";
        Kind = info is null ? "other" : info.Kind.ToString().ToLowerInvariant();
        Tables = info?.Tables.ToArray() ?? [];
        Joins = info?.MaxJoinCount ?? 0;
        Source = source;
        _targets = new long[targetCount];
    }

    public string Fingerprint { get; }

    public string Normalized { get; }

    public string Kind { get; }

    public string[] Tables { get; }

    public int Joins { get; }

    /// <summary>EF Core's CommandSource of the first command seen (LinqQuery, SaveChanges, FromSqlQuery, ExecuteSqlRaw…).</summary>
    public string? Source { get; }

    public LatencyHistogram Latency { get; } = new();

    public long Calls => Volatile.Read(ref _calls);

    public long ErrorCount => Volatile.Read(ref _errorCount);

    public long Rows => Volatile.Read(ref _rows);

    public long TotalMicros => Volatile.Read(ref _totalMicros);

    public long Blocked => Volatile.Read(ref _blocked);

    public long RateLimited => Volatile.Read(ref _rateLimited);

    public long Fallbacks => Volatile.Read(ref _fallbacks);

    public long Target(int index) => Volatile.Read(ref _targets[index]);

    /// <summary>A command of this fingerprint completed (successfully or not) after <paramref name="micros"/>.</summary>
    public void Completed(long micros)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _totalMicros, micros);
        Latency.Record(micros);
    }

    public void Failed(string code)
    {
        Interlocked.Increment(ref _errorCount);
        Bump(_errors, code);
    }

    public void AddRows(long rows) => Interlocked.Add(ref _rows, rows);

    /// <summary>Target 0 is the primary; 1..n are the replicas in configuration order.</summary>
    public void RoutedTo(int target)
    {
        if ((uint)target < (uint)_targets.Length)
        {
            Interlocked.Increment(ref _targets[target]);
        }
    }

    public void FellBack(FallbackReason reason)
    {
        Interlocked.Increment(ref _fallbacks);
        Interlocked.Increment(ref _fallbackReasons[(int)reason]);
    }

    public long FallbacksFor(FallbackReason reason) => Volatile.Read(ref _fallbackReasons[(int)reason]);

    public void WasBlocked() => Interlocked.Increment(ref _blocked);

    /// <summary>A read waited <paramref name="micros"/> for a replica to replay the session's write; <paramref name="served"/>:
    /// the replica then served it (else the primary did).</summary>
    public void SessionWaited(long micros, bool served)
    {
        Interlocked.Increment(ref _sessionWaits);
        Interlocked.Add(ref _sessionWaitMicros, micros);
        if (served)
        {
            Interlocked.Increment(ref _sessionWaitsServed);
        }
    }

    public long SessionWaits => Volatile.Read(ref _sessionWaits);

    public long SessionWaitsServed => Volatile.Read(ref _sessionWaitsServed);

    public long SessionWaitMicros => Volatile.Read(ref _sessionWaitMicros);

    public void WasRateLimited() => Interlocked.Increment(ref _rateLimited);

    /// <summary>A coalesced read waited <paramref name="micros"/> for its leader; <paramref name="served"/>: it got the
    /// leader's rows (else it ran its own read).</summary>
    public void CoalescedWait(long micros, bool served)
    {
        Interlocked.Add(ref _coalescedWaitMicros, micros);
        Interlocked.Increment(ref served ? ref _coalescedReads : ref _coalescedRanOwn);
    }

    /// <summary>A leader's execution answered at least one follower.</summary>
    public void CoalescedFlight() => Interlocked.Increment(ref _coalescedFlights);

    public long CoalescedReads => Volatile.Read(ref _coalescedReads);

    public long CoalescedFlights => Volatile.Read(ref _coalescedFlights);

    public long CoalescedRanOwn => Volatile.Read(ref _coalescedRanOwn);

    public long CoalescedWaitMicros => Volatile.Read(ref _coalescedWaitMicros);

    /// <summary>The counter for one call site (resolved once per command plan, so the hot path only increments it).</summary>
    public Counter CallSite(string site) => Get(_callSites, site);

    public IEnumerable<KeyValuePair<string, long>> Errors => _errors.Select(p => new KeyValuePair<string, long>(p.Key, p.Value.Value));

    public IEnumerable<KeyValuePair<string, long>> CallSites => _callSites.Select(p => new KeyValuePair<string, long>(p.Key, p.Value.Value));

    private static void Bump(ConcurrentDictionary<string, Counter> map, string key) => Get(map, key).Increment();

    private static Counter Get(ConcurrentDictionary<string, Counter> map, string key)
    {
        if (map.TryGetValue(key, out var counter))
        {
            return counter;
        }

        if (map.Count >= MaxKeys)
        {
            key = "other";
        }

        return map.GetOrAdd(key, static _ => new Counter());
    }

    /// <summary>A shared counter.</summary>
    internal sealed class Counter
    {
        private long _value;

        public long Value => Volatile.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }
}
