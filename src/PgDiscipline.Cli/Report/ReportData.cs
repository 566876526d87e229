using System.Globalization;
using System.Text.Json;
using PgDiscipline.Sql;
using PgDiscipline.Operations;

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
            for (var i = 0; i < row.Buckets.Length && i < merged.Length; i++)
            {
                merged[i] = checked(merged[i] + row.Buckets[i]);
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
