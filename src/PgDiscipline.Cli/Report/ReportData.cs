using System.Globalization;
using System.Text.Json;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Report;

/// <summary>One query fingerprint, merged over every snapshot given to the report.</summary>
internal sealed class QueryRow
{
    public required string Fingerprint { get; init; }
    public string Normalized { get; set; } = "";
    public string Kind { get; set; } = "other";
    public List<string> Tables { get; } = [];
    public int Joins { get; set; }
    public string? Source { get; set; }
    public long Calls { get; set; }
    public long ErrorCount { get; set; }
    public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);
    public long Rows { get; set; }
    public double TotalMs { get; set; }
    public long[] Buckets { get; set; } = [];
    public double MaxMs { get; set; }
    public Dictionary<string, long> Routing { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> FallbackReasons { get; } = new(StringComparer.Ordinal);
    public long Fallbacks { get; set; }
    public long Blocked { get; set; }
    public long RateLimited { get; set; }
    public long CoalescedReads { get; set; }
    public long CoalescedFlights { get; set; }
    public long CoalescedRanOwn { get; set; }
    public double CoalescedWaitMs { get; set; }
    public Dictionary<string, long> CallSites { get; } = new(StringComparer.Ordinal);
    public double P50Ms { get; set; }
    public double P95Ms { get; set; }
    public double P99Ms { get; set; }

    public long PrimaryCalls => Routing.TryGetValue("primary", out var n) ? n : 0;
    public long ReplicaCalls => Routing.Where(p => p.Key != "primary").Sum(p => p.Value);
    public bool IsRawSql => Source is "FromSqlQuery" or "ExecuteSqlRaw";
    public bool IsOverflow => Fingerprint == "overflow";
}

/// <summary>An analyzer or lint finding (PGD rules only; file paths relative to the source root).</summary>
internal sealed record Finding(string RuleId, string Level, string Message, string File, int Line, string Origin);

/// <summary>Lag observations of one replica.</summary>
internal sealed record LagSeries(string Name, List<(DateTimeOffset At, double Seconds, bool Healthy)> Points);

/// <summary>Everything the report shows, read from the input files.</summary>
internal sealed class ReportData
{
    public List<QueryRow> Queries { get; } = [];
    public List<string> Targets { get; } = [];
    public List<Finding> Findings { get; } = [];
    public int SuppressedFindings { get; set; }
    public List<LagSeries> Lag { get; } = [];

    /// <summary>Backfills from snapshots and <c>backfill status --format json</c>: the latest state of each by name.</summary>
    public Dictionary<string, BackfillSnapshot> Backfills { get; } = new(StringComparer.Ordinal);
    public List<string> Inputs { get; } = [];
    public long[] UpperBounds { get; set; } = [];
    public DateTimeOffset? From { get; set; }
    public DateTimeOffset? To { get; set; }
    public bool Overflowed { get; set; }
    public DateTimeOffset GeneratedAt { get; } = DateTimeOffset.UtcNow;

    public long TotalCalls => Queries.Sum(q => q.Calls);
    public long TotalErrors => Queries.Sum(q => q.ErrorCount);
    public double TotalMs => Queries.Sum(q => q.TotalMs);
    public long Blocked => Queries.Sum(q => q.Blocked);
    public long RateLimited => Queries.Sum(q => q.RateLimited);
    public long Fallbacks => Queries.Sum(q => q.Fallbacks);
    public long CoalescedReads => Queries.Sum(q => q.CoalescedReads);

    /// <summary>Queries with coalesced reads (or reads that waited for a leader and then ran their own).</summary>
    public IEnumerable<QueryRow> Coalesced => Queries.Where(q => q.CoalescedReads + q.CoalescedRanOwn > 0).OrderByDescending(q => q.CoalescedReads);

    /// <summary>"behind_session: 12, no_replica_in_rotation: 3", or "" without fallbacks.</summary>
    public string FallbackReasonText => string.Join(", ", Queries.SelectMany(q => q.FallbackReasons)
        .GroupBy(p => p.Key, StringComparer.Ordinal).Select(g => (g.Key, Sum: g.Sum(p => p.Value))).OrderByDescending(p => p.Sum)
        .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}: {p.Sum}")));

