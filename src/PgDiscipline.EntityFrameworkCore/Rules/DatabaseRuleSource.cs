using Npgsql;
using PgDiscipline.Sql;
using PgDiscipline.Diagnostics;
using PgDiscipline.Operations;
using PgDiscipline.Operations.Rules;
using PgDiscipline.Operations.Diagnostics;

namespace PgDiscipline.Rules;

/// <summary>Rules from <c>pgdiscipline.query_rules</c>: loaded at start, reloaded on <c>NOTIFY pgdiscipline_rules</c>
/// (within a second of a change) and every <see cref="DatabaseRuleOptions.PollInterval"/> in case a notification was
/// missed; reconnects with backoff. Use a direct connection: LISTEN does not work through PgBouncer transaction pooling.
/// The table is input from other roles: each row is read and validated on its own (<see cref="DatabaseRuleRows"/>), and
/// nothing in this loop ends it, the application, or its shutdown.</summary>
internal sealed class DatabaseRuleSource : IAsyncDisposable
{
    private readonly RuleBook _rules;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private readonly DatabaseRuleOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;

    public DatabaseRuleSource(RuleBook rules, PgDiscipline.Configuration.CurrentOptions options, Microsoft.Extensions.Logging.ILogger logger)
    {
        _rules = rules;
        _logger = logger;
        _options = options.Value.DatabaseRules;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public Task FirstLoad => _firstLoad.Task;

    /// <summary>The Application Name of the LISTEN connection (what <c>pgdiscipline rules</c> counts).</summary>
    internal const string RuleListenerApplicationName = "pgdiscipline-rules";

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!cancellationToken.IsCancellationRequested)
        {
            NpgsqlConnection? connection = null;
            var creating = false;
            try
            {
                // Named, so `pgdiscipline rules` can count the instances listening.
                connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_options.ConnectionString) { ApplicationName = RuleListenerApplicationName }.ConnectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                if (_options.CreateTable && !await ExistsAsync(connection, cancellationToken).ConfigureAwait(false))
                {
                    // DDL only when the table (or its trigger) is missing: an application role without CREATE works
                    // against a table its owner made, whatever CreateTable says.
                    creating = true;
                    await using var create = new NpgsqlCommand(RuleTable.CreateSql, connection);
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    creating = false;
                }

                await using (var listen = new NpgsqlCommand("LISTEN " + RuleTable.Channel, connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await LoadAsync(connection, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(500);
                while (!cancellationToken.IsCancellationRequested)
                {
                    // Returns on a notification or after the poll interval: reload either way (one small table).
                    await connection.WaitAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false);
                    await LoadAsync(connection, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Anything at all (a bad row must not, but a driver or runtime surprise could): logged with its SQLSTATE
                // and what to grant, then retried. An exception escaping here would fault the loop and, with it, DisposeAsync.
                Log.RuleTableUnavailable(_logger, SafeErrorText.Describe(ex), RuleTableGrants.Hint(ex, creating, connection), backoff);
                try
                {
                    await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            finally
            {
                if (connection is not null)
                {
                    await DisposeQuietlyAsync(connection).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(DatabaseRuleRows.ExistsSql, connection);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    private async Task LoadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var rules = new List<(QueryRule, string)>();
        var errors = new List<string>();
        foreach (var row in await DatabaseRuleRows.ReadAllAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            errors.AddRange(row.Errors);
            if (row.Rule is { } rule)
            {
                rules.Add((rule, row.Key));
            }
        }

        _rules.Set("database", rules, errors);
        _firstLoad.TrySetResult();
    }

    private static async Task DisposeQuietlyAsync(NpgsqlConnection connection)
    {
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException or ObjectDisposedException)
        {
            // A broken connection that fails to close cleanly is gone either way.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
