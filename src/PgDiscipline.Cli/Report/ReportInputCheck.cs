using System.Globalization;
using System.Text.Json;
using PgDiscipline.Sql;
using PgDiscipline.Operations;

namespace PgDiscipline.Cli.Report;

/// <summary>
/// A report input is a file anyone could have written: every list element present, every count a non-negative number,
/// every duration finite, and the totals within a 64-bit integer — or the file is bad input, named (exit 2), before a
/// NullReferenceException or an OverflowException can reach the user as a stack trace. Nulls where the contract has
/// none are refused while deserializing (<see cref="StatisticsSnapshotJson"/> respects nullable annotations).
/// </summary>
internal static class ReportInputCheck
{
    public static void Snapshot(StatisticsSnapshot s, string file)
    {
        Elements(s.Targets, "targets", file);
        Elements(s.Queries, "queries", file);
        Elements(s.Replicas, "replicas", file);
        Backfills(Elements(s.Backfills, "backfills", file), file);
        if (s.Histogram.UpperBounds.Any(b => b < 0))
        {
            throw Bad(file, "histogram.upperBounds holds a negative bound");
        }

        for (var i = 0; i < s.Queries.Count; i++)
        {
            var q = s.Queries[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"queries[{i}]");
            Elements(q.Tables, at + ".tables", file);
            Elements(q.CallSites, at + ".callSites", file);
            Elements(q.Buckets, at + ".buckets", file);
            Counts(file, at, (nameof(q.Calls), q.Calls), (nameof(q.ErrorCount), q.ErrorCount), (nameof(q.Rows), q.Rows), (nameof(q.Fallbacks), q.Fallbacks),
                (nameof(q.Blocked), q.Blocked), (nameof(q.RateLimited), q.RateLimited), (nameof(q.CoalescedReads), q.CoalescedReads),
                (nameof(q.CoalescedFlights), q.CoalescedFlights), (nameof(q.CoalescedRanOwn), q.CoalescedRanOwn), (nameof(q.Joins), q.Joins));
            Durations(file, at, (nameof(q.TotalMs), q.TotalMs), (nameof(q.MaxMs), q.MaxMs), (nameof(q.CoalescedWaitMs), q.CoalescedWaitMs));
            if (q.Errors.Values.Concat(q.Routing.Values).Concat(q.FallbackReasons.Values).Concat(q.CallSites.Select(c => c.Calls)).Any(n => n < 0)
                || q.Buckets.Any(b => b is [_, < 0]))
            {
                throw Bad(file, at + " holds a negative count");
            }
        }

        foreach (var r in s.Replicas)
        {
            Elements(r.Lag, "replicas[].lag", file);
        }
    }

    public static void Backfills(List<BackfillSnapshot> backfills, string file)
    {
        Elements(backfills, "backfills", file);
        for (var i = 0; i < backfills.Count; i++)
        {
            var b = backfills[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"backfills[{i}]");
            Counts(file, at, (nameof(b.RowsDone), b.RowsDone), (nameof(b.RowsAffected), b.RowsAffected), (nameof(b.Batches), b.Batches), (nameof(b.RowsEstimate), b.RowsEstimate ?? 0));
            Durations(file, at, (nameof(b.RowsPerSecond), b.RowsPerSecond), (nameof(b.PausedSeconds), b.PausedSeconds), (nameof(b.ElapsedSeconds), b.ElapsedSeconds),
                (nameof(b.MaxReplicaLagSeconds), b.MaxReplicaLagSeconds ?? 0));
            if (b.Pauses.Values.Any(n => n < 0))
            {
                throw Bad(file, at + ".pauses holds a negative count");
            }
        }
    }

    /// <summary>The sums the report shows, checked once per input file (so the file that overflows them is the one named).</summary>
    public static void Totals(ReportData data, IEnumerable<QueryRow> rows)
    {
        var merged = new long[data.UpperBounds.Length];
        long calls = 0, errors = 0, blocked = 0, limited = 0, fallbacks = 0, coalesced = 0;
        double ms = 0;
        foreach (var r in rows)
        {
            calls = checked(calls + r.Calls);
            errors = checked(errors + r.ErrorCount);
            blocked = checked(blocked + r.Blocked);
            limited = checked(limited + r.RateLimited);
            fallbacks = checked(fallbacks + r.Fallbacks);
            coalesced = checked(coalesced + r.CoalescedReads + r.CoalescedRanOwn);
            _ = r.Routing.Values.Sum() + r.FallbackReasons.Values.Sum() + r.Buckets.Sum() + checked(r.PrimaryCalls + r.ReplicaCalls);
            ms += r.TotalMs;
            for (var i = 0; i < r.Buckets.Length && i < merged.Length; i++)
            {
                merged[i] = checked(merged[i] + r.Buckets[i]);
            }
        }

        _ = merged.Sum();
        if (!double.IsFinite(ms))
        {
            throw new OverflowException();
        }
    }

    public static string Describe(Exception ex) => ex switch
    {
        OverflowException => "its counts add up to more than a 64-bit integer holds",
        JsonException json => json.Message,
        _ => ex.Message,
    };

    private static List<T> Elements<T>(List<T> list, string what, string file)
    {
        if (list.Exists(x => x is null))
        {
            throw Bad(file, what + " holds a null element");
        }

        return list;
    }

    private static void Counts(string file, string at, params (string Name, long Value)[] counts)
    {
        foreach (var (name, value) in counts)
        {
            if (value < 0)
            {
                throw Bad(file, $"{at}.{JsonNamingPolicy.CamelCase.ConvertName(name)} is negative");
            }
        }
    }

    private static void Durations(string file, string at, params (string Name, double Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            if (!double.IsFinite(value) || value < 0)
            {
                throw Bad(file, $"{at}.{JsonNamingPolicy.CamelCase.ConvertName(name)} is not a finite, non-negative number");
            }
        }
    }

    private static InvalidDataException Bad(string file, string what) => new($"'{file}' cannot be used: {what}.");
}
