using System.Globalization;
using System.Net;
using System.Text;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli.Report;

/// <summary>A self-contained HTML page: inline CSS, inline SVG charts, one small inline script for sortable tables.
/// No external scripts, fonts or CDNs; works from a file:// URL offline.</summary>
internal static class HtmlReport
{
    private const int Top = 15;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(ReportData d)
    {
        var h = new StringBuilder();
        h.Append("""
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>PgDiscipline query report</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#b8c0cf}
nav{padding:8px 28px;background:#e8ebf0;position:sticky;top:0}nav a{margin-right:14px;color:#24508f;text-decoration:none;font-size:13px}
main{padding:8px 28px 40px;max-width:1400px}section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 18px;margin:16px 0}
h2{font-size:17px;margin:4px 0 10px}.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde1e7;border-radius:6px;padding:8px 14px;min-width:130px}
.card b{display:block;font-size:20px}.card span{color:#5b6475;font-size:12px}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #eceef2;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f2f5;cursor:pointer;user-select:none;white-space:nowrap}
th.sorted-asc::after{content:" \25B2"}th.sorted-desc::after{content:" \25BC"}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:12px ui-monospace,Menlo,Consolas,monospace;word-break:break-word}.fp{color:#6b3fa0;white-space:nowrap}td{overflow-wrap:anywhere}.muted{color:#6b7280}.bad{color:#b42318}.ok{color:#067647}
svg text{font:11px system-ui,sans-serif;fill:#1d2330}
</style></head><body>
""");
        h.Append("<header><h1>PgDiscipline query report</h1><p>Generated ").Append(E(d.GeneratedAt.ToString("u", Inv)));
        if (d.From is { } from && d.To is { } to)
        {
            h.Append(" · statistics from ").Append(E(from.ToString("u", Inv))).Append(" to ").Append(E(to.ToString("u", Inv)));
        }

        h.Append(" · inputs: ").Append(E(string.Join(", ", d.Inputs))).Append(". Queries appear only as normalized text: every literal is a placeholder.</p></header>\n");
        h.Append("<nav>");
        foreach (var (id, title) in Sections)
        {
            h.Append("<a href=\"#").Append(id).Append("\">").Append(E(title)).Append("</a>");
        }

        h.Append("</nav><main>\n");
        Summary(h, d);
        TopQueries(h, "top-total", "Top queries by total time", d.Queries.OrderByDescending(q => q.TotalMs), d, chart: true);
        TopQueries(h, "top-calls", "Top queries by calls", d.Queries.OrderByDescending(q => q.Calls), d, chart: false);
        TopQueries(h, "top-p99", "Top queries by p99 latency", d.Queries.Where(q => q.Calls > 0).OrderByDescending(q => q.P99Ms), d, chart: false);
        Joins(h, d);
        Routing(h, d);
        Shed(h, d);
        Coalesced(h, d);
        Backfills(h, d);
        Findings(h, "findings", "Analyzer findings by rule", d.AnalyzerFindings.ToList(), "No analyzer findings in the SARIF logs given.");
        Findings(h, "migrations", "Unsafe migrations", d.MigrationFindings.ToList(), "No migration findings (PGD3xx) in the inputs.");
        RawSql(h, d);
        Lag(h, d);
        h.Append("</main>\n<script>\n").Append(SortScript).Append("\n</script></body></html>\n");
        return h.ToString();
    }

    internal static readonly (string Id, string Title)[] Sections =
    [
        ("summary", "Summary"), ("top-total", "By total time"), ("top-calls", "By calls"), ("top-p99", "By p99"), ("joins", "Most joins"),
        ("routing", "Replica vs primary"), ("shed", "Blocked / limited"), ("backfills", "Backfills"), ("findings", "Analyzer findings"), ("migrations", "Unsafe migrations"),
        ("raw-sql", "Raw SQL (security)"), ("lag", "Replica lag"),
    ];

