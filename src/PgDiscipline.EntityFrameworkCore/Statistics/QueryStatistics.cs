using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using PgDiscipline.Sql;

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
    public const string Schema = "pgdiscipline.stats/v1";

    /// <summary>Fingerprint under which queries beyond the limit are counted.</summary>
    public const string OverflowFingerprint = "overflow";

    private readonly ConcurrentDictionary<ulong, FingerprintStatistics> _entries = new();
    private readonly ConcurrentDictionary<string, string> _relativePaths = new(StringComparer.Ordinal);
    private readonly FingerprintStatistics _overflow;
    private readonly int _max;
    private readonly string? _sourceRoot;
    private readonly Func<IReadOnlyList<ReplicaEndpoint>> _replicas;

    internal QueryStatistics(StatisticsOptions options, IReadOnlyList<string> targets, Func<IReadOnlyList<ReplicaEndpoint>> replicas)
    {
        _max = options.MaxFingerprints;
        _sourceRoot = string.IsNullOrEmpty(options.SourceRoot) ? null : Path.GetFullPath(options.SourceRoot);
        Targets = targets;
        _replicas = replicas;
        _overflow = new FingerprintStatistics(OverflowFingerprint, null, null, targets.Count);
    }

    /// <summary>When counting started.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Routing targets: <c>primary</c>, then each replica's name.</summary>
    public IReadOnlyList<string> Targets { get; }

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

        return _entries.GetOrAdd(hash, _ => new FingerprintStatistics(info.Fingerprint.ToString(), info, source, Targets.Count));
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

    /// <summary>Writes the versioned JSON snapshot (<see cref="Schema"/>) to <paramref name="stream"/>.</summary>
    public async Task WriteSnapshotAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        await using (writer.ConfigureAwait(false))
        {
            Write(writer);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the snapshot to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public async Task WriteSnapshotAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        var file = File.Create(temp);
        await using (file.ConfigureAwait(false))
        {
            await WriteSnapshotAsync(file, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temp, full, overwrite: true);
    }

    private void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("schema", Schema);
        w.WriteString("createdAt", DateTimeOffset.UtcNow);
        w.WriteString("startedAt", StartedAt);
        w.WriteString("application", Assembly.GetEntryAssembly()?.GetName().Name ?? "unknown");
        w.WriteNumber("maxFingerprints", _max);
        w.WriteNumber("distinctFingerprints", _entries.Count);
        w.WriteBoolean("overflowed", Overflowed);
        w.WriteStartArray("targets");
        foreach (var t in Targets)
        {
            w.WriteStringValue(t);
        }

        w.WriteEndArray();
        w.WriteStartObject("histogram");
        w.WriteString("unit", "us");
        w.WriteString("scheme", "log2, 8 linear sub-buckets per power of two; each value is a bucket's exclusive upper bound");
        w.WriteStartArray("upperBounds");
        foreach (var b in LatencyHistogram.UpperBounds)
        {
            w.WriteNumberValue(b);
        }

        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartArray("queries");
        foreach (var e in _entries.Values.OrderByDescending(e => e.TotalMicros).Append(_overflow))
        {
            if (e.Calls + e.Blocked + e.RateLimited == 0)
            {
                continue;
            }

            WriteEntry(w, e);
        }

        w.WriteEndArray();

        w.WriteStartArray("replicas");
        foreach (var r in _replicas())
        {
            w.WriteStartObject();
            w.WriteString("name", r.Name);
            w.WriteString("pool", r.Pool);
            w.WriteBoolean("inRotation", r.IsInRotation);
            w.WriteStartArray("lag");
            foreach (var s in r.LagHistory())
            {
                w.WriteStartObject();
                w.WriteString("t", s.At);
                w.WriteNumber("seconds", Math.Round(s.Seconds, 4));
                if (s.Bytes is { } bytes)
                {
                    w.WriteNumber("bytes", bytes);
                }

                w.WriteBoolean("healthy", s.Healthy);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void WriteEntry(Utf8JsonWriter w, FingerprintStatistics e)
    {
        var counts = e.Latency.Snapshot();
        var max = e.Latency.Max;
        w.WriteStartObject();
        w.WriteString("fingerprint", e.Fingerprint);
        w.WriteString("normalized", e.Normalized);
        w.WriteString("kind", e.Kind);
        w.WriteStartArray("tables");
        foreach (var t in e.Tables)
        {
            w.WriteStringValue(t);
        }

        w.WriteEndArray();
        w.WriteNumber("joins", e.Joins);
        if (e.Source is not null)
        {
            w.WriteString("source", e.Source);
        }

        w.WriteNumber("calls", e.Calls);
        w.WriteNumber("errorCount", e.ErrorCount);
        w.WriteStartObject("errors");
        foreach (var (code, n) in e.Errors.OrderByDescending(p => p.Value))
        {
            w.WriteNumber(code, n);
        }

        w.WriteEndObject();
        w.WriteNumber("rows", e.Rows);
        w.WriteNumber("totalMs", Math.Round(e.TotalMicros / 1000.0, 3));
        w.WriteNumber("p50Ms", LatencyHistogram.Quantile(counts, 0.50, max) / 1000.0);
        w.WriteNumber("p95Ms", LatencyHistogram.Quantile(counts, 0.95, max) / 1000.0);
        w.WriteNumber("p99Ms", LatencyHistogram.Quantile(counts, 0.99, max) / 1000.0);
        w.WriteNumber("maxMs", max / 1000.0);
        w.WriteStartObject("routing");
        for (var i = 0; i < Targets.Count; i++)
        {
            w.WriteNumber(Targets[i], e.Target(i));
        }

        w.WriteEndObject();
        w.WriteNumber("fallbacks", e.Fallbacks);
        w.WriteStartObject("fallbackReasons");
        for (var r = 0; r < FallbackReasons.Names.Length; r++)
        {
            if (e.FallbacksFor((FallbackReason)r) is var n and > 0)
            {
                w.WriteNumber(FallbackReasons.Names[r], n);
            }
        }

        w.WriteEndObject();
        w.WriteNumber("blocked", e.Blocked);
        w.WriteNumber("rateLimited", e.RateLimited);
        w.WriteStartArray("callSites");
        foreach (var (site, n) in e.CallSites.OrderByDescending(p => p.Value))
        {
            w.WriteStartObject();
            w.WriteString("site", site);
            w.WriteNumber("calls", n);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("buckets");
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] != 0)
            {
                w.WriteStartArray();
                w.WriteNumberValue(i);
                w.WriteNumberValue(counts[i]);
                w.WriteEndArray();
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
