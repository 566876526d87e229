using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using PgDiscipline.Sql;
using PgDiscipline.Statistics;
using PgDiscipline.Operations;

namespace PgDiscipline;

/// <summary>
/// Per-fingerprint statistics of one <see cref="PgDisciplineRuntime"/>: calls, errors by SQLSTATE, rows, latency
/// histogram, routing, blocked/limited counts and call sites. Memory is bounded: after
/// <see cref="StatisticsOptions.MaxFingerprints"/> distinct fingerprints, further ones are counted in one overflow entry.
/// Nothing here holds a literal value: queries are kept as their normalized text (every constant is a placeholder).
/// </summary>
public sealed class QueryStatistics
{
    /// <summary>The snapshot format this version writes.</summary>
    public const string Schema = StatisticsSnapshot.CurrentSchema;

    /// <summary>Fingerprint under which queries beyond the limit are counted.</summary>
    public const string OverflowFingerprint = "overflow";

    private readonly ConcurrentDictionary<ulong, FingerprintStatistics> _entries = new();
    private readonly ConcurrentDictionary<string, string> _relativePaths = new(StringComparer.Ordinal);
    private readonly FingerprintStatistics _overflow;
    private readonly int _max;
    private readonly string? _sourceRoot;
    private readonly ConcurrentDictionary<string, BackfillSnapshot> _backfills = new(StringComparer.Ordinal);

    /// <param name="options">The statistics options.</param>
    /// <param name="targets"><c>primary</c>, then the replicas' names.</param>
    /// <param name="maxTargets">Routing targets counted per fingerprint at most (replicas added later take the free slots;
    /// beyond them a replica's reads are not counted per target). Default: the given targets plus 64.</param>
    internal QueryStatistics(StatisticsOptions options, IReadOnlyList<string> targets, int? maxTargets = null)
    {
        _max = options.MaxFingerprints;
        _sourceRoot = string.IsNullOrEmpty(options.SourceRoot) ? null : Path.GetFullPath(options.SourceRoot);
        _targets = [.. targets];
        _maxTargets = Math.Max(targets.Count, maxTargets ?? targets.Count + 64);
        _overflow = new FingerprintStatistics(OverflowFingerprint, null, null, _maxTargets);
    }

    private readonly List<string> _targets;
    private readonly int _maxTargets;

    /// <summary>The index of a routing target by name, adding it when there is room; -1 when there is none.</summary>
    internal int TargetIndex(string name)
    {
        lock (_targets)
        {
            var i = _targets.IndexOf(name);
            if (i < 0 && _targets.Count < _maxTargets)
            {
                _targets.Add(name);
                i = _targets.Count - 1;
            }

            return i;
        }
    }

    /// <summary>The replicas' lag history for the snapshot (set by the replica set, which owns it).</summary>
    internal Func<IEnumerable<ReplicaLagSnapshot>>? LagHistory { get; set; }

    /// <summary>When counting started.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Routing targets: <c>primary</c>, then each replica's name (replicas added while running included).</summary>
    public IReadOnlyList<string> Targets
    {
        get
        {
            lock (_targets)
            {
                return [.. _targets];
            }
        }
    }

    /// <summary>Distinct fingerprints tracked (without the overflow entry).</summary>
    public int Count => _entries.Count;

    /// <summary>True once a fingerprint had to be counted in the overflow entry.</summary>
    public bool Overflowed => _overflow.Calls + _overflow.Blocked + _overflow.RateLimited > 0;

    internal FingerprintStatistics For(SqlCommandInfo info, string? source)
    {
        var hash = info.Fingerprint.Hash;
        if (_entries.TryGetValue(hash, out var entry))
        {
            return entry;
        }

        if (_entries.Count >= _max)
        {
            return _overflow;
        }

        return _entries.GetOrAdd(hash, _ => new FingerprintStatistics(info.Fingerprint.ToString(), info, source, _maxTargets));
    }

    /// <summary>The call site named by an EF Core <c>TagWithCallSite()</c> tag (<c>File: PATH:LINE</c>), with the path
    /// relative to <see cref="StatisticsOptions.SourceRoot"/>, to the mapped root of a deterministic build (<c>/_/</c>), or
    /// else to the repository holding the file (the nearest directory with <c>.git</c>); just the file name when none is known.</summary>
    internal string? CallSiteOf(SqlCommandInfo info)
    {
        foreach (var tag in info.Tags)
        {
            var t = tag.Trim();
            if (!t.StartsWith("file: ", StringComparison.OrdinalIgnoreCase)) // EF Core writes "File: PATH:LINE"
            {
                continue;
            }

            var site = t["file: ".Length..].Trim();
            var colon = site.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(site.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var line))
            {
                return null;
            }

            var path = site[..colon];
            return _relativePaths.GetOrAdd(path, Relative) + ":" + line.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return null;
    }

