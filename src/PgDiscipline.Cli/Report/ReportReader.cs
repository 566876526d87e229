using System.Globalization;
using System.Text.Json;
using PgDiscipline.Sql;
using PgDiscipline.Operations;

namespace PgDiscipline.Cli.Report;

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
            try
            {
                ReadOne(file, sourceRoot, data, byFingerprint, lag, findings);
                ReportInputCheck.Totals(data, byFingerprint.Values);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException or KeyNotFoundException or IndexOutOfRangeException)
            {
                // An input that is not what it says is bad input naming the file, never a stack trace.
                throw new InvalidDataException($"'{file}' cannot be used: {ReportInputCheck.Describe(ex)}", ex);
            }
            catch (InvalidDataException ex) when (!ex.Message.Contains(file, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"'{file}' cannot be used: {ex.Message}", ex);
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

    private static void ReadOne(string file, string sourceRoot, ReportData data, Dictionary<string, QueryRow> byFingerprint, Dictionary<string, LagSeries> lag, HashSet<Finding> findings)
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
            ReportInputCheck.Backfills(status.Backfills, file);
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
        ReportInputCheck.Snapshot(snapshot, file);
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

            // Checked: counts near long.MaxValue in two snapshots are bad input, not a wrapped negative total.
            row.Calls = checked(row.Calls + q.Calls);
            row.ErrorCount = checked(row.ErrorCount + q.ErrorCount);
            row.Rows = checked(row.Rows + q.Rows);
            row.TotalMs += q.TotalMs;
            row.MaxMs = Math.Max(row.MaxMs, q.MaxMs);
            row.Fallbacks = checked(row.Fallbacks + q.Fallbacks);
            row.Blocked = checked(row.Blocked + q.Blocked);
            row.RateLimited = checked(row.RateLimited + q.RateLimited);
            row.CoalescedReads = checked(row.CoalescedReads + q.CoalescedReads);
            row.CoalescedFlights = checked(row.CoalescedFlights + q.CoalescedFlights);
            row.CoalescedRanOwn = checked(row.CoalescedRanOwn + q.CoalescedRanOwn);
            row.CoalescedWaitMs += q.CoalescedWaitMs;
            AddAll(row.Errors, q.Errors);
            AddAll(row.Routing, q.Routing);
            AddAll(row.FallbackReasons, q.FallbackReasons);
            foreach (var site in q.CallSites)
            {
                row.CallSites[site.Site] = checked(row.CallSites.GetValueOrDefault(site.Site) + site.Calls);
            }

            foreach (var b in q.Buckets)
            {
                if (b is [var i, var n] && i >= 0 && i < row.Buckets.Length)
                {
                    row.Buckets[i] = checked(row.Buckets[i] + n);
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
            into[key] = checked(into.GetValueOrDefault(key) + n);
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
        if (path.Any(char.IsControl) || uri.Any(char.IsControl))
        {
            throw new InvalidDataException("a finding's location holds a control character (\\u0000 …): not a file path");
        }

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
