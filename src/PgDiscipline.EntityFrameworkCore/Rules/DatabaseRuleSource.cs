using Npgsql;
using PgDiscipline.Sql;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Rules;

/// <summary>Rules from <c>pgdiscipline.query_rules</c>: loaded at start, reloaded on <c>NOTIFY pgdiscipline_rules</c>
/// (within a second of a change) and every <see cref="DatabaseRuleOptions.PollInterval"/> in case a notification was
/// missed; reconnects with backoff. Use a direct connection: LISTEN does not work through PgBouncer transaction pooling.</summary>
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

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_options.ConnectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                if (_options.CreateTable)
                {
                    await using var create = new NpgsqlCommand(RuleTable.CreateSql, connection);
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                Log.RuleTableUnavailable(_logger, ex.GetType().Name, backoff);
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
        }
    }

    private async Task LoadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var rules = new List<(QueryRule, string)>();
        var errors = new List<string>();
        await using (var select = new NpgsqlCommand(RuleTable.SelectSql, connection))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                var key = $"pgdiscipline.query_rules[id={id}]";
                var rule = new QueryRule { Id = id, Reason = reader.GetString(4) };
                var value = reader.GetString(2);
                switch (reader.GetString(1))
                {
                    case RuleTable.MatchFingerprint:
                        rule.Fingerprint = value;
                        break;
                    case RuleTable.MatchTag:
                        rule.Tag = value;
                        break;
                    default:
                        rule.Table = value;
                        break;
                }

                if (!Enum.TryParse<QueryRuleAction>(reader.GetString(3), ignoreCase: true, out var action) || !Enum.IsDefined(action))
                {
                    errors.Add($"{key}: action '{reader.GetString(3)}' is not one of {string.Join(", ", Enum.GetNames<QueryRuleAction>())}.");
                    continue;
                }

                rule.Action = action;
                rule.PermitsPerSecond = reader.IsDBNull(5) ? 0 : reader.GetDouble(5);
                rule.Burst = reader.IsDBNull(6) ? null : reader.GetInt32(6);
                rule.MaxConcurrency = reader.IsDBNull(7) ? 0 : reader.GetInt32(7);
                rule.MaxQueueTime = reader.IsDBNull(8) ? TimeSpan.Zero : TimeSpan.FromMilliseconds(reader.GetInt32(8));
                rule.Timeout = reader.IsDBNull(9) ? null : TimeSpan.FromMilliseconds(reader.GetInt32(9));
                rule.RouteTo = reader.IsDBNull(10) ? null : reader.GetString(10);
                rule.ExpiresAt = reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11);
                rules.Add((rule, key));
            }
        }

        _rules.Set("database", rules, errors);
        _firstLoad.TrySetResult();
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
