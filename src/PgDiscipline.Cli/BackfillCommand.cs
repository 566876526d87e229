using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using PgDiscipline.Backfill;
using PgDiscipline.Sql;

namespace PgDiscipline.Cli;

/// <summary>
/// <c>pgdiscipline backfill run|status|pause|resume|cancel</c>: SQL-defined backfills with the runtime's runner
/// (<c>BackfillRunner</c>), progress in <c>pgdiscipline.backfills</c>. Exit codes (<see cref="ExitCodes"/>) of <c>run</c>:
/// 0 done (or already done), 1 failed, 2 bad input (nothing written; also a stored statement that changed since it was
/// defined, or another role's), 3 database unreachable, 4 another runner holds it, 5 cancelled or stopped before the end
/// (run it again to continue).
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
        var healthInterval = new Option<TimeSpan>("--health-interval") { Description = "How often replica lag is read.", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(500) };
        var sessions = new Option<int?>("--max-active-sessions") { Description = "Pause while more sessions than this are active on the primary." };
        var window = new Option<string?>("--window") { Description = "Work only between these UTC hours, e.g. 22:00-06:00." };
        var lockTimeout = new Option<TimeSpan>("--lock-timeout") { Description = "lock_timeout of each batch.", DefaultValueFactory = _ => TimeSpan.FromSeconds(1) };
        var statementTimeout = new Option<TimeSpan>("--statement-timeout") { Description = "statement_timeout of each batch.", DefaultValueFactory = _ => TimeSpan.FromSeconds(30) };
        var wait = new Option<bool>("--wait") { Description = "If another runner holds it, wait for it instead of exiting with 4." };
        var progressEvery = new Option<TimeSpan>("--progress-interval") { Description = "When the output is not a terminal: a progress line this often.", DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
        var run = new Command("run", "Run a backfill (or continue one: the same name continues where it stopped; a finished one does nothing).")
        {
            name, table, key, sql, sqlFile, rate, batch, minBatch, maxBatch, target, replicas, maxLag, healthInterval, sessions, window, lockTimeout, statementTimeout, wait, progressEvery,
        };
        var accept = new Option<bool>("--accept-changed-statement")
        {
            Description = "Continue a backfill whose stored statement changed since it was defined, or that another role defined (read it first); it is then recorded as defined by you.",
        };
        run.Options.Add(accept);
        run.SetAction(async (parse, ct) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var backfillName = parse.GetValue(name)!;
            async Task<int> Fail(int code, string message)
            {
                await stderr.WriteLineAsync("pgdiscipline backfill: " + message).ConfigureAwait(false);
                return code;
            }

            if (!CliErrors.TryParseConnection(parse.GetValue(connection), "--connection", out var primaryBuilder, out var problem))
            {
                return await Fail(ExitCodes.BadInput, problem).ConfigureAwait(false);
            }

            var replicaStrings = new List<string>();
            foreach (var (replica, i) in (parse.GetValue(replicas) ?? []).Select((r, i) => (r, i)))
            {
                if (!CliErrors.TryParseConnection(replica, string.Create(CultureInfo.InvariantCulture, $"--replica #{i + 1}"), out var replicaBuilder, out problem))
                {
                    return await Fail(ExitCodes.BadInput, problem).ConfigureAwait(false);
                }

                replicaStrings.Add(replicaBuilder.ConnectionString);
            }

            var statement = parse.GetValue(sql);
            if (parse.GetValue(sqlFile) is { } file)
            {
                if (statement is not null)
                {
                    return await Fail(ExitCodes.BadInput, "give --sql or --sql-file, not both.").ConfigureAwait(false);
                }

                try
                {
                    statement = await File.ReadAllTextAsync(file.FullName, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    var why = ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex is UnauthorizedAccessException ? "permission denied" : ex.GetType().Name;
                    return await Fail(ExitCodes.BadInput, $"cannot read --sql-file '{file}' ({why}).").ConfigureAwait(false);
                }
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
                return await Fail(ExitCodes.BadInput, $"--window: {ex.Message}").ConfigureAwait(false);
            }

            var interval = parse.GetValue(healthInterval);
            if (interval <= TimeSpan.Zero || interval > TimeSpan.FromHours(1))
            {
                return await Fail(ExitCodes.BadInput, "--health-interval must be positive and at most 01:00:00.").ConfigureAwait(false);
            }

            await using var primary = NpgsqlDataSource.Create(primaryBuilder.ConnectionString);
            try
            {
                var (t, k, s) = (parse.GetValue(table), parse.GetValue(key), statement);
                if (t is null && k is null && s is null)
                {
                    // Continue a backfill defined earlier, from its row: its statement is code another role may have rewritten.
                    await using var conn = await primary.OpenConnectionAsync(ct).ConfigureAwait(false);
                    if (await BackfillTrust.ReadAsync(conn, backfillName, ct).ConfigureAwait(false) is not { } stored)
                    {
                        return await Fail(ExitCodes.BadInput, $"no backfill '{backfillName}' to continue: define it with --table, --key and --sql.").ConfigureAwait(false);
                    }

                    if (BackfillTrust.Refusal(stored, stored.CurrentUser) is { } refusal)
                    {
                        if (!parse.GetValue(accept))
                        {
                            return await Fail(ExitCodes.BadInput, $"will not continue '{backfillName}': {refusal}. Read the statement "
                                + "(select statement from pgdiscipline.backfills where name = …), then run again with --accept-changed-statement to run it as stored, "
                                + "or define the backfill again under a new name with --table, --key and --sql.").ConfigureAwait(false);
                        }

                        await stdout.WriteLineAsync($"backfill {backfillName}: accepting the stored statement ({refusal}); it is now recorded as defined by {stored.CurrentUser}").ConfigureAwait(false);
                        await BackfillTrust.AdoptAsync(conn, backfillName, stored, ct).ConfigureAwait(false);
                    }

                    (t, k, s) = (stored.Table, stored.KeyColumn, stored.Statement);
                }
                else if (t is null || k is null || s is null)
                {
                    return await Fail(ExitCodes.BadInput, "give --table, --key and --sql together (or none of them, to continue a backfill defined before).").ConfigureAwait(false);
                }

                var definition = BackfillDefinition.FromSql(backfillName, t, k, s);
                ReplicaLagMonitor? monitor = null;
                if (replicaStrings.Count > 0)
                {
                    monitor = new ReplicaLagMonitor(primary, replicaStrings, interval);
                    await monitor.StartAsync(ct).ConfigureAwait(false);
                    options.ReplicaHealth = () => monitor.Current;
                }

                await using (monitor)
                {
                    var display = new BackfillProgressDisplay(stdout, parse.GetValue(progressEvery));
                    var runner = new BackfillRunner(primary, definition, options);
                    try
                    {
                        var result = await runner.RunAsync(display, ct).ConfigureAwait(false);
                        display.Final(result);
                        return result.State == BackfillState.Done ? ExitCodes.Ok : ExitCodes.Stopped;
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        display.Line($"backfill {backfillName}: stopped; run it again to continue");
                        return ExitCodes.Stopped;
                    }
                }
            }
            catch (BackfillDefinitionException ex)
            {
                return await Fail(ExitCodes.BadInput, ex.Message).ConfigureAwait(false);
            }
            catch (BackfillLeaseException ex)
            {
                return await Fail(ExitCodes.Busy, ex.Message).ConfigureAwait(false);
            }
            catch (Exception ex) when (CliErrors.IsDatabase(ex))
            {
                // SQLSTATE and object names, never a value of the row it failed on (the runner stores the same text).
                var (code, message) = CliErrors.Database(ex, RunnerGrant);
                return await Fail(code, code == ExitCodes.Unreachable ? message : $"{backfillName} failed: {message}").ConfigureAwait(false);
            }
        });
        return run;
    }

    /// <summary>What a role that runs backfills needs once the schema's owner has created the table (docs/security.md).</summary>
    private const string RunnerGrant = "GRANT USAGE ON SCHEMA pgdiscipline TO <role>; GRANT SELECT, INSERT, UPDATE ON pgdiscipline.backfills TO <role> (and what the statement itself needs on its table); the table is created once by the schema's owner";

    /// <summary>What an operator needs for pause, resume and cancel.</summary>
    private const string RequestGrant = "GRANT USAGE ON SCHEMA pgdiscipline TO <role>; GRANT EXECUTE ON FUNCTION pgdiscipline.request_backfill(text, text) TO <role>";

    /// <summary>What <c>status</c> reads (no statement, no keys).</summary>
    private const string StatusGrant = "GRANT USAGE ON SCHEMA pgdiscipline TO <role>; GRANT SELECT (name, table_name, key_column, state, requested, pause_reason, rows_done, rows_affected, rows_estimate, batches, batch_size, pauses, paused_seconds, max_lag_seconds, owner, error, created_at, started_at, updated_at, finished_at, run_seconds) ON pgdiscipline.backfills TO <role>";

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
            if (!CliErrors.TryParseConnection(parse.GetValue(connection), "--connection", out var builder, out var problem))
            {
                await stderr.WriteLineAsync("pgdiscipline backfill: " + problem).ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            try
            {
                await using var primary = NpgsqlDataSource.Create(builder.ConnectionString);
                var all = await BackfillRunner.ListAsync(primary, ct).ConfigureAwait(false);
                var only = parse.GetValue(name);
                var list = all.Where(b => only is null || b.Name == only).ToList();
                if (only is not null && list.Count == 0)
                {
                    await stderr.WriteLineAsync($"pgdiscipline backfill: no backfill '{only}'.").ConfigureAwait(false);
                    return ExitCodes.Failed;
                }

                if (parse.GetValue(format) == "json")
                {
                    var doc = new BackfillStatusDocument { CreatedAt = DateTimeOffset.UtcNow };
                    doc.Backfills.AddRange(list.Select(b => b.ToSnapshot()));
                    await stdout.WriteLineAsync(JsonSerializer.Serialize(doc, CliJson.Default.BackfillStatusDocument)).ConfigureAwait(false);
                    return ExitCodes.Ok;
                }

                await stdout.WriteLineAsync("name\tstate\tprogress\trows/s\tpauses\tmax lag\ttable").ConfigureAwait(false);
                foreach (var b in list)
                {
                    await stdout.WriteLineAsync(StatusLine(b)).ConfigureAwait(false);
                }

                await stdout.WriteLineAsync($"{list.Count} backfill(s)").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (CliErrors.IsDatabase(ex))
            {
                var (code, message) = CliErrors.Database(ex, StatusGrant);
                await stderr.WriteLineAsync("pgdiscipline backfill: " + message).ConfigureAwait(false);
                return code;
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
            if (!CliErrors.TryParseConnection(parse.GetValue(connection), "--connection", out var builder, out var problem))
            {
                await stderr.WriteLineAsync("pgdiscipline backfill: " + problem).ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            try
            {
                await using var primary = NpgsqlDataSource.Create(builder.ConnectionString);
                var backfillName = parse.GetValue(name)!;
                if (!await BackfillRunner.RequestAsync(primary, backfillName, request, ct).ConfigureAwait(false))
                {
                    await stderr.WriteLineAsync($"pgdiscipline backfill: no backfill '{backfillName}'.").ConfigureAwait(false);
                    return ExitCodes.Failed;
                }

                await stdout.WriteLineAsync(request switch
                {
                    BackfillRequest.Pause => $"backfill {backfillName}: pause requested (its runner waits before its next batch)",
                    BackfillRequest.Cancel => $"backfill {backfillName}: cancel requested (its runner stops after the batch in flight)",
                    _ => $"backfill {backfillName}: resume requested (a waiting runner goes on; a stopped one continues with `backfill run {backfillName}`)",
                }).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (CliErrors.IsDatabase(ex))
            {
                var (code, message) = CliErrors.Database(ex, RequestGrant);
                await stderr.WriteLineAsync("pgdiscipline backfill: " + message).ConfigureAwait(false);
                return code;
            }
        });
        return command;
    }
}