    public long RoutedTo(string target) => Queries.Sum(q => q.Routing.TryGetValue(target, out var n) ? n : 0);

    public IEnumerable<Finding> AnalyzerFindings => Findings.Where(f => !IsMigrationRule(f.RuleId));
    public IEnumerable<Finding> MigrationFindings => Findings.Where(f => IsMigrationRule(f.RuleId));
    public IEnumerable<Finding> RawSqlFindings => Findings.Where(f => f.RuleId is "PGD104" or "PGD105");

    public static bool IsMigrationRule(string id) => id.StartsWith("PGD3", StringComparison.Ordinal);

    /// <summary>p-quantile over every query's merged histogram.</summary>
    public double OverallQuantileMs(double q)
    {
        if (UpperBounds.Length == 0)
        {
            return 0;
        }

        var merged = new long[UpperBounds.Length];
        foreach (var row in Queries)
        {
            for (var i = 0; i < row.Buckets.Length; i++)
            {
                merged[i] += row.Buckets[i];
            }
        }

        return Quantile(merged, q, Queries.Count == 0 ? 0 : Queries.Max(r => r.MaxMs));
    }

    public double Quantile(long[] counts, double q, double maxMs)
    {
        var total = counts.Sum();
        if (total == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBounds[i] / 1000.0, maxMs);
            }
        }

        return maxMs;
    }
}

/// <summary>Reads report inputs, recognising each file by its content: a runtime statistics snapshot
/// (<c>pgdiscipline.stats/v1</c>), a SARIF log (a build's <c>ErrorLog</c>, 1.0 or 2.1, or <c>pgdiscipline lint --format
/// sarif</c>), or <c>pgdiscipline lint --format json</c> output.</summary>
internal static class ReportReader
{
    public static ReportData Read(IEnumerable<string> files, string sourceRoot)
    {
        var data = new ReportData();
        var byFingerprint = new Dictionary<string, QueryRow>(StringComparer.Ordinal);
        var lag = new Dictionary<string, LagSeries>(StringComparer.Ordinal);
        var findings = new HashSet<Finding>();
        foreach (var file in files)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            var root = doc.RootElement;
            data.Inputs.Add(Path.GetFileName(file));
            if (root.ValueKind == JsonValueKind.Array)
            {
                ReadLintJson(root, sourceRoot, findings);
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("schema", out var schema) && schema.GetString() == StatisticsSnapshot.CurrentSchema)
            {
                ReadSnapshot(root, data, byFingerprint, lag, file);
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("schema", out var backfills) && backfills.GetString() == BackfillStatusDocument.CurrentSchema)
            {
                var status = root.Deserialize(StatisticsSnapshotJson.Default.BackfillStatusDocument) ?? throw new InvalidDataException($"'{file}' is an empty backfill status.");
                AddBackfills(data, status.Backfills);
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("runs", out var runs))
            {
                data.SuppressedFindings += ReadSarif(runs, sourceRoot, findings);
            }
            else
            {
                throw new InvalidDataException($"'{file}' is neither a statistics snapshot (schema pgdiscipline.stats/v1), a backfill status (pgdiscipline.backfills/v1), a SARIF log, nor pgdiscipline lint JSON.");
            }
        }

        foreach (var row in byFingerprint.Values)
        {
            row.P50Ms = data.Quantile(row.Buckets, 0.50, row.MaxMs);
            row.P95Ms = data.Quantile(row.Buckets, 0.95, row.MaxMs);
            row.P99Ms = data.Quantile(row.Buckets, 0.99, row.MaxMs);
        }

