using System.CommandLine;
using System.Globalization;
using Npgsql;
using PgDiscipline.Cli.Backfill;
using PgDiscipline.Operations.Backfill;

namespace PgDiscipline.Cli.Commands;

/// <summary>
/// <c>pgdiscipline backfill run NAME [--table --key --sql]</c>: runs a SQL-defined backfill, or continues one from its row
/// (after checking nobody rewrote its statement). Exit codes (<see cref="ExitCodes"/>): 0 done (or already done), 1
/// failed, 2 bad input (nothing written; also a stored statement that changed since it was defined, or another role's), 3
/// database unreachable, 4 another runner holds it, 5 cancelled or stopped before the end (run it again to continue).
/// </summary>
internal sealed class BackfillRunCommand : CliCommand
{
    /// <summary>What a role that runs backfills needs once the schema's owner has created the table (docs/security.md).</summary>
    private const string Grant = "GRANT USAGE ON SCHEMA pgdiscipline TO <role>; GRANT SELECT, INSERT, UPDATE ON pgdiscipline.backfills TO <role> (and what the statement itself needs on its table); the table is created once by the schema's owner";

    private readonly Option<string> _connection;
    private readonly Argument<string> _name = new("name") { Description = "The backfill's name (its row in pgdiscipline.backfills)." };
    private readonly Option<string?> _table = new("--table") { Description = "The table (schema-qualified if need be). Omit to continue a backfill defined before." };
    private readonly Option<string?> _key = new("--key") { Description = "Its key column: NOT NULL with a unique index of its own (usually the primary key)." };
    private readonly Option<string?> _sql = new("--sql") { Description = "One UPDATE/DELETE/INSERT/MERGE over the key range, with :lower and :upper (both inclusive): … WHERE id BETWEEN :lower AND :upper" };
    private readonly Option<FileInfo?> _sqlFile = new("--sql-file") { Description = "Read the statement from this file instead." };
    private readonly Option<string[]> _replicas = CommonOptions.Replicas("Connection string of a replica whose lag pauses the backfill (repeatable).");
    private readonly Option<TimeSpan> _maxLag = CommonOptions.MaxLag("Pause while a replica lags more than this.");
    private readonly Option<TimeSpan> _healthInterval = new("--health-interval") { Description = "How often replica lag is read.", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(500) };
    private readonly Option<bool> _wait = new("--wait") { Description = "If another runner holds it, wait for it instead of exiting with 4." };
    private readonly Option<TimeSpan> _progressEvery = new("--progress-interval") { Description = "When the output is not a terminal: a progress line this often.", DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
    private readonly Option<bool> _accept = new("--accept-changed-statement") { Description = "Continue a backfill whose stored statement changed since it was defined, or that another role defined (read it first); it is then recorded as defined by you." };
    private readonly BackfillThrottleOptions _throttle = new();

    public BackfillRunCommand(Option<string> connection)
        : base("run", "Run a backfill (or continue one: the same name continues where it stopped; a finished one does nothing).")
    {
        _connection = connection;
        Add(_name);
        foreach (var option in new Option[] { _table, _key, _sql, _sqlFile })
        {
            Add(option);
        }

        _throttle.AddTo(this, _replicas, _maxLag, _healthInterval);
        foreach (var option in new Option[] { _wait, _progressEvery, _accept })
        {
            Add(option);
        }
    }

    protected override async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var name = parse.GetValue(_name)!;
        Task<int> Fail(int code, string message) => FailAsync(parse, BackfillCommand.Prefix, code, message);
        if (!CliErrors.TryParseConnection(parse.GetValue(_connection), "--connection", out var primaryBuilder, out var problem))
        {
            return await Fail(ExitCodes.BadInput, problem).ConfigureAwait(false);
        }

        var replicas = new List<string>();
        foreach (var (replica, i) in (parse.GetValue(_replicas) ?? []).Select((r, i) => (r, i)))
        {
            if (!CliErrors.TryParseConnection(replica, string.Create(CultureInfo.InvariantCulture, $"--replica #{i + 1}"), out var replicaBuilder, out problem))
            {
                return await Fail(ExitCodes.BadInput, problem).ConfigureAwait(false);
            }

            replicas.Add(replicaBuilder.ConnectionString);
        }

        var (statement, fileProblem) = await ReadStatementAsync(parse, cancellationToken).ConfigureAwait(false);
        if (fileProblem is not null)
        {
            return await Fail(ExitCodes.BadInput, fileProblem).ConfigureAwait(false);
        }

        if (_throttle.Read(parse, out var options) is { } optionProblem)
        {
            return await Fail(ExitCodes.BadInput, optionProblem).ConfigureAwait(false);
        }

        options.MaxReplicaLag = parse.GetValue(_maxLag);
        options.WaitForOtherRunner = parse.GetValue(_wait);
        var interval = parse.GetValue(_healthInterval);
        if (interval <= TimeSpan.Zero || interval > TimeSpan.FromHours(1))
        {
            return await Fail(ExitCodes.BadInput, "--health-interval must be positive and at most 01:00:00.").ConfigureAwait(false);
        }

        await using var primary = NpgsqlDataSource.Create(primaryBuilder.ConnectionString);
        try
        {
            var (t, k, s) = (parse.GetValue(_table), parse.GetValue(_key), statement);
            if (t is null && k is null && s is null)
            {
                if (await ContinueAsync(parse, primary, name, cancellationToken).ConfigureAwait(false) is not { } stored)
                {
                    return ExitCodes.BadInput;
                }

                (t, k, s) = (stored.Table, stored.KeyColumn, stored.Statement);
            }
            else if (t is null || k is null || s is null)
            {
                return await Fail(ExitCodes.BadInput, "give --table, --key and --sql together (or none of them, to continue a backfill defined before).").ConfigureAwait(false);
            }

            var definition = BackfillDefinition.FromSql(name, t, k, s);
            await using var monitor = replicas.Count > 0 ? new ReplicaLagMonitor(primary, replicas, interval) : null;
            if (monitor is not null)
            {
                await monitor.StartAsync(cancellationToken).ConfigureAwait(false);
                options.ReplicaLag = () => monitor.Current;
            }

            var display = new BackfillProgressDisplay(Output(parse), parse.GetValue(_progressEvery));
            try
            {
                var result = await new BackfillRunner(primary, definition, options).RunAsync(display, cancellationToken).ConfigureAwait(false);
                display.Final(result);
                return result.State == BackfillState.Done ? ExitCodes.Ok : ExitCodes.Stopped;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                display.Line($"backfill {name}: stopped; run it again to continue");
                return ExitCodes.Stopped;
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
            var (code, message) = CliErrors.Database(ex, Grant);
            return await Fail(code, code == ExitCodes.Unreachable ? message : $"{name} failed: {message}").ConfigureAwait(false);
        }
    }

    /// <summary>The statement of <c>--sql</c> or <c>--sql-file</c> (null when neither is given), or why it cannot be had.</summary>
    private async Task<(string? Statement, string? Problem)> ReadStatementAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var statement = parse.GetValue(_sql);
        if (parse.GetValue(_sqlFile) is not { } file)
        {
            return (statement, null);
        }

        if (statement is not null)
        {
            return (null, "give --sql or --sql-file, not both.");
        }

        try
        {
            return (await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var why = ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex is UnauthorizedAccessException ? "permission denied" : ex.GetType().Name;
            return (null, $"cannot read --sql-file '{file}' ({why}).");
        }
    }

    /// <summary>A backfill defined earlier, from its row: its statement is code another role may have rewritten, so it runs
    /// only when the row's hashes say it is as defined by this role, or with <c>--accept-changed-statement</c>. Null (after
    /// saying why) when it must not run.</summary>
    private async Task<StoredDefinition?> ContinueAsync(ParseResult parse, NpgsqlDataSource primary, string name, CancellationToken cancellationToken)
    {
        await using var conn = await primary.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (await BackfillTrust.ReadAsync(conn, name, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            await FailAsync(parse, BackfillCommand.Prefix, ExitCodes.BadInput, $"no backfill '{name}' to continue: define it with --table, --key and --sql.").ConfigureAwait(false);
            return null;
        }

        if (BackfillTrust.Refusal(stored, stored.CurrentUser) is { } refusal)
        {
            if (!parse.GetValue(_accept))
            {
                await FailAsync(parse, BackfillCommand.Prefix, ExitCodes.BadInput, $"will not continue '{name}': {refusal}. Read the statement "
                    + "(select statement from pgdiscipline.backfills where name = …), then run again with --accept-changed-statement to run it as stored, "
                    + "or define the backfill again under a new name with --table, --key and --sql.").ConfigureAwait(false);
                return null;
            }

            await Output(parse).WriteLineAsync($"backfill {name}: accepting the stored statement ({refusal}); it is now recorded as defined by {stored.CurrentUser}").ConfigureAwait(false);
            await BackfillTrust.AdoptAsync(conn, name, stored, cancellationToken).ConfigureAwait(false);
        }

        return stored;
    }
}
