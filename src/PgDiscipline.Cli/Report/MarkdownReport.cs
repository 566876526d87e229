using System.Globalization;
using System.Text;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Report;

/// <summary>report.md: the same facts, short enough for a pull-request comment. Every text that comes from an input
/// (names, tables, states, reasons, messages, paths) goes through <see cref="Text"/> or, inside a code span,
/// <see cref="Code"/>: an input cannot inject Markdown, HTML or table columns.</summary>
internal static class MarkdownReport
{
    private const int Top = 10;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(ReportData d)
    {
        var m = new StringBuilder();
        m.AppendLine("# PgDiscipline query report").AppendLine();
        m.Append(Inv, $"Generated {d.GeneratedAt:u} from {Text(string.Join(", ", d.Inputs))}.");
        if (d.From is { } from && d.To is { } to)
        {
            m.Append(Inv, $" Statistics from {from:u} to {to:u}.");
        }

        m.AppendLine(" Queries are shown normalized (every literal is a placeholder).").AppendLine();
        var routed = d.Targets.Sum(d.RoutedTo);
        var replica = d.Targets.Where(t => t != "primary").Sum(d.RoutedTo);
        m.AppendLine("## Summary").AppendLine();
        m.AppendLine("| | |").AppendLine("|---|---:|");
        m.AppendLine(Inv, $"| Distinct queries | {d.Queries.Count(q => !q.IsOverflow)}{(d.Overflowed ? " (+ overflow)" : "")} |");
        m.AppendLine(Inv, $"| Commands | {d.TotalCalls} |");
        m.AppendLine(Inv, $"| Total time | {ReportReader.Ms(d.TotalMs)} ms |");
        m.AppendLine(Inv, $"| p50 / p99 latency | {ReportReader.Ms(d.OverallQuantileMs(0.5))} ms / {ReportReader.Ms(d.OverallQuantileMs(0.99))} ms |");
        m.AppendLine(Inv, $"| Failed commands | {d.TotalErrors} |");
        m.AppendLine(Inv, $"| Served by replicas | {(routed == 0 ? "–" : ReportReader.Pct(replica, routed))} ({Text(string.Join(", ", d.Targets.Select(t => $"{t}: {d.RoutedTo(t)}")))}; fallbacks {d.Fallbacks}{(d.Fallbacks > 0 ? $" — {Text(d.FallbackReasonText)}" : "")}) |");
        m.AppendLine(Inv, $"| Blocked / rate-limited | {d.Blocked} / {d.RateLimited} |");
        m.AppendLine(Inv, $"| Coalesced reads (server executions saved) | {d.CoalescedReads} |");
        m.AppendLine(Inv, $"| Analyzer findings | {d.AnalyzerFindings.Count()}{(d.SuppressedFindings > 0 ? $" ({d.SuppressedFindings} suppressed)" : "")} |");
        m.AppendLine(Inv, $"| Migration findings | {d.MigrationFindings.Count()} |");
        m.AppendLine(Inv, $"| Raw SQL sites (PGD104/PGD105) | {d.RawSqlFindings.Count()} |").AppendLine();

        Queries(m, "Top queries by total time", d.Queries.OrderByDescending(q => q.TotalMs));
        Queries(m, "Top queries by p99", d.Queries.Where(q => q.Calls > 0).OrderByDescending(q => q.P99Ms));
        var joins = d.Queries.Where(q => q.Joins > 0).OrderByDescending(q => q.Joins).Take(Top).ToList();
        if (joins.Count > 0)
        {
            m.AppendLine("## Most joins").AppendLine().AppendLine("| Fingerprint | Joins | Tables | Calls |").AppendLine("|---|---:|---|---:|");
            foreach (var q in joins)
            {
                m.AppendLine(Inv, $"| `{Code(q.Fingerprint)}` | {q.Joins} | {Text(string.Join(", ", q.Tables))} | {q.Calls} |");
            }

            m.AppendLine();
        }

        var shed = d.Queries.Where(q => q.Blocked + q.RateLimited > 0).ToList();
        if (shed.Count > 0)
        {
            m.AppendLine("## Blocked / rate-limited").AppendLine().AppendLine("| Fingerprint | Query | Blocked | Rate-limited |").AppendLine("|---|---|---:|---:|");
            foreach (var q in shed)
            {
                m.AppendLine(Inv, $"| `{Code(q.Fingerprint)}` | `{Code(Short(q.Normalized))}` | {q.Blocked} | {q.RateLimited} |");
            }

            m.AppendLine();
        }

        var coalesced = d.Coalesced.ToList();
        if (coalesced.Count > 0)
        {
            m.AppendLine("## Coalesced reads").AppendLine().AppendLine("| Fingerprint | Query | Calls | Executions saved | Leaders | Followers per leader | Waited, then ran own | Wait ms (mean) |").AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
            foreach (var q in coalesced)
            {
                var waits = q.CoalescedReads + q.CoalescedRanOwn;
                m.AppendLine(Inv, $"| `{Code(q.Fingerprint)}` | `{Code(Short(q.Normalized))}` | {q.Calls} | {q.CoalescedReads} | {q.CoalescedFlights} | {(q.CoalescedFlights == 0 ? "–" : (q.CoalescedReads / (double)q.CoalescedFlights).ToString("0.#", Inv))} | {q.CoalescedRanOwn} | {ReportReader.Ms(waits == 0 ? 0 : q.CoalescedWaitMs / waits)} |");
            }

            m.AppendLine();
        }

        if (d.Backfills.Count > 0)
        {
            m.AppendLine("## Backfills").AppendLine().AppendLine("| Backfill | Table | State | Rows done | Rows/s | Paused (s) | Pauses by reason | Max replica lag |").AppendLine("|---|---|---|---:|---:|---:|---|---:|");
            foreach (var b in d.Backfills.Values.OrderBy(b => b.StartedAt))
            {
                m.AppendLine(Inv, $"| {Text(b.Name)} | {Text(b.Table)} | {Text(b.State)}{(b.PauseReason is { } r ? $" ({Text(r)})" : "")} | {b.RowsDone}{(b.RowsEstimate is { } t ? $" / {t}" : "")} | {b.RowsPerSecond:0} | {b.PausedSeconds:0.#} | {Text(ReportReader.PauseText(b))} | {(b.MaxReplicaLagSeconds is { } l ? l.ToString("0.###", Inv) + " s" : "–")} |");
            }

            m.AppendLine();
        }

        FindingList(m, "Analyzer findings", d.AnalyzerFindings.ToList());
        FindingList(m, "Unsafe migrations", d.MigrationFindings.ToList());
        return m.ToString();
    }

    private static void Queries(StringBuilder m, string title, IEnumerable<QueryRow> rows)
    {
        var list = rows.Take(Top).ToList();
        if (list.Count == 0)
        {
            return;
        }

        m.AppendLine(Inv, $"## {title}").AppendLine();
        m.AppendLine("| Fingerprint | Query | Calls | Total ms | p50 | p99 | Errors | Replica share |").AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var q in list)
        {
            var routed = q.PrimaryCalls + q.ReplicaCalls;
            m.AppendLine(Inv, $"| `{Code(q.Fingerprint)}` | `{Code(Short(q.Normalized))}` | {q.Calls} | {ReportReader.Ms(q.TotalMs)} | {ReportReader.Ms(q.P50Ms)} | {ReportReader.Ms(q.P99Ms)} | {q.ErrorCount} | {(routed == 0 ? "–" : ReportReader.Pct(q.ReplicaCalls, routed))} |");
        }

        m.AppendLine();
    }

    private static void FindingList(StringBuilder m, string title, List<Finding> findings)
    {
        if (findings.Count == 0)
        {
            return;
        }

        m.AppendLine(Inv, $"## {title}").AppendLine();
        foreach (var g in findings.GroupBy(f => f.RuleId).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            m.AppendLine(Inv, $"- [{Text(g.Key)}]({RuleIdentifiers.HelpLink(Uri.EscapeDataString(g.Key))}) × {g.Count()}");
            foreach (var f in g.Take(20))
            {
                m.AppendLine(Inv, $"  - `{Code(f.File)}:{f.Line}` {Text(f.Message)}");
            }

            if (g.Count() > 20)
            {
                m.AppendLine(Inv, $"  - … and {g.Count() - 20} more (see index.html)");
            }
        }

        m.AppendLine();
    }

    private static string Short(string sql) => sql.Length > 120 ? sql[..120] + " …" : sql;

    /// <summary>Text in a table cell or list item: HTML characters as entities, Markdown punctuation backslash-escaped
    /// (emphasis, links, images, code, strikethrough, the cell separator), control characters and newlines as spaces.</summary>
    internal static string Text(string? s)
    {
        var sb = new StringBuilder((s ?? "").Length + 8);
        foreach (var ch in s ?? "")
        {
            _ = ch switch
            {
                '&' => sb.Append("&amp;"),
                '<' => sb.Append("&lt;"),
                '>' => sb.Append("&gt;"),
                '\\' or '`' or '*' or '_' or '[' or ']' or '|' or '~' => sb.Append('\\').Append(ch),
                _ when char.IsControl(ch) => sb.Append(' '),
                _ => sb.Append(ch),
            };
        }

        return sb.ToString();
    }

    /// <summary>Text inside a code span (HTML and emphasis are literal there): no backtick to end the span, the cell
    /// separator escaped (GitHub splits cells before it reads code spans), control characters and newlines as spaces.</summary>
    internal static string Code(string? s)
        => new string((s ?? "").Select(ch => char.IsControl(ch) ? ' ' : ch == '`' ? '\'' : ch).ToArray()).Replace("|", "\\|", StringComparison.Ordinal);

}
