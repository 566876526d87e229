using Microsoft.Extensions.Logging;
using Npgsql;
using PgDiscipline.Diagnostics;
using PgDiscipline.Rules;
using PgDiscipline.Operations;
using PgDiscipline.Operations.Rules;
using PgDiscipline.Operations.Diagnostics;

namespace PgDiscipline.Routing;

/// <summary>
/// Rules from <c>pgdiscipline.query_rules</c> read through the replicas (<see cref="DatabaseRuleOptions.FromReplicas"/>):
/// the table replicates, so each round of health checks asks one replica in rotation for the table's version (its row
/// count and newest row version: any insert, update or delete changes one of them) and, when it changed, reads the rules
/// from that same replica. No connection of its own, nothing on the primary: a rule reaches every instance within
/// replication lag plus one <c>HealthCheckInterval</c>.
/// </summary>
internal sealed class ReplicaRules(RuleBook rules, ILogger logger, TimeProvider time)
{
    internal const string VersionSql = "select count(*)::text || '/' || coalesce(max(xmin::text::bigint), 0)::text from pgdiscipline.query_rules";

    private readonly TaskCompletionSource _firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _version;
    private int _next;

    /// <summary>Completes once the rules have been read (or found absent) on a replica.</summary>
    public Task FirstLoad => _firstLoad.Task;

    /// <summary>Asks one admitted replica (the next in turn) for the rules' version; reloads them when it changed.</summary>
    public async Task PollAsync(ReplicaEndpoint[] replicas, TimeSpan bound, CancellationToken cancellationToken)
    {
        var admitted = replicas.Where(r => r.Admitted).ToArray();
        if (admitted.Length == 0)
        {
            return;
        }

        var replica = admitted[(int)((uint)Interlocked.Increment(ref _next) % (uint)admitted.Length)];
        try
        {
            await Bounded.RunAsync(ReloadIfChangedAsync(replica, cancellationToken), bound, time, sync: false, static _ => { }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.RuleTableUnavailable(logger, SafeErrorText.Describe(ex), "the next round asks another replica", TimeSpan.Zero);
        }
    }

    private async Task<bool> ReloadIfChangedAsync(ReplicaEndpoint replica, CancellationToken cancellationToken)
    {
        await using var connection = await replica.Monitor.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        string version;
        try
        {
            await using var ask = new NpgsqlCommand(VersionSql, connection);
            version = (string)(await ask.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            version = "absent"; // no rule table yet: no database rules
        }

        if (version == Volatile.Read(ref _version))
        {
            return false;
        }

        var loaded = new List<(QueryRule, string)>();
        var errors = new List<string>();
        if (version != "absent")
        {
            foreach (var row in await DatabaseRuleRows.ReadAllAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                errors.AddRange(row.Errors);
                if (row.Rule is { } rule)
                {
                    loaded.Add((rule, row.Key));
                }
            }
        }

        rules.Set("database", loaded, errors);
        Volatile.Write(ref _version, version);
        _firstLoad.TrySetResult();
        return true;
    }
}
