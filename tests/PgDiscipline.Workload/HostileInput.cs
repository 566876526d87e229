using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PgDiscipline.Testing;

namespace PgDiscipline.Workload;

/// <summary>
/// The "hostile input" fault (issue 32): while the load runs, rows no instance can use are written to
/// <c>pgdiscipline.query_rules</c> (as a role with INSERT on it could) and the CLI is fed bad input the way a careless
/// operator or a script would. Each attempt must be refused (a rule row rejected by id, a CLI call with its documented
/// non-zero exit code, run in-process as <c>Program.cs</c> runs it), with no stack trace and no value echoed, while the load sees no failure and the rule loop keeps
/// applying good rules. Forged, garbage and oversized session tokens are sent with writes and reads on the runtime under
/// load: each write must still land on the real primary, the runtime's timeline must not move, and no read may fail.
/// </summary>
internal static class HostileInput
{
    /// <summary>Marks every value that must never come back in an output.</summary>
    private const string Secret = "HOSTILE-S3CRET";

    private static readonly string[] GarbageIds = ["hostile-year-10000", "hostile-infinity", "hostile-nan", "hostile-tiny-rate", "hostile-huge-rate", "hostile-action", "hostile\tforged\nid"];

    public static async Task AttackAsync(Faults.Context c)
    {
        var primary = c.Cluster.Primary;
        await LocalCluster.ScalarAsync(primary, """
            insert into pgdiscipline.query_rules (id, match_kind, match_value, action, reason, expires_at, permits_per_second) values
              ('hostile-year-10000', 'fingerprint', '0123456789abcdef', 'Block', 'hostile', '10000-01-01', null),
              ('hostile-infinity', 'fingerprint', '0123456789abcdef', 'Block', 'hostile', 'infinity', null),
              ('hostile-nan', 'fingerprint', '0123456789abcdef', 'RateLimit', 'hostile', null, 'NaN'),
              ('hostile-tiny-rate', 'fingerprint', '0123456789abcdef', 'RateLimit', 'hostile', null, 1e-300),
              ('hostile-huge-rate', 'fingerprint', '0123456789abcdef', 'RateLimit', 'hostile', null, 1e12),
              ('hostile-action', 'tag', 'x', 'Explode', 'hostile', null, null),
              (E'hostile\tforged\nid', 'tag', 'x', 'Nope', 'hostile', null, null);
            """);
        var inserted = Stopwatch.StartNew();
        // A good rule written after the garbage (on a tag the load never uses): the rule loop must still apply it.
        await LocalCluster.ScalarAsync(primary, "insert into pgdiscipline.query_rules (id, match_kind, match_value, action, reason) values ('hostile-alive', 'tag', 'never-used', 'Block', 'canary')");
        while (!c.Runtime!.ActiveRuleIds.Contains("hostile-alive") && inserted.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10);
        }

        var alive = c.Runtime.ActiveRuleIds.Contains("hostile-alive");
        var rejected = GarbageIds.Count(id => c.Runtime.RuleErrors.Any(e => e.Contains("[id=" + Escape(id) + "]", StringComparison.Ordinal)));
        c.Notes.Add(alive
            ? $"garbage rule rows: {rejected} of {GarbageIds.Length} rejected by id; a good rule written after them applied {inserted.Elapsed.TotalMilliseconds:0} ms later"
            : "garbage rule rows: the rule loop did NOT apply a good rule written after them within 5 s");
        c.Violations += (alive ? 0 : 1) + (GarbageIds.Length - rejected);

        await TokenAttacksAsync(c);

