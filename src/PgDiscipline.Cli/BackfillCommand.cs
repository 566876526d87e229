using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli;

/// <summary>
/// <c>pgdiscipline backfill run|status|pause|resume|cancel</c>: SQL-defined backfills with the runtime's runner
/// (<c>BackfillRunner</c>), progress in <c>pgdiscipline.backfills</c>. Exit codes of <c>run</c>: 0 done (or already
/// done), 1 failed, 2 bad input (nothing written), 3 database unreachable, 4 another runner holds it, 5 cancelled or
/// stopped before the end (run it again to continue).
/// </summary>
internal static class BackfillCommand
{
    public static Command Build()
    {
        var connection = CliOptions.Connection(recursive: true);
        var backfill = new Command("backfill", "Run and manage throttled, resumable backfills (pgdiscipline.backfills).") { connection };
        backfill.Subcommands.Add(BuildRun(connection));
        backfill.Subcommands.Add(BuildStatus(connection));
        backfill.Subcommands.Add(BuildRequest(connection, "pause", BackfillRequest.Pause, "Ask the runner to wait between batches until resumed."));
        backfill.Subcommands.Add(BuildRequest(connection, "resume", BackfillRequest.Resume, "Clear a pause (or a cancel not yet carried out)."));
        backfill.Subcommands.Add(BuildRequest(connection, "cancel", BackfillRequest.Cancel, "Ask the runner to stop after the batch in flight (run it again to continue)."));
        return backfill;
    }