        data.Queries.AddRange(byFingerprint.Values);
        data.Lag.AddRange(lag.Values.Select(s => s with { Points = s.Points.OrderBy(p => p.At).ToList() }));
        data.Findings.AddRange(findings.OrderBy(f => f.RuleId, StringComparer.Ordinal).ThenBy(f => f.File, StringComparer.Ordinal).ThenBy(f => f.Line));
        return data;
    }

    private static void AddBackfills(ReportData data, IEnumerable<BackfillSnapshot> backfills)
    {
        foreach (var b in backfills)
        {
            if (!data.Backfills.TryGetValue(b.Name, out var seen) || seen.UpdatedAt <= b.UpdatedAt)
            {
                data.Backfills[b.Name] = b;
            }
        }
    }

    private static void ReadSnapshot(JsonElement root, ReportData data, Dictionary<string, QueryRow> rows, Dictionary<string, LagSeries> lag, string file)
    {
        var snapshot = root.Deserialize(StatisticsSnapshotJson.Default.StatisticsSnapshot)
            ?? throw new InvalidDataException($"'{file}' is an empty statistics snapshot.");
        var bounds = snapshot.Histogram.UpperBounds.ToArray();
        if (data.UpperBounds.Length == 0)
        {
            data.UpperBounds = bounds;
        }
        else if (!bounds.SequenceEqual(data.UpperBounds))
        {
            throw new InvalidDataException($"'{file}' uses a different histogram layout than the other snapshots.");
        }

        data.From = data.From is { } f && f < snapshot.StartedAt ? f : snapshot.StartedAt;
        data.To = data.To is { } t && t > snapshot.CreatedAt ? t : snapshot.CreatedAt;
        data.Overflowed |= snapshot.Overflowed;
        foreach (var target in snapshot.Targets)
        {
            if (!data.Targets.Contains(target))
            {
                data.Targets.Add(target);
            }
        }

        foreach (var q in snapshot.Queries)
        {
            if (!rows.TryGetValue(q.Fingerprint, out var row))
            {
                row = new QueryRow { Fingerprint = q.Fingerprint, Buckets = new long[bounds.Length] };
                rows[q.Fingerprint] = row;
            }

            row.Normalized = q.Normalized;
            row.Kind = q.Kind;
            row.Source ??= q.Source;
            row.Joins = Math.Max(row.Joins, q.Joins);
            foreach (var table in q.Tables)
            {
                if (!row.Tables.Contains(table))
                {
                    row.Tables.Add(table);
                }
            }

            row.Calls += q.Calls;
            row.ErrorCount += q.ErrorCount;
            row.Rows += q.Rows;
            row.TotalMs += q.TotalMs;
            row.MaxMs = Math.Max(row.MaxMs, q.MaxMs);
            row.Fallbacks += q.Fallbacks;
            row.Blocked += q.Blocked;
            row.RateLimited += q.RateLimited;
            row.CoalescedReads += q.CoalescedReads;
            row.CoalescedFlights += q.CoalescedFlights;
            row.CoalescedRanOwn += q.CoalescedRanOwn;
            row.CoalescedWaitMs += q.CoalescedWaitMs;
            AddAll(row.Errors, q.Errors);
            AddAll(row.Routing, q.Routing);
            AddAll(row.FallbackReasons, q.FallbackReasons);
            foreach (var site in q.CallSites)
            {
                row.CallSites[site.Site] = row.CallSites.GetValueOrDefault(site.Site) + site.Calls;
            }

            foreach (var b in q.Buckets)
            {
                if (b is [var i, var n] && i >= 0 && i < row.Buckets.Length)
                {
                    row.Buckets[i] += n;
                }
            }
        }

        AddBackfills(data, snapshot.Backfills);
        foreach (var r in snapshot.Replicas)
        {
            if (!lag.TryGetValue(r.Name, out var series))
            {
                series = new LagSeries(r.Name, []);
                lag[r.Name] = series;
            }

            series.Points.AddRange(r.Lag.Select(p => (p.T, p.Seconds, p.Healthy ?? true)));
        }
    }

    private static void AddAll(Dictionary<string, long> into, Dictionary<string, long> from)
    {
        foreach (var (key, n) in from)
        {
            into[key] = into.GetValueOrDefault(key) + n;
        }
    }

    private static int ReadSarif(JsonElement runs, string sourceRoot, HashSet<Finding> findings)
    {
        var suppressed = 0;
        foreach (var run in runs.EnumerateArray())
        {
            var tool = run.TryGetProperty("tool", out var t) && t.TryGetProperty("driver", out var d) && d.TryGetProperty("name", out var n) ? n.GetString() ?? "build"
                : t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out var n1) ? n1.GetString() ?? "build" : "build";
            if (!run.TryGetProperty("results", out var results))
            {
                continue;
            }

            foreach (var r in results.EnumerateArray())
            {
                var id = Str(r, "ruleId") ?? "";
                if (!id.StartsWith("PGD", StringComparison.Ordinal))
                {
                    continue; // the report is about PgDiscipline's rules; compiler messages stay in the build log
                }

                if (r.TryGetProperty("suppressionStates", out _) || (r.TryGetProperty("suppressions", out var sup) && sup.GetArrayLength() > 0))
                {
                    suppressed++;
                    continue;
                }

                var message = r.TryGetProperty("message", out var m) ? (m.ValueKind == JsonValueKind.String ? m.GetString() : Str(m, "text")) ?? "" : "";
                string? uri = null;
                var line = 0;
                if (r.TryGetProperty("locations", out var locations) && locations.GetArrayLength() > 0)
                {
                    var loc = locations[0];
                    JsonElement region = default;
                    if (loc.TryGetProperty("physicalLocation", out var physical))
                    {
                        uri = physical.TryGetProperty("artifactLocation", out var a) ? Str(a, "uri") : null;
                        physical.TryGetProperty("region", out region);
                    }
                    else if (loc.TryGetProperty("resultFile", out var resultFile))
                    {
                        uri = Str(resultFile, "uri");
                        resultFile.TryGetProperty("region", out region);
                    }

                    if (region.ValueKind == JsonValueKind.Object && region.TryGetProperty("startLine", out var sl))
                    {
                        line = sl.GetInt32();
                    }
                }

                findings.Add(new Finding(id, Str(r, "level") ?? "warning", message, RelativePath(uri, sourceRoot), line, tool));
            }
        }

        return suppressed;
    }

    private static void ReadLintJson(JsonElement root, string sourceRoot, HashSet<Finding> findings)
    {
        foreach (var f in root.EnumerateArray())
        {
            findings.Add(new Finding(Str(f, "ruleId") ?? "", Str(f, "severity") ?? "warning", Str(f, "message") ?? "",
                RelativePath(Str(f, "file"), sourceRoot), f.TryGetProperty("line", out var l) ? l.GetInt32() : 0, "pgdiscipline lint"));
        }
    }

    internal static string RelativePath(string? uri, string sourceRoot)
    {
        if (string.IsNullOrEmpty(uri))
        {
            return "";
        }

        var path = Uri.TryCreate(uri, UriKind.Absolute, out var u) && u.IsFile ? u.LocalPath : uri;
        if (!Path.IsPathRooted(path))
        {
            return path.Replace('\\', '/');
        }

        var root = Path.GetFullPath(sourceRoot);
        var relative = Path.GetRelativePath(root, path);
        return (relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFileName(path) : relative).Replace('\\', '/');
    }

    private static string? Str(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    private static double Dbl(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;

    /// <summary>"replica_lag × 3, requested × 1", or "–".</summary>
    internal static string PauseText(BackfillSnapshot b)
        => b.Pauses.Count == 0 ? "–" : string.Join(", ", b.Pauses.OrderByDescending(p => p.Value).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} × {p.Value}")));

    internal static string Pct(long part, long whole) => whole == 0 ? "–" : (part * 100.0 / whole).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    internal static string Ms(double ms) => ms >= 100 ? ms.ToString("0", CultureInfo.InvariantCulture) : ms >= 1 ? ms.ToString("0.0", CultureInfo.InvariantCulture) : ms.ToString("0.000", CultureInfo.InvariantCulture);
}