    private static void Summary(StringBuilder h, ReportData d)
    {
        var routed = d.Targets.Sum(d.RoutedTo);
        var replica = d.Targets.Where(t => t != "primary").Sum(d.RoutedTo);
        h.Append("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">");
        Card(h, "queries", d.Queries.Count(q => !q.IsOverflow).ToString(Inv), "distinct fingerprints" + (d.Overflowed ? " (+ overflow)" : ""));
        Card(h, "calls", d.TotalCalls.ToString(Inv), "commands executed");
        Card(h, "total-time", ReportReader.Ms(d.TotalMs) + " ms", "total time");
        Card(h, "p50", ReportReader.Ms(d.OverallQuantileMs(0.50)) + " ms", "p50 latency, all commands");
        Card(h, "p99", ReportReader.Ms(d.OverallQuantileMs(0.99)) + " ms", "p99 latency, all commands");
        Card(h, "errors", d.TotalErrors.ToString(Inv), "failed commands");
        Card(h, "replica-share", routed == 0 ? "–" : ReportReader.Pct(replica, routed), "of commands served by replicas");
        Card(h, "blocked", d.Blocked.ToString(Inv), "blocked by rules");
        Card(h, "rate-limited", d.RateLimited.ToString(Inv), "rate-limited by rules");
        Card(h, "analyzer-findings", d.AnalyzerFindings.Count().ToString(Inv), "analyzer findings" + (d.SuppressedFindings > 0 ? $" ({d.SuppressedFindings} suppressed not shown)" : ""));
        Card(h, "migration-findings", d.MigrationFindings.Count().ToString(Inv), "migration findings");
        Card(h, "raw-sql-sites", (d.RawSqlFindings.Count() + d.Queries.Count(q => q.IsRawSql)).ToString(Inv), "raw SQL sites and queries");
        h.Append("</div></section>\n");
    }

    private static void TopQueries(StringBuilder h, string id, string title, IEnumerable<QueryRow> rows, ReportData d, bool chart)
    {
        var list = rows.Take(Top).ToList();
        h.Append("<section id=\"").Append(id).Append("\"><h2>").Append(E(title)).Append("</h2>");
        if (list.Count == 0)
        {
            h.Append("<p class=\"muted\">No runtime statistics given (pass a snapshot written by the app).</p></section>\n");
            return;
        }

        if (chart)
        {
            BarChart(h, list.Select(q => (q.Fingerprint, q.TotalMs)).ToList(), "ms");
        }

        h.Append("<table class=\"sortable\"><thead><tr><th>Fingerprint</th><th>Query (normalized)</th><th>Calls</th><th>Total ms</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>Max ms</th><th>Rows</th><th>Errors</th><th>Replica share</th><th>Call sites</th></tr></thead><tbody>\n");
        foreach (var q in list)
        {
            h.Append("<tr data-fingerprint=\"").Append(E(q.Fingerprint)).Append("\">");
            Fp(h, q);
            Sql(h, q);
            Num(h, q.Calls);
            Num(h, q.TotalMs);
            Num(h, q.P50Ms);
            Num(h, q.P95Ms);
            Num(h, q.P99Ms);
            Num(h, q.MaxMs);
            Num(h, q.Rows);
            h.Append("<td class=\"n\" data-v=\"").Append(q.ErrorCount.ToString(Inv)).Append("\">").Append(q.ErrorCount.ToString(Inv));
            if (q.Errors.Count > 0)
            {
                h.Append(" <span class=\"muted\">(").Append(E(string.Join(", ", q.Errors.OrderByDescending(p => p.Value).Select(p => p.Key + "×" + p.Value.ToString(Inv))))).Append(")</span>");
            }

            h.Append("</td>");
            var routed = q.PrimaryCalls + q.ReplicaCalls;
            h.Append("<td class=\"n\" data-v=\"").Append(routed == 0 ? "0" : (q.ReplicaCalls / (double)routed).ToString("0.####", Inv)).Append("\">").Append(routed == 0 ? "–" : ReportReader.Pct(q.ReplicaCalls, routed)).Append("</td>");
            h.Append("<td>").Append(E(string.Join(", ", q.CallSites.OrderByDescending(p => p.Value).Take(3).Select(p => p.Key)))).Append("</td></tr>\n");
        }

        h.Append("</tbody></table></section>\n");
    }

    private static void Joins(StringBuilder h, ReportData d)
    {
        var list = d.Queries.Where(q => q.Joins > 0).OrderByDescending(q => q.Joins).ThenByDescending(q => q.Calls).Take(Top).ToList();
        h.Append("<section id=\"joins\"><h2>Queries with the most joins</h2>");
        if (list.Count == 0)
        {
            h.Append("<p class=\"muted\">No executed query joins tables.</p></section>\n");
            return;
        }

        h.Append("<table class=\"sortable\"><thead><tr><th>Fingerprint</th><th>Query (normalized)</th><th>Joins</th><th>Tables</th><th>Calls</th><th>p99 ms</th></tr></thead><tbody>\n");
        foreach (var q in list)
        {
            h.Append("<tr>");
            Fp(h, q);
            Sql(h, q);
            Num(h, q.Joins);
            h.Append("<td>").Append(E(string.Join(", ", q.Tables))).Append("</td>");
            Num(h, q.Calls);
            Num(h, q.P99Ms);
            h.Append("</tr>\n");
        }

        h.Append("</tbody></table></section>\n");
    }

    private static void Routing(StringBuilder h, ReportData d)
    {
        h.Append("<section id=\"routing\"><h2>Replica vs primary</h2>");
        var totals = d.Targets.Select(t => (t, d.RoutedTo(t))).ToList();
        var all = totals.Sum(t => t.Item2);
        if (all == 0)
        {
            h.Append("<p class=\"muted\">No routed commands in the statistics.</p></section>\n");
            return;
        }

        // One stacked bar: where every command ran.
        var colors = new[] { "#c2410c", "#2563eb", "#059669", "#7c3aed", "#0891b2", "#ca8a04" };
        h.Append("<svg id=\"routing-chart\" width=\"720\" height=\"64\" role=\"img\" aria-label=\"Commands by target\">");
        double x = 0;
        for (var i = 0; i < totals.Count; i++)
        {
            var w = totals[i].Item2 / (double)all * 700;
            h.Append(Inv, $"<rect x=\"{x:0.#}\" y=\"4\" width=\"{w:0.#}\" height=\"26\" fill=\"{colors[i % colors.Length]}\"><title>{E(totals[i].t)}: {totals[i].Item2}</title></rect>");
            h.Append(Inv, $"<rect x=\"{i * 140}\" y=\"40\" width=\"10\" height=\"10\" fill=\"{colors[i % colors.Length]}\"/><text x=\"{i * 140 + 14}\" y=\"49\">{E(totals[i].t)} {ReportReader.Pct(totals[i].Item2, all)}</text>");
            x += w;
        }

        h.Append("</svg>");
        h.Append("<p>Overall: ");
        h.Append(string.Join(" · ", totals.Select(t => $"<span data-target=\"{E(t.t)}\">{E(t.t)}: <b>{t.Item2.ToString(Inv)}</b> ({ReportReader.Pct(t.Item2, all)})</span>")));
        h.Append(Inv, $" · fallbacks to the primary: <b>{d.Fallbacks}</b>{(d.Fallbacks > 0 ? $" ({E(d.FallbackReasonText)})" : "")}</p>");
        h.Append("<table class=\"sortable\"><thead><tr><th>Fingerprint</th><th>Query (normalized)</th><th>Kind</th>");
        foreach (var t in d.Targets)
        {
            h.Append("<th>").Append(E(t)).Append("</th>");
        }

        h.Append("<th>Replica share</th><th>Fallbacks</th></tr></thead><tbody>\n");
        foreach (var q in d.Queries.Where(q => q.PrimaryCalls + q.ReplicaCalls > 0).OrderByDescending(q => q.Calls).Take(50))
        {
            h.Append("<tr>");
            Fp(h, q);
            Sql(h, q);
            h.Append("<td>").Append(E(q.Kind)).Append("</td>");
            foreach (var t in d.Targets)
            {
                Num(h, q.Routing.GetValueOrDefault(t));
            }

            var routed = q.PrimaryCalls + q.ReplicaCalls;
            h.Append("<td class=\"n\" data-v=\"").Append((q.ReplicaCalls / (double)routed).ToString("0.####", Inv)).Append("\">").Append(ReportReader.Pct(q.ReplicaCalls, routed)).Append("</td>");
            Num(h, q.Fallbacks);
            h.Append("</tr>\n");
        }

        h.Append("</tbody></table></section>\n");
    }

    private static void Shed(StringBuilder h, ReportData d)
    {
        var list = d.Queries.Where(q => q.Blocked + q.RateLimited > 0).OrderByDescending(q => q.Blocked + q.RateLimited).ToList();
        h.Append("<section id=\"shed\"><h2>Blocked and rate-limited traffic</h2>");
        if (list.Count == 0)
        {
            h.Append("<p class=\"muted\">No command was blocked or rate-limited.</p></section>\n");
            return;
        }

        h.Append("<table class=\"sortable\"><thead><tr><th>Fingerprint</th><th>Query (normalized)</th><th>Blocked</th><th>Rate-limited</th><th>Executed</th></tr></thead><tbody>\n");
        foreach (var q in list)
        {
            h.Append("<tr>");
            Fp(h, q);
            Sql(h, q);
            Num(h, q.Blocked);
            Num(h, q.RateLimited);
            Num(h, q.Calls);
            h.Append("</tr>\n");
        }

        h.Append("</tbody></table></section>\n");
    }

    private static void Coalesced(StringBuilder h, ReportData d)
    {
        var list = d.Coalesced.ToList();
        h.Append("<section id=\"coalesced\"><h2>Coalesced reads</h2>");
        if (list.Count == 0)
        {
            h.Append("<p class=\"muted\">No read was coalesced (Coalesce rules and <code>.Coalesce()</code>).</p></section>\n");
            return;
        }

        h.Append(Inv, $"<p>Server executions saved: <b>{d.CoalescedReads}</b>.</p>");
        h.Append("<table class=\"sortable\"><thead><tr><th>Fingerprint</th><th>Query (normalized)</th><th>Calls</th><th>Executions saved</th><th>Leaders</th><th>Waited, then ran own</th><th>Wait ms (total)</th></tr></thead><tbody>\n");
        foreach (var q in list)
        {
            h.Append("<tr>");
            Fp(h, q);
            Sql(h, q);
            Num(h, q.Calls);
            Num(h, q.CoalescedReads);
            Num(h, q.CoalescedFlights);
            Num(h, q.CoalescedRanOwn);
            Num(h, q.CoalescedWaitMs);
            h.Append("</tr>\n");
        }

        h.Append("</tbody></table></section>\n");
    }

    private static void Backfills(StringBuilder h, ReportData d)
    {
        h.Append("<section id=\"backfills\"><h2>Backfills</h2>");
        if (d.Backfills.Count == 0)
        {
            h.Append("<p class=\"muted\">No backfill in the inputs (a runtime snapshot of a process that ran one, or <code>pgdiscipline backfill status --format json</code>).</p></section>\n");
            return;
        }

        h.Append("<table class=\"sortable\"><thead><tr><th>Backfill</th><th>Table</th><th>State</th><th>Rows done</th><th>Table rows (estimate)</th><th>Rows/s</th><th>Paused (s)</th><th>Pauses by reason</th><th>Max replica lag (s)</th></tr></thead><tbody>\n");
        foreach (var b in d.Backfills.Values.OrderBy(b => b.StartedAt))
        {
            h.Append("<tr><td>").Append(E(b.Name)).Append("</td><td>").Append(E(b.Table)).Append("</td><td>").Append(E(b.State + (b.PauseReason is { } r ? $" ({r})" : ""))).Append("</td>");
            Num(h, b.RowsDone);
            h.Append("<td class=\"n\">").Append(b.RowsEstimate is { } t ? t.ToString("N0", Inv) : "–").Append("</td>");
            h.Append("<td class=\"n\">").Append(b.RowsPerSecond.ToString("0", Inv)).Append("</td><td class=\"n\">").Append(b.PausedSeconds.ToString("0.#", Inv)).Append("</td>");
            h.Append("<td>").Append(E(ReportReader.PauseText(b))).Append("</td>");
            h.Append("<td class=\"n\">").Append(b.MaxReplicaLagSeconds is { } l ? l.ToString("0.###", Inv) : "–").Append("</td></tr>\n");
        }

        h.Append("</tbody></table></section>\n");
    }

    private static void Findings(StringBuilder h, string id, string title, List<Finding> findings, string empty)
    {
        h.Append("<section id=\"").Append(id).Append("\"><h2>").Append(E(title)).Append("</h2>");
        if (findings.Count == 0)
        {
            h.Append("<p class=\"muted\">").Append(E(empty)).Append("</p></section>\n");
            return;
        }

        h.Append("<table><thead><tr><th>Rule</th><th>Findings</th></tr></thead><tbody>");
        foreach (var g in findings.GroupBy(f => f.RuleId).OrderByDescending(g => g.Count()))
        {
            h.Append("<tr><td>").Append(RuleLink(g.Key)).Append("</td><td class=\"n\">").Append(g.Count().ToString(Inv)).Append("</td></tr>");
        }

        h.Append("</tbody></table><table class=\"sortable\"><thead><tr><th>Rule</th><th>Level</th><th>Location</th><th>Message</th><th>From</th></tr></thead><tbody>\n");
        foreach (var f in findings)
        {
            h.Append("<tr><td>").Append(RuleLink(f.RuleId)).Append("</td><td>").Append(E(f.Level)).Append("</td><td><code>")
                .Append(E(f.File)).Append(':').Append(f.Line.ToString(Inv)).Append("</code></td><td>").Append(E(f.Message)).Append("</td><td class=\"muted\">")
                .Append(E(f.Origin)).Append("</td></tr>\n");
        }

        h.Append("</tbody></table></section>\n");
    }

    private static void RawSql(StringBuilder h, ReportData d)
    {
        h.Append("<section id=\"raw-sql\"><h2>Raw SQL (security view)</h2><p class=\"muted\">Every raw-SQL call site the analyzers saw (PGD105), the ones building SQL from non-constant text (PGD104, possible injection), and the raw-SQL commands seen at run time.</p>");
        var sites = d.RawSqlFindings.ToList();
        if (sites.Count == 0)
        {
            h.Append("<p class=\"muted\">No raw-SQL call sites in the SARIF logs given.</p>");
        }
        else
        {
            h.Append("<table class=\"sortable\"><thead><tr><th>Rule</th><th>Location</th><th>Message</th></tr></thead><tbody>\n");
            foreach (var f in sites.OrderBy(f => f.RuleId == "PGD104" ? 0 : 1).ThenBy(f => f.File, StringComparer.Ordinal).ThenBy(f => f.Line))
            {
                h.Append("<tr><td class=\"").Append(f.RuleId == "PGD104" ? "bad" : "").Append("\">").Append(RuleLink(f.RuleId)).Append("</td><td><code>").Append(E(f.File)).Append(':')
                    .Append(f.Line.ToString(Inv)).Append("</code></td><td>").Append(E(f.Message)).Append("</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        var runtime = d.Queries.Where(q => q.IsRawSql).OrderByDescending(q => q.Calls).ToList();
        if (runtime.Count > 0)
        {
            h.Append("<h3>Raw-SQL commands at run time</h3><table class=\"sortable\"><thead><tr><th>Fingerprint</th><th>Query (normalized)</th><th>API</th><th>Calls</th><th>Call sites</th></tr></thead><tbody>\n");
            foreach (var q in runtime)
            {
                h.Append("<tr>");
                Fp(h, q);
                Sql(h, q);
                h.Append("<td>").Append(E(q.Source ?? "")).Append("</td>");
                Num(h, q.Calls);
                h.Append("<td>").Append(E(string.Join(", ", q.CallSites.Keys))).Append("</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        h.Append("</section>\n");
    }

    private static void Lag(StringBuilder h, ReportData d)
    {
        h.Append("<section id=\"lag\"><h2>Replica lag over time</h2>");
        var series = d.Lag.Where(s => s.Points.Count > 0).ToList();
        if (series.Count == 0)
        {
            h.Append("<p class=\"muted\">No replica lag samples in the statistics.</p></section>\n");
            return;
        }

        const double W = 900, H = 220, L = 50, B = 30;
        var t0 = series.Min(s => s.Points[0].At);
        var t1 = series.Max(s => s.Points[^1].At);
        var span = Math.Max(1, (t1 - t0).TotalSeconds);
        var maxLag = Math.Max(0.01, series.Max(s => s.Points.Max(p => p.Seconds)));
        var colors = new[] { "#2563eb", "#059669", "#7c3aed", "#0891b2", "#ca8a04" };
        h.Append(Inv, $"<svg id=\"lag-chart\" width=\"{W}\" height=\"{H + B + 20}\" role=\"img\" aria-label=\"Replica lag in seconds over time\">");
        h.Append(Inv, $"<line x1=\"{L}\" y1=\"{H}\" x2=\"{W}\" y2=\"{H}\" stroke=\"#999\"/><line x1=\"{L}\" y1=\"10\" x2=\"{L}\" y2=\"{H}\" stroke=\"#999\"/>");
        h.Append(Inv, $"<text x=\"4\" y=\"14\">{maxLag:0.###} s</text><text x=\"4\" y=\"{H}\">0 s</text><text x=\"{L}\" y=\"{H + 16}\">{E(t0.ToString("HH:mm:ss", Inv))}</text><text x=\"{W - 60}\" y=\"{H + 16}\">{E(t1.ToString("HH:mm:ss", Inv))}</text>");
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var points = string.Join(" ", s.Points.Select(p => string.Create(Inv, $"{L + ((p.At - t0).TotalSeconds / span * (W - L)):0.#},{H - (p.Seconds / maxLag * (H - 10)):0.#}")));
            h.Append(Inv, $"<polyline class=\"lag-series\" data-replica=\"{E(s.Name)}\" fill=\"none\" stroke=\"{colors[i % colors.Length]}\" stroke-width=\"1.5\" points=\"{points}\"/>");
            h.Append(Inv, $"<rect x=\"{L + (i * 200)}\" y=\"{H + 26}\" width=\"10\" height=\"10\" fill=\"{colors[i % colors.Length]}\"/><text x=\"{L + (i * 200) + 14}\" y=\"{H + 35}\">{E(s.Name)} (max {s.Points.Max(p => p.Seconds):0.###} s, {s.Points.Count(p => !p.Healthy)} unhealthy samples)</text>");
        }

        h.Append("</svg></section>\n");
    }

    private static void BarChart(StringBuilder h, List<(string Label, double Value)> bars, string unit)
    {
        var max = Math.Max(bars.Max(b => b.Value), 1e-9);
        const int rowH = 18;
        h.Append(Inv, $"<svg class=\"bar-chart\" width=\"720\" height=\"{(bars.Count * rowH) + 6}\" role=\"img\" aria-label=\"Total time per query\">");
        for (var i = 0; i < bars.Count; i++)
        {
            var w = bars[i].Value / max * 520;
            h.Append(Inv, $"<text x=\"0\" y=\"{(i * rowH) + 13}\" class=\"fp\">{E(bars[i].Label)}</text><rect x=\"130\" y=\"{(i * rowH) + 3}\" width=\"{Math.Max(w, 1):0.#}\" height=\"13\" fill=\"#2563eb\"/><text x=\"{136 + w:0.#}\" y=\"{(i * rowH) + 13}\">{ReportReader.Ms(bars[i].Value)} {unit}</text>");
        }

        h.Append("</svg>");
    }

    private static void Card(StringBuilder h, string id, string value, string label)
        => h.Append("<div class=\"card\" id=\"card-").Append(id).Append("\"><b>").Append(E(value)).Append("</b><span>").Append(E(label)).Append("</span></div>");

    private static void Fp(StringBuilder h, QueryRow q)
        => h.Append("<td><code class=\"fp\">").Append(E(q.Fingerprint)).Append("</code></td>");

    private static void Sql(StringBuilder h, QueryRow q)
        => h.Append("<td><code>").Append(E(q.Normalized.Length > 400 ? q.Normalized[..400] + " …" : q.Normalized)).Append("</code></td>");

    private static void Num(StringBuilder h, long v) => h.Append("<td class=\"n\" data-v=\"").Append(v.ToString(Inv)).Append("\">").Append(v.ToString(Inv)).Append("</td>");

    private static void Num(StringBuilder h, double v) => h.Append("<td class=\"n\" data-v=\"").Append(v.ToString("0.###", Inv)).Append("\">").Append(ReportReader.Ms(v)).Append("</td>");

    private static string RuleLink(string id)
        => id.StartsWith("PGD", StringComparison.Ordinal) ? $"<a href=\"{E(RuleIdentifiers.HelpLink(id))}\">{E(id)}</a>" : E(id);


    private static string E(string s) => WebUtility.HtmlEncode(s);

    private const string SortScript = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var desc = !th.classList.contains('sorted-desc');
      table.querySelectorAll('th').forEach(function (o) { o.classList.remove('sorted-asc', 'sorted-desc'); });
      th.classList.add(desc ? 'sorted-desc' : 'sorted-asc');
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var xv = x.getAttribute('data-v'), yv = y.getAttribute('data-v');
        var r = (xv !== null && yv !== null) ? parseFloat(xv) - parseFloat(yv) : x.textContent.localeCompare(y.textContent);
        return desc ? -r : r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
document.body.setAttribute('data-report-ready', 'true');
""";
}