    private static Command BuildRun(Option<string> connection)
    {
        var name = new Argument<string>("name") { Description = "The backfill's name (its row in pgdiscipline.backfills)." };
        var table = new Option<string?>("--table") { Description = "The table (schema-qualified if need be). Omit to continue a backfill defined before." };
        var key = new Option<string?>("--key") { Description = "Its key column: NOT NULL with a unique index of its own (usually the primary key)." };
        var sql = new Option<string?>("--sql") { Description = "One UPDATE/DELETE/INSERT/MERGE over the key range, with :lower and :upper (both inclusive): … WHERE id BETWEEN :lower AND :upper" };
        var sqlFile = new Option<FileInfo?>("--sql-file") { Description = "Read the statement from this file instead." };
        var rate = new Option<double?>("--rows-per-second") { Description = "Keys per second at most (default: no limit, only the other throttles)." };
        var batch = new Option<int>("--batch-size") { Description = "Keys in the first batch.", DefaultValueFactory = _ => 1000 };
        var minBatch = new Option<int>("--min-batch-size") { Description = "Smallest batch.", DefaultValueFactory = _ => 10 };
        var maxBatch = new Option<int>("--max-batch-size") { Description = "Largest batch.", DefaultValueFactory = _ => 10_000 };
        var target = new Option<TimeSpan>("--batch-target") { Description = "Batch size adapts to this transaction duration.", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(200) };
        var replicas = new Option<string[]>("--replica") { Description = "Connection string of a replica whose lag pauses the backfill (repeatable)." };
        var maxLag = new Option<TimeSpan>("--max-lag") { Description = "Pause while a replica lags more than this.", DefaultValueFactory = _ => TimeSpan.FromSeconds(1) };
        var interval = new Option<TimeSpan>("--health-interval") { Description = "How often replica lag is read.", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(500) };
        var sessions = new Option<int?>("--max-active-sessions") { Description = "Pause while more sessions than this are active on the primary." };
        var window = new Option<string?>("--window") { Description = "Work only between these UTC hours, e.g. 22:00-06:00." };
        var lockTimeout = new Option<TimeSpan>("--lock-timeout") { Description = "lock_timeout of each batch.", DefaultValueFactory = _ => TimeSpan.FromSeconds(1) };
        var statementTimeout = new Option<TimeSpan>("--statement-timeout") { Description = "statement_timeout of each batch.", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };
        var wait = new Option<bool>("--wait") { Description = "If another runner holds it, wait for it instead of exiting with 4." };
        var progressEvery = new Option<TimeSpan>("--progress-interval") { Description = "When the output is not a terminal: a progress line this often.", DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
        var run = new Command("run", "Run a backfill (or continue one: the same name continues where it stopped; a finished one does nothing).")
        {
            name, table, key, sql, sqlFile, rate, batch, minBatch, maxBatch, target, replicas, maxLag, interval, sessions, window, lockTimeout, statementTimeout, wait, progressEvery,
        };
        run.SetAction(async (parse, ct) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var backfillName = parse.GetValue(name)!;
            if (Connection(parse, connection) is not { } cs)
            {
                await stderr.WriteLineAsync("pgdiscipline backfill: give --connection (or PGDISCIPLINE_CONNECTION).").ConfigureAwait(false);
                return 2;
            }

            var statement = parse.GetValue(sql);
            if (parse.GetValue(sqlFile) is { } file)
            {
                if (statement is not null)
                {
                    await stderr.WriteLineAsync("pgdiscipline backfill: give --sql or --sql-file, not both.").ConfigureAwait(false);
                    return 2;
                }

                statement = await File.ReadAllTextAsync(file.FullName, ct).ConfigureAwait(false);
            }

            var options = new BackfillOptions
            {
                RowsPerSecond = parse.GetValue(rate),
                BatchSize = parse.GetValue(batch),
                MinBatchSize = parse.GetValue(minBatch),
                MaxBatchSize = parse.GetValue(maxBatch),
                TargetBatchDuration = parse.GetValue(target),
                MaxReplicaLag = parse.GetValue(maxLag),
                MaxActiveSessions = parse.GetValue(sessions),
                LockTimeout = parse.GetValue(lockTimeout),
                StatementTimeout = parse.GetValue(statementTimeout),
                WaitForOtherRunner = parse.GetValue(wait),
            };
            try
            {
                if (parse.GetValue(window) is { } w)
                {
                    options.Window = BackfillWindow.Parse(w);
                }
            }
            catch (FormatException ex)
            {
                await stderr.WriteLineAsync($"pgdiscipline backfill: --window: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            NpgsqlDataSource primary;
            try
            {
                primary = NpgsqlDataSource.Create(cs);
            }
            catch (ArgumentException ex)
            {
                await stderr.WriteLineAsync($"pgdiscipline backfill: invalid --connection ({ex.ParamName ?? "syntax"}).").ConfigureAwait(false);
                return 2;
            }

            await using (primary.ConfigureAwait(false))
            {
                try
                {
                    BackfillDefinition definition;
                    var (t, k, s) = (parse.GetValue(table), parse.GetValue(key), statement);
                    if (t is null && k is null && s is null)
                    {
                        // Continue a backfill defined earlier, from its row.
                        if (await StoredAsync(primary, backfillName, ct).ConfigureAwait(false) is not { } stored)
                        {
                            await stderr.WriteLineAsync($"pgdiscipline backfill: no backfill '{backfillName}' to continue: define it with --table, --key and --sql.").ConfigureAwait(false);
                            return 2;
                        }

                        (t, k, s) = stored;
                    }
                    else if (t is null || k is null || s is null)
                    {
                        await stderr.WriteLineAsync("pgdiscipline backfill: give --table, --key and --sql together (or none of them, to continue a backfill defined before).").ConfigureAwait(false);
                        return 2;
                    }

                    definition = BackfillDefinition.FromSql(backfillName, t, k, s);
                    var replicaList = parse.GetValue(replicas) ?? [];
                    ReplicaLagMonitor? monitor = null;
                    if (replicaList.Length > 0)
                    {
                        monitor = new ReplicaLagMonitor(primary, replicaList, parse.GetValue(interval));
                        await monitor.StartAsync(ct).ConfigureAwait(false);
                        options.ReplicaHealth = () => monitor.Current;
                    }

                    await using (monitor)
                    {
                        var display = new ProgressDisplay(stdout, parse.GetValue(progressEvery));
                        var runner = new BackfillRunner(primary, definition, options);
                        try
                        {
                            var result = await runner.RunAsync(display, ct).ConfigureAwait(false);
                            display.Final(result);
                            return result.State == BackfillState.Done ? 0 : 5;
                        }
                        catch (OperationCanceledException) when (ct.IsCancellationRequested)
                        {
                            display.Line($"backfill {backfillName}: stopped; run it again to continue");
                            return 5;
                        }
                    }
                }
                catch (BackfillDefinitionException ex)
                {
                    await stderr.WriteLineAsync("pgdiscipline backfill: " + ex.Message).ConfigureAwait(false);
                    return 2;
                }
                catch (BackfillLeaseException ex)
                {
                    await stderr.WriteLineAsync("pgdiscipline backfill: " + ex.Message).ConfigureAwait(false);
                    return 4;
                }
                catch (PostgresException ex)
                {
                    // SQLSTATE and message name objects, never values (Detail, which may, is not printed).
                    await stderr.WriteLineAsync($"pgdiscipline backfill: {backfillName} failed: {ex.SqlState} {ex.MessageText}").ConfigureAwait(false);
                    return 1;
                }
                catch (NpgsqlException ex)
                {
                    await stderr.WriteLineAsync($"pgdiscipline backfill: cannot reach the database: {ex.Message}").ConfigureAwait(false);
                    return 3;
                }
            }
        });
        return run;
    }

    private static async Task<(string Table, string Key, string Statement)?> StoredAsync(NpgsqlDataSource primary, string name, CancellationToken ct)
    {
        await using var cmd = primary.CreateCommand("select table_name, key_column, statement from pgdiscipline.backfills where name = $1 and to_regclass('pgdiscipline.backfills') is not null");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        try
        {
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await r.ReadAsync(ct).ConfigureAwait(false) ? (r.GetString(0), r.GetString(1), r.GetString(2)) : null;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return null;
        }
    }

    private static Command BuildStatus(Option<string> connection)
    {
        var name = new Argument<string?>("name") { Description = "Only this backfill.", Arity = ArgumentArity.ZeroOrOne };
        var format = new Option<string>("--format") { Description = "text | json (pgdiscipline.backfills/v1, an input of `pgdiscipline report`)", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var status = new Command("status", "List backfills: state, progress, rate, pauses by reason, lag seen.") { name, format };
        status.SetAction(async (parse, ct) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (Connection(parse, connection) is not { } cs)
            {
                await stderr.WriteLineAsync("pgdiscipline backfill: give --connection (or PGDISCIPLINE_CONNECTION).").ConfigureAwait(false);
                return 2;
            }

            try
            {
                await using var primary = NpgsqlDataSource.Create(cs);
                var all = await BackfillRunner.ListAsync(primary, ct).ConfigureAwait(false);
                var only = parse.GetValue(name);
                var list = all.Where(b => only is null || b.Name == only).ToList();
                if (only is not null && list.Count == 0)
                {
                    await stderr.WriteLineAsync($"pgdiscipline backfill: no backfill '{only}'.").ConfigureAwait(false);
                    return 1;
                }

                if (parse.GetValue(format) == "json")
                {
                    var doc = new BackfillStatusDocument { CreatedAt = DateTimeOffset.UtcNow };
                    doc.Backfills.AddRange(list.Select(b => b.ToSnapshot()));
                    await stdout.WriteLineAsync(JsonSerializer.Serialize(doc, CliJson.Default.BackfillStatusDocument)).ConfigureAwait(false);
                    return 0;
                }

                await stdout.WriteLineAsync("name\tstate\tprogress\trows/s\tpauses\tmax lag\ttable").ConfigureAwait(false);
                foreach (var b in list)
                {
                    await stdout.WriteLineAsync(StatusLine(b)).ConfigureAwait(false);
                }

                await stdout.WriteLineAsync($"{list.Count} backfill(s)").ConfigureAwait(false);
                return 0;
            }
            catch (ArgumentException ex)
            {
                await stderr.WriteLineAsync($"pgdiscipline backfill: invalid --connection ({ex.ParamName ?? "syntax"}).").ConfigureAwait(false);
                return 2;
            }
            catch (NpgsqlException ex)
            {
                await stderr.WriteLineAsync($"pgdiscipline backfill: cannot reach the database: {ex.Message}").ConfigureAwait(false);
                return 3;
            }
        });
        return status;
    }

    internal static string StatusLine(BackfillProgress b)
    {
        var state = BackfillRowsText.State(b);
        var progress = b.Fraction is { } f && b.RowsEstimate is { } total
            ? string.Create(CultureInfo.InvariantCulture, $"{b.RowsDone:N0}/{total:N0} ({f:P1})")
            : string.Create(CultureInfo.InvariantCulture, $"{b.RowsDone:N0}");
        var pauses = b.Pauses.Count == 0 ? "—" : string.Join(", ", b.Pauses.OrderByDescending(p => p.Value).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} × {p.Value}")));
        var lag = b.MaxReplicaLagSeen is { } l ? string.Create(CultureInfo.InvariantCulture, $"{l.TotalSeconds:0.###} s") : "—";
        return string.Create(CultureInfo.InvariantCulture, $"{b.Name}\t{state}\t{progress}\t{b.RowsPerSecond:0}\t{pauses}\t{lag}\t{b.Table}");
    }

    private static Command BuildRequest(Option<string> connection, string verb, BackfillRequest request, string description)
    {
        var name = new Argument<string>("name") { Description = "The backfill's name." };
        var command = new Command(verb, description) { name };
        command.SetAction(async (parse, ct) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (Connection(parse, connection) is not { } cs)
            {
                await stderr.WriteLineAsync("pgdiscipline backfill: give --connection (or PGDISCIPLINE_CONNECTION).").ConfigureAwait(false);
                return 2;
            }

            try
            {
                await using var primary = NpgsqlDataSource.Create(cs);
                var backfillName = parse.GetValue(name)!;
                if (!await BackfillRunner.RequestAsync(primary, backfillName, request, ct).ConfigureAwait(false))
                {
                    await stderr.WriteLineAsync($"pgdiscipline backfill: no backfill '{backfillName}'.").ConfigureAwait(false);
                    return 1;
                }

                await stdout.WriteLineAsync(request switch
                {
                    BackfillRequest.Pause => $"backfill {backfillName}: pause requested (its runner waits before its next batch)",
                    BackfillRequest.Cancel => $"backfill {backfillName}: cancel requested (its runner stops after the batch in flight)",
                    _ => $"backfill {backfillName}: resume requested (a waiting runner goes on; a stopped one continues with `backfill run {backfillName}`)",
                }).ConfigureAwait(false);
                return 0;
            }
            catch (ArgumentException ex)
            {
                await stderr.WriteLineAsync($"pgdiscipline backfill: invalid --connection ({ex.ParamName ?? "syntax"}).").ConfigureAwait(false);
                return 2;
            }
            catch (NpgsqlException ex)
            {
                await stderr.WriteLineAsync($"pgdiscipline backfill: cannot reach the database: {ex.Message}").ConfigureAwait(false);
                return 3;
            }
        });
        return command;
    }

    private static string? Connection(ParseResult parse, Option<string> connection)
        => parse.GetValue(connection) is { Length: > 0 } cs && !string.IsNullOrWhiteSpace(cs) ? cs : null;

    /// <summary>Progress on a terminal (one line redrawn: bar, rate, ETA, pause reason) or plain lines when the output is
    /// redirected (on each state change, and every interval).</summary>
    private sealed class ProgressDisplay(TextWriter output, TimeSpan every) : IProgress<BackfillProgress>
    {
        private readonly bool _terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        private readonly object _gate = new();
        private DateTimeOffset _lastLine;
        private string? _lastState;
        private long _lastDraw;

        public void Report(BackfillProgress value)
        {
            lock (_gate)
            {
                var state = BackfillRowsText.State(value);
                if (_terminal)
                {
                    if (state == _lastState && Environment.TickCount64 - _lastDraw < 200)
                    {
                        return;
                    }

                    _lastDraw = Environment.TickCount64;
                    _lastState = state;
                    output.Write("\r" + Bar(value).PadRight(Math.Max(0, SafeWidth() - 1)));
                    output.Flush();
                    return;
                }

                var now = DateTimeOffset.UtcNow;
                if (state != _lastState || now - _lastLine >= every)
                {
                    _lastState = state;
                    _lastLine = now;
                    output.WriteLine(Plain(value));
                }
            }
        }

        public void Line(string text)
        {
            lock (_gate)
            {
                if (_terminal)
                {
                    output.WriteLine();
                }

                output.WriteLine(text);
            }
        }

        public void Final(BackfillProgress value)
        {
            lock (_gate)
            {
                if (_terminal)
                {
                    output.Write("\r" + Bar(value));
                    output.WriteLine();
                }

                output.WriteLine(Plain(value) + string.Create(CultureInfo.InvariantCulture, $"; {value.Batches:N0} batches, {value.RowsAffected:N0} rows changed, paused {value.Paused.TotalSeconds:0.#} s{(value.Pauses.Count > 0 ? " (" + string.Join(", ", value.Pauses.Select(p => $"{p.Key} × {p.Value}")) + ")" : "")}"));
            }
        }

        private static int SafeWidth()
        {
            try
            {
                return Console.WindowWidth;
            }
            catch (IOException)
            {
                return 80;
            }
        }

        private static string Bar(BackfillProgress p)
        {
            const int width = 24;
            var filled = p.Fraction is { } f ? (int)Math.Round(f * width) : 0;
            var bar = p.Fraction is null ? new string('?', width) : new string('#', filled) + new string('.', width - filled);
            return string.Create(CultureInfo.InvariantCulture, $"[{bar}]{Percent(p)} {p.RowsDone:N0} rows  {p.RowsPerSecond:N0}/s  ETA {Eta(p)}  {BackfillRowsText.State(p)}");
        }

        private static string Plain(BackfillProgress p)
            => string.Create(CultureInfo.InvariantCulture, $"backfill {p.Name}: {BackfillRowsText.State(p)}, {p.RowsDone:N0}{(p.RowsEstimate is { } t ? $"/{t:N0}" : "")} rows{Percent(p)}, {p.RowsPerSecond:N0} rows/s, ETA {Eta(p)}, batch {p.BatchSize}");

        private static string Percent(BackfillProgress p) => p.Fraction is { } f && p.RowsEstimate is not null ? string.Create(CultureInfo.InvariantCulture, $" {f:P1}") : "";

        private static string Eta(BackfillProgress p) => p.Eta is { } eta ? eta.ToString(eta.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "?";
    }
}

/// <summary>How a backfill's state reads in text output.</summary>
internal static class BackfillRowsText
{
    public static string State(BackfillProgress b) => b.State switch
    {
        BackfillState.Running or BackfillState.Paused when !b.RunnerAlive => "stopped (its runner ended; run it again to continue)",
        BackfillState.Paused => "paused (" + (b.PauseReason ?? "?") + ")",
        _ => b.State.ToString().ToLowerInvariant() + (b.Requested is { } r && b.State is BackfillState.Running ? $" ({r} requested)" : ""),
    };
}