    private string Relative(string path)
    {
        // Deterministic CI builds (ContinuousIntegrationBuild) map the source root to "/_/" (or "/_1/", …).
        var mapped = System.Text.RegularExpressions.Regex.Match(path, @"^/_\d*/(.+)$");
        if (mapped.Success)
        {
            return mapped.Groups[1].Value.Replace('\\', '/');
        }

        try
        {
            var full = Path.GetFullPath(path);
            var root = _sourceRoot;
            if (root is null)
            {
                for (var dir = Path.GetDirectoryName(full); dir is not null; dir = Path.GetDirectoryName(dir))
                {
                    if (Directory.Exists(Path.Combine(dir, ".git")) || File.Exists(Path.Combine(dir, ".git")))
                    {
                        root = dir;
                        break;
                    }
                }
            }

            return root is not null && full.StartsWith(root, StringComparison.Ordinal)
                ? Path.GetRelativePath(root, full).Replace('\\', '/')
                : Path.GetFileName(full);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            return Path.GetFileName(path);
        }
    }

    /// <summary>The snapshot (<see cref="Schema"/>) of the counters now.</summary>
    public StatisticsSnapshot ToSnapshot()
    {
        var targets = Targets;
        var snapshot = new StatisticsSnapshot
        {
            CreatedAt = DateTimeOffset.UtcNow,
            StartedAt = StartedAt,
            Application = Assembly.GetEntryAssembly()?.GetName().Name ?? "unknown",
            MaxFingerprints = _max,
            DistinctFingerprints = _entries.Count,
            Overflowed = Overflowed,
            Targets = [.. targets],
            Histogram = new HistogramLayout
            {
                Unit = "us",
                Scheme = "log2, 8 linear sub-buckets per power of two; each value is a bucket's exclusive upper bound",
                UpperBounds = [.. LatencyHistogram.UpperBounds],
            },
        };

        foreach (var e in _entries.Values.OrderByDescending(e => e.TotalMicros).Append(_overflow))
        {
            if (e.Calls + e.Blocked + e.RateLimited != 0)
            {
                snapshot.Queries.Add(Entry(e, targets));
            }
        }

        if (LagHistory is { } lagHistory)
        {
            snapshot.Replicas.AddRange(lagHistory());
        }

        snapshot.Backfills.AddRange(_backfills.Values.OrderBy(b => b.StartedAt).ThenBy(b => b.Name, StringComparer.Ordinal));
        return snapshot;
    }

    /// <summary>Keeps the latest state of a backfill run by this process (shown in the snapshot).</summary>
    internal void RecordBackfill(BackfillProgress progress) => _backfills[progress.Name] = progress.ToSnapshot();

    /// <summary>Writes the versioned JSON snapshot (<see cref="Schema"/>) to <paramref name="stream"/>.</summary>
    public Task WriteSnapshotAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return JsonSerializer.SerializeAsync(stream, ToSnapshot(), StatisticsSnapshotJson.Default.StatisticsSnapshot, cancellationToken);
    }

    /// <summary>Writes the snapshot to <paramref name="path"/> atomically (a temp file of its own, then rename), so
    /// concurrent writers never share a temp file and a reader never sees half a file.</summary>
    public async Task WriteSnapshotAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            var file = File.Create(temp);
            await using (file.ConfigureAwait(false))
            {
                await WriteSnapshotAsync(file, cancellationToken).ConfigureAwait(false);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp); // gone after the move; left over after a failure
        }
    }

    private static QuerySnapshot Entry(FingerprintStatistics e, IReadOnlyList<string> targets)
    {
        var counts = e.Latency.Snapshot();
        var max = e.Latency.Max;
        var entry = new QuerySnapshot
        {
            Fingerprint = e.Fingerprint,
            Normalized = e.Normalized,
            Kind = e.Kind,
            Tables = [.. e.Tables],
            Joins = e.Joins,
            Source = e.Source,
            Calls = e.Calls,
            ErrorCount = e.ErrorCount,
            Rows = e.Rows,
            TotalMs = Math.Round(e.TotalMicros / 1000.0, 3),
            P50Ms = LatencyHistogram.Quantile(counts, 0.50, max) / 1000.0,
            P95Ms = LatencyHistogram.Quantile(counts, 0.95, max) / 1000.0,
            P99Ms = LatencyHistogram.Quantile(counts, 0.99, max) / 1000.0,
            MaxMs = max / 1000.0,
            Fallbacks = e.Fallbacks,
            SessionWaits = e.SessionWaits,
            SessionWaitsServed = e.SessionWaitsServed,
            SessionWaitMs = Math.Round(e.SessionWaitMicros / 1000.0, 3),
            CoalescedReads = e.CoalescedReads,
            CoalescedFlights = e.CoalescedFlights,
            CoalescedRanOwn = e.CoalescedRanOwn,
            CoalescedWaitMs = Math.Round(e.CoalescedWaitMicros / 1000.0, 3),
            Blocked = e.Blocked,
            RateLimited = e.RateLimited,
        };
        foreach (var (code, n) in e.Errors.OrderByDescending(p => p.Value))
        {
            entry.Errors[code] = n;
        }

        for (var i = 0; i < targets.Count; i++)
        {
            entry.Routing[targets[i]] = e.Target(i);
        }

        for (var r = 0; r < FallbackReasons.Names.Length; r++)
        {
            if (e.FallbacksFor((FallbackReason)r) is var n and > 0)
            {
                entry.FallbackReasons[FallbackReasons.Names[r]] = n;
            }
        }

        foreach (var (site, n) in e.CallSites.OrderByDescending(p => p.Value))
        {
            entry.CallSites.Add(new CallSiteCount { Site = site, Calls = n });
        }

        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] != 0)
            {
                entry.Buckets.Add([i, counts[i]]);
            }
        }

        return entry;
    }
}