        // The CLI calls run in the background (each is a process start): the repair waits for them.
        c.Background = Task.Run(() => CliAttacksAsync(c));
    }

    public static async Task CleanUpAsync(Faults.Context c)
    {
        if (c.Background is { } attacks)
        {
            await attacks;
        }

        await LocalCluster.ScalarAsync(c.Cluster.Primary, "delete from pgdiscipline.query_rules where id like 'hostile%'");
    }

    /// <summary>Tokens a client can send: a timeline from the future (the outage of issue 32), garbage, an absurd position,
    /// a huge one. Each is set on a session that then writes and reads.</summary>
    private static async Task TokenAttacksAsync(Faults.Context c)
    {
        var runtime = c.Runtime!;
        var timeline = runtime.PrimaryTimeline;
        string[] tokens =
        [
            "pgd2.999.0/1", "pgd2.2147483647.FFFFFFFF/FFFFFFFF", "pgd3.999.0/1.AAAAAAAAAAAAAAAAAAAAAA", "pgd1.FFFFFFFF/FFFFFFFF",
            "garbage", "pgd2.-1.0/1", "pgd2..", new string('9', 100_000), "pgd2.3." + new string('F', 10_000) + "/1",
        ];
        var options = new DbContextOptionsBuilder<WorkloadDb>().UseNpgsql(c.Cluster.Primary).UsePgDiscipline(runtime).Options;
        var failed = 0;
        foreach (var token in tokens)
        {
            try
            {
                await using var db = new WorkloadDb(options);
                db.GetPgDisciplineSession().Token = token;
                await db.Database.ExecuteSqlAsync($"update wl_items set version = version where id = {1}");
                _ = await db.Items.Where(i => i.Id == 1).ToListAsync();
            }
#pragma warning disable CA1031 // any failure is what the scenario counts
            catch (Exception)
#pragma warning restore CA1031
            {
                failed++;
            }
        }

        var moved = runtime.PrimaryTimeline != timeline || runtime.RefusedPrimaries.Count > 0;
        c.Notes.Add($"forged, garbage and oversized session tokens: {tokens.Length} sent with a write and a read each, {failed} failed, the runtime's primary timeline {(moved ? "MOVED or a primary was refused" : $"stayed {timeline}, no primary refused")}");
        c.Violations += failed + (moved ? 1 : 0);
    }

    private static async Task CliAttacksAsync(Faults.Context c)
    {
        var dir = Directory.CreateTempSubdirectory("pgd-hostile-").FullName;
        try
        {
            var primary = c.Cluster.Primary;
            var snapshot = Path.Combine(dir, "null-fingerprint.json");
            await File.WriteAllTextAsync(snapshot, """{ "schema": "pgdiscipline.stats/v1", "histogram": { "upperBounds": [1000] }, "queries": [ { "fingerprint": null, "calls": 1 } ] }""");
            var huge = Path.Combine(dir, "huge.json");
            await File.WriteAllTextAsync(huge, """{ "schema": "pgdiscipline.stats/v1", "histogram": { "upperBounds": [1000] }, "queries": [ { "fingerprint": "0123456789abcdef", "calls": 9223372036854775807 } ] }""");
            var sarif = Path.Combine(dir, "nul.sarif");
            await File.WriteAllTextAsync(sarif, """{ "runs": [ { "results": [ { "ruleId": "PGD101", "locations": [ { "physicalLocation": { "artifactLocation": { "uri": "a\u0000b.cs" } } } ] } ] } ] }""");
            var file = Path.Combine(dir, "a-file");
            await File.WriteAllTextAsync(file, "");
            var withSecretOption = new NpgsqlConnectionStringBuilder(primary) { Options = "-c statement_timeout=" + Secret }.ConnectionString;
            (int Expected, string[] Args)[] attacks =
            [
                (2, ["rules", "limit", "0123456789abcdef", "--per-second", "NaN", "--reason", "x", "--connection", primary]),
                (2, ["rules", "limit", "0123456789abcdef", "--per-second", "1e-300", "--reason", "x", "--connection", primary]),
                (2, ["rules", "limit", "0123456789abcdef", "--per-second", "5", "--max-queue-ms", "-5", "--reason", "x", "--connection", primary]),
                (2, ["rules", "block", "0123456789abcdef", "--expires", "3650000.00:00:00", "--reason", "x", "--connection", primary]),
                (2, ["rules", "block", "0123456789abcdef", "--id", "forged\tid\nrow", "--reason", "x", "--connection", primary]),
                (2, ["rules", "list", "--connection", "Host=127.0.0.1;Port=" + Secret]),
                (2, ["doctor", "--connection", "Host=127.0.0.1;Port=99999"]),
                (2, ["backfill", "run", "hostile", "--connection", primary, "--replica", "Host=h;Password=" + Secret + ";Port=" + Secret]),
                (2, ["backfill", "run", "hostile", "--table", "wl_items; drop table wl_items", "--key", "id", "--sql", "update wl_items set version = version where id between :lower and :upper", "--connection", primary]),
                (2, ["backfill", "run", "hostile", "--table", "t", "--key", "id", "--sql-file", Path.Combine(dir, "missing.sql"), "--connection", primary]),
                (2, ["rules", "list", "Host=127.0.0.1;Password=" + Secret]),
                (1, ["rules", "list", "--connection", withSecretOption]),
                (2, ["report", snapshot, "--out", Path.Combine(dir, "out1")]),
                (2, ["report", huge, huge, "--out", Path.Combine(dir, "out2")]),
                (2, ["report", sarif, "--out", Path.Combine(dir, "out3")]),
                (2, ["report", sarif, "--out", file]),
                (3, ["rules", "list", "--connection", "Host=127.0.0.1;Port=1;Password=" + Secret + ";Timeout=1"]),
            ];
            // In-process (CliApp.RunAsync is all Program.cs runs), one after the other, so every call lands while the load
            // runs; a process per call would take seconds each on a loaded machine.
            var outcomes = new List<(int Expected, string[] Args, int Code, string Text)>();
            foreach (var (expected, args) in attacks)
            {
                var (code, text) = await CliAsync(args);
                outcomes.Add((expected, args, code, text));
            }

            var refused = outcomes.Count(o => o.Code == o.Expected);
            var traces = outcomes.Count(o => o.Text.Contains("   at ", StringComparison.Ordinal) || o.Text.Contains("Exception:", StringComparison.Ordinal));
            var leaks = outcomes.Count(o => o.Text.Contains(Secret, StringComparison.Ordinal));
            var wrong = outcomes.Where(o => o.Code != o.Expected).Select(o => $"`{o.Args[0]} {o.Args[1]}` exit {o.Code} (expected {o.Expected})").ToList();

            // Listing the table with the garbage still in it works, showing each bad row as rejected.
            var (listCode, list) = await CliAsync(["rules", "list", "--connection", primary]);
            var listed = listCode == 0 && list.Contains("rejected", StringComparison.Ordinal) && !list.Contains("hostile\tforged\nid", StringComparison.Ordinal);
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"bad CLI input: {attacks.Length} attempted, {refused} refused with the documented exit code, {traces} stack traces, {leaks} values leaked; `rules list` over the garbage rows {(listed ? "lists them as rejected, escaped" : "FAILED")}");
            c.Notes.Add(summary + (wrong.Count > 0 ? " — " + string.Join(", ", wrong) : ""));
            c.Violations += attacks.Length - refused + traces + leaks + (listed ? 0 : 1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(int Code, string Text)> CliAsync(string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await PgDiscipline.Cli.CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout + "\n" + stderr);
    }

    private static string Escape(string id) => id.Replace("\t", "\\t", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
