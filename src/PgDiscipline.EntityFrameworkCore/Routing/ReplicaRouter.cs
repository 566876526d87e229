using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using PgDiscipline.HighAvailability;

namespace PgDiscipline.Routing;

/// <summary>Chooses a replica for a read and runs it there, failing over to another replica and then (if allowed) the primary.</summary>
internal sealed class ReplicaRouter : IAsyncDisposable
{
    private readonly Func<PgDisciplineOptions> _options;
    private readonly ILogger _logger;
    private readonly object _setGate = new();
    private readonly Func<string, int> _targetIndex;
    private readonly List<Task> _draining = new();
    private volatile ReplicaSet _set;
    // Strong references from the read's start until EF Core disposes its reader (a weak table cost a GC handle per read).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DbCommand, ReplicaEndpoint> _running = new(ReferenceEqualityComparer.Instance);

    // Only for contexts whose internal service provider lacks ContextState (built by the application without
    // AddEntityFrameworkPgDiscipline()).
    private readonly ConditionalWeakTable<DbContext, PgDisciplineSession> _sessions = new();
    private readonly RetryBudget _retryBudget = new();
    private string? _primaryConnectionString;

    /// <param name="options">The options in force (read on every use: they reload).</param>
    /// <param name="logger">PgDiscipline's logger.</param>
    /// <param name="replicas">The replicas at start.</param>
    /// <param name="targetIndex">The statistics target index of a replica name (1 and up; 0 is the primary).</param>
    /// <param name="guard">Refuses stale primaries (the runtime's; null: a guard of the router's own).</param>
    public ReplicaRouter(Func<PgDisciplineOptions> options, ILogger logger, IEnumerable<ReplicaOptions> replicas, Func<string, int>? targetIndex = null, PrimaryTimelineGuard? guard = null)
    {
        Guard = guard ?? new PrimaryTimelineGuard(options, logger);
        _options = options;
        _logger = logger;
        var next = 0;
        _targetIndex = targetIndex ?? (_ => ++next);
        _set = new ReplicaSet(replicas.Select(r => Create(WithTimeouts(r, options()))).ToArray());
        Monitor = new ReplicaHealthMonitor(options, logger, () => _set.All);
        WriteCapture = new WritePositionCapture(logger);
    }

    /// <summary>The replicas in the set now (a removed replica leaves it at once).</summary>
    public IReadOnlyList<ReplicaEndpoint> Replicas => _set.All;

    /// <summary>An endpoint for a replica whose options already carry the timeouts (<see cref="WithTimeouts"/>; the name
    /// and host:port are unchanged by them).</summary>
    private ReplicaEndpoint Create(ReplicaOptions withTimeouts)
        => new(withTimeouts, _targetIndex(ReplicaEndpoint.NameOf(withTimeouts)));

    /// <summary>
    /// Makes <paramref name="replicas"/> the replica set, while reads run: a replica whose definition is unchanged keeps its
    /// endpoint (health, lag history, connections); a new one starts out of rotation and is admitted by the health checks;
    /// a removed one takes no new read at once, and its connections are closed when the reads running on it have ended.
    /// </summary>
    public (int Added, int Removed) SetReplicas(IReadOnlyList<ReplicaOptions> replicas)
    {
        lock (_setGate)
        {
            var current = _set.All;
            var kept = new List<ReplicaEndpoint>();
            var added = 0;
            foreach (var definition in replicas.Select(r => WithTimeouts(r, _options())))
            {
                var same = current.FirstOrDefault(e => !kept.Contains(e) && SameDefinition(e.Definition, definition));
                if (same is not null)
                {
                    kept.Add(same);
                }
                else
                {
                    kept.Add(Create(definition));
                    added++;
                }
            }

            var removed = current.Where(e => !kept.Contains(e)).ToList();
            _set = new ReplicaSet([.. kept]);
            foreach (var endpoint in removed)
            {
                endpoint.Removed = true;
                endpoint.Admitted = false;
                _draining.Add(DrainAsync(endpoint));
            }

            if (added > 0 || removed.Count > 0)
            {
                Log.ReplicaSetChanged(_logger, added, removed.Count, kept.Count);
            }

            return (added, removed.Count);
        }
    }

    private static bool SameDefinition(ReplicaOptions a, ReplicaOptions b)
        => a.ConnectionString == b.ConnectionString && a.Name == b.Name && a.Pool == b.Pool && a.Weight == b.Weight;

    /// <summary>Waits for the reads running on a removed replica (at most a minute), then closes its connections.</summary>
    private static async Task DrainAsync(ReplicaEndpoint endpoint)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        while (endpoint.InFlight > 0 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50).ConfigureAwait(false);
        }

        await endpoint.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>An immutable replica set: read once per routing decision, replaced whole by <see cref="SetReplicas"/>.</summary>
    private sealed class ReplicaSet
    {
        public ReplicaSet(ReplicaEndpoint[] all)
        {
            All = all;
            Pools = all.GroupBy(r => r.Pool, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
        }

        public ReplicaEndpoint[] All { get; }

        public Dictionary<string, ReplicaEndpoint[]> Pools { get; }
    }

    /// <summary>
    /// Where a read should go, from what is known before touching any server: the replica pool, or null for the primary.
    /// Writes, reads in a transaction (explicit or ambient), migration commands (EF Core's history reads included),
    /// Strong consistency and reads asking for the primary run on the primary; a query's own intent wins over the ambient
    /// one, and an untagged read follows <see cref="PgDisciplineOptions.DefaultRead"/> unless a Route rule names a target.
    /// </summary>
    public string? PoolForRead(CommandPlan plan, bool inTransaction, CommandSource source, ReadIntent ambientIntent, QueryPriority? ambientPriority)
    {
        var options = _options();
        if (!plan.IsReplicaSafe || inTransaction || options.Consistency == ReadConsistency.Strong || source == CommandSource.Migrations)
        {
            return null;
        }

        var intent = plan.Intent != ReadIntent.None ? plan.Intent : ambientIntent;
        if (intent == ReadIntent.Primary)
        {
            return null;
        }

        if (intent == ReadIntent.None && plan.RouteTo is null && options.DefaultRead == ReadRouting.Primary)
        {
            return null;
        }

        return PoolFor(plan, ambientPriority);
    }

    /// <summary>Runs a read on a replica when it may and should go there; null means: run it on the primary.</summary>
    public async ValueTask<DbDataReader?> TryReadAsync(DbCommand command, CommandEventData eventData, CommandPlan plan, bool sync, CancellationToken cancellationToken)
    {
        var inTransaction = command.Transaction is not null || System.Transactions.Transaction.Current is not null;
        var pool = PoolForRead(plan, inTransaction, eventData.CommandSource, PgDisciplineRouting.AmbientIntent, PgDisciplineRouting.AmbientPriority);
        if (pool is null)
        {
            return null;
        }

        var warm = Monitor.EnsureStarted();
        if (!warm.IsCompleted)
        {
            await WarmUpAsync(warm, sync, cancellationToken).ConfigureAwait(false);
        }

        var options = _options();
        var required = default(NpgsqlLogSequenceNumber);
        if (options.Consistency == ReadConsistency.Session && eventData.Context is { } context)
        {
            var session = Session(context);
            if (session.HasUncapturedWrite)
            {
                try
                {
                    await session.EnsureCapturedAsync(sync, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsConnectionLevel(ex) || ex is InvalidOperationException)
                {
                    FellBack(plan, FallbackReason.SessionUnknown);
                    return null; // freshness unknown: the primary answers
                }
            }

            required = session.RequiredPosition;
        }

        var reader = await ExecuteAsync(command, plan, pool, required, sync, cancellationToken).ConfigureAwait(false);
        if (reader is null && !options.FallbackToPrimary && required == default)
        {
            throw new ReplicaUnavailableException(plan.Fingerprint, pool);
        }

        return reader;
    }

    /// <summary>A fresh runtime's first reads wait for the first round of health checks (at most one check's timeout), so
    /// replicas that answer are in rotation before any read is routed: a fleet restarting for a deploy does not put its
    /// read load on the primary for that moment.</summary>
    private async ValueTask WarmUpAsync(Task firstRound, bool sync, CancellationToken cancellationToken)
    {
        var bound = Monitor.CheckTimeout;
        try
        {
            if (sync)
            {
                // EF Core's synchronous APIs block for I/O anyway; this is one bounded wait, once per runtime.
                firstRound.Wait(bound, cancellationToken);
            }
            else
            {
                await firstRound.WaitAsync(bound, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            // The slowest replica has not answered: route with what is known.
        }
    }

    /// <summary>A command runs on the primary: count a read there, or remember a write for read-your-writes (a write in a
    /// transaction counts when the transaction commits).</summary>
    public void OnPrimary(DbCommand command, CommandEventData eventData, CommandPlan plan)
    {
        if (plan.IsReplicaSafe)
        {
            PgDisciplineTelemetry.Reads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.target", "primary"));
        }
        else if (command.Transaction is null && eventData.Context is { } context && _options().Consistency == ReadConsistency.Session)
        {
            Session(context).MarkWrite();
        }
    }

    public ReplicaHealthMonitor Monitor { get; }

    /// <summary>The runtime's stale-primary guard (session tokens carry and raise its timeline).</summary>
    public PrimaryTimelineGuard Guard { get; }

    public bool HasReplicas => _set.All.Length > 0;

    /// <summary>Remembers the primary (from the first connection a context opens) for LSN reads.</summary>
    public void SeePrimary(string connectionString)
    {
        if (_primaryConnectionString is not null || string.IsNullOrEmpty(connectionString))
        {
            return;
        }

        lock (_setGate)
        {
            if (_primaryConnectionString is null)
            {
                _primaryConnectionString = connectionString;
                Monitor.PrimarySource = new PrimaryDataSource(connectionString, Guard);
            }
        }
    }

    public PgDisciplineSession Session(DbContext context) => Session(context, StateOf(context));

    private PgDisciplineSession Session(DbContext context, ContextState? state)
        => state is not null ? state.Session ??= NewSession() : _sessions.GetValue(context, _ => NewSession());

    /// <summary>The context's scoped PgDiscipline state (null when its service provider lacks it).</summary>
    internal static ContextState? StateOf(DbContext context)
        => ((IInfrastructure<IServiceProvider>)context).Instance.GetService(typeof(ContextState)) as ContextState;

    private PgDisciplineSession NewSession() => new() { CapturePosition = CapturePrimaryPositionAsync, Timeline = Guard };

    /// <summary>Distinct text so its cost can be counted in pg_stat_statements. The insert position, not the write
    /// position (<c>pg_current_wal_lsn()</c>): with <c>synchronous_commit = off</c> (often set per transaction) a commit
    /// returns before its record is written, and a position below the commit record would let a replica that lacks the
    /// write serve the session's next read.</summary>
    internal const string CaptureSql = "select pg_current_wal_insert_lsn()::text as " + CaptureColumn;

    internal const string CaptureColumn = "pgdiscipline_session_position";

    /// <summary>Autocommit writes that read their own commit position in the same round trip.</summary>
    public WritePositionCapture WriteCapture { get; }

    /// <summary>The session whose write <paramref name="command"/> is, when that write can carry its position capture
    /// (see <see cref="WritePositionCapture.Applies"/>); null otherwise. Call after <see cref="OnPrimary"/>.</summary>
    public (PgDisciplineSession Session, ContextState? State)? CaptureSessionFor(DbCommand command, CommandEventData eventData, CommandPlan plan)
    {
        if (!plan.CarriesPositionCapture || eventData.Context is not { } context)
        {
            return null;
        }

        var state = StateOf(context);
        var session = Session(context, state);
        return WritePositionCapture.Applies(_options(), command, plan, session) ? (session, state) : null;
    }

    private async ValueTask<NpgsqlLogSequenceNumber> CapturePrimaryPositionAsync(bool sync, CancellationToken cancellationToken)
    {
        var primary = Monitor.Primary ?? throw new InvalidOperationException("PgDiscipline has not seen the primary connection yet.");
        await using var cmd = primary.CreateCommand(CaptureSql);
        var text = (string?)(sync ? cmd.ExecuteScalar() : await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
        return Lsns.TryParse(text, out var lsn) ? lsn : default;
    }

    /// <summary>The replica pool a read should use, or null for the primary.</summary>
    public string? PoolFor(CommandPlan plan, QueryPriority? priority)
    {
        if (plan.RouteTo is { } routeTo)
        {
            return string.Equals(routeTo, "primary", StringComparison.OrdinalIgnoreCase) ? null : routeTo;
        }

        var p = plan.Priority ?? priority;
        return p == QueryPriority.Low && _set.Pools.ContainsKey("low") ? "low" : ReplicaOptions.DefaultPool;
    }

    /// <summary>Power of two choices, weighted, among the replicas of the pool in rotation that may serve a read needing
    /// <paramref name="required"/>: known to have replayed it, or not found behind it by a probe in the last
    /// <see cref="ProbePause"/> (the caller probes those). Eligibility is read once: the monitor and other reads change
    /// it concurrently (a fault run once caught a replica ejected between two passes).</summary>
    public ReplicaEndpoint? Choose(string pool, NpgsqlLogSequenceNumber required, ReplicaEndpoint? exclude1 = null, ReplicaEndpoint? exclude2 = null)
    {
        var replicas = PoolMembers(pool);
        var probeableSince = required == default ? 0 : System.Diagnostics.Stopwatch.GetTimestamp() - ProbePauseTicks;
        Span<int> eligible = replicas.Length <= 64 ? stackalloc int[replicas.Length] : new int[replicas.Length];
        var count = 0;
        var totalWeight = 0;
        for (var i = 0; i < replicas.Length; i++)
        {
            var r = replicas[i];
            if (r.Admitted && r != exclude1 && r != exclude2 && (r.Replayed >= required || r.ProbedBehindAt <= probeableSince))
            {
                eligible[count++] = i;
                totalWeight += r.Weight;
            }
        }

        if (count == 0)
        {
            return null;
        }

        eligible = eligible[..count];
        var x = Pick(replicas, eligible, Random.Shared.Next(totalWeight));
        var y = Pick(replicas, eligible, Random.Shared.Next(totalWeight));
        return (long)y.InFlight * x.Weight < (long)x.InFlight * y.Weight ? y : x;
    }

    private ReplicaEndpoint[] PoolMembers(string pool)
    {
        var set = _set;
        return set.Pools.TryGetValue(pool, out var replicas) || set.Pools.TryGetValue(ReplicaOptions.DefaultPool, out replicas) ? replicas : set.All;
    }

    private static ReplicaEndpoint Pick(ReplicaEndpoint[] replicas, ReadOnlySpan<int> eligible, int ticket)
    {
        foreach (var i in eligible)
        {
            ticket -= replicas[i].Weight;
            if (ticket < 0)
            {
                return replicas[i];
            }
        }

        return replicas[eligible[^1]];
    }

    /// <summary>Runs the read on a replica. Returns null when it must run on the primary instead.</summary>
    public async ValueTask<DbDataReader?> ExecuteAsync(DbCommand command, CommandPlan plan, string pool, NpgsqlLogSequenceNumber required, bool sync, CancellationToken cancellationToken)
    {
        _retryBudget.OnRequest();
        ReplicaEndpoint? tried1 = null;
        ReplicaEndpoint? tried2 = null;
        var failed = false;
        var behind = false;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var replica = Choose(pool, required, tried1, tried2);
            if (replica is null)
            {
                break;
            }

            if (failed && !_retryBudget.TryRetry())
            {
                FellBack(plan, FallbackReason.RetryBudget);
                return null;
            }

            // The session wrote after the replica's last health check: ask it how far it has replayed (one short round
            // trip on the connection the read then uses) rather than assume it is behind.
            var probe = replica.Replayed < required;
            replica.Enter();
            NpgsqlConnection? connection = null;
            try
            {
                connection = sync ? replica.DataSource.OpenConnection() : await replica.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                var reader = await RunOnAsync(replica, connection, command, plan, sync, cancellationToken, probe ? required : null).ConfigureAwait(false);
                if (reader is null)
                {
                    // The probe sent with the read found the replica behind the session: its result is discarded.
                    replica.Leave();
                    behind = true;
                    (tried1, tried2) = tried1 is null ? (replica, tried2) : (tried1, replica);
                    continue;
                }

                return reader;
            }
            catch (Exception ex) when (IsConnectionLevel(ex))
            {
                await FailedAsync(replica, connection, ex).ConfigureAwait(false);
                failed = true;
                (tried1, tried2) = tried1 is null ? (replica, tried2) : (tried1, replica);
            }
            catch
            {
                await ReleaseAsync(replica, connection).ConfigureAwait(false);
                throw;
            }
        }

        if (failed)
        {
            FellBack(plan, FallbackReason.ReplicasFailed);
            return null;
        }

        if (!behind && !AnyInRotation(pool))
        {
            FellBack(plan, FallbackReason.NoReplicaInRotation);
            return null;
        }

        // Replicas are in rotation but none has replayed the session's write yet: wait for the one furthest ahead, up
        // to ReadYourWritesWait, rather than send the read to the primary.
        if (required != default && _options().ReadYourWritesWait > TimeSpan.Zero
            && await WaitThenReadAsync(command, plan, pool, required, sync, cancellationToken).ConfigureAwait(false) is { } waited)
        {
            return waited;
        }

        FellBack(plan, FallbackReason.BehindSession);
        return null;
    }

    /// <summary>
    /// The primary could not be reached for a read that was to run there (a failover in progress: the old primary is
    /// down, the standby not promoted yet). When the read may run on a replica at all (same decision as
    /// <see cref="TryReadAsync"/>), it waits up to <see cref="PgDisciplineOptions.MaxReplicaLag"/> for an admitted replica
    /// of its pool that satisfies it — under Session consistency one that has replayed the session's last write — and runs
    /// there. Reader null: not replica-eligible, the session's position is unknown, or no replica did in time (the caller
    /// rethrows the primary's error). Only reads: nothing is re-executed that could have run. Waited: the read was
    /// replica-eligible and the replicas were waited for (the caller then tries the primary once more).
    /// </summary>
    public async ValueTask<(DbDataReader? Reader, bool Waited)> ReadWhilePrimaryUnreachableAsync(DbCommand command, CommandEventData eventData, CommandPlan plan, bool sync, CancellationToken cancellationToken)
    {
        var inTransaction = command.Transaction is not null || System.Transactions.Transaction.Current is not null;
        if (PoolForRead(plan, inTransaction, eventData.CommandSource, PgDisciplineRouting.AmbientIntent, PgDisciplineRouting.AmbientPriority) is not { } pool)
        {
            return (null, false);
        }

        var options = _options();
        var required = default(NpgsqlLogSequenceNumber);
        if (options.Consistency == ReadConsistency.Session && eventData.Context is { } context)
        {
            var session = Session(context);
            if (session.HasUncapturedWrite)
            {
                return (null, false); // the session's position was never read: freshness unknown
            }

            required = session.RequiredPosition;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            foreach (var replica in PoolMembers(pool).Where(r => r.Admitted && !r.Removed).OrderByDescending(r => (ulong)r.Replayed))
            {
                replica.Enter();
                NpgsqlConnection? connection = null;
                try
                {
                    connection = sync ? replica.DataSource.OpenConnection() : await replica.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                    if (required == default || await HasReplayedAsync(replica, connection, required, sync, cancellationToken).ConfigureAwait(false))
                    {
                        var reader = await RunOnAsync(replica, connection, command, plan, sync, cancellationToken).ConfigureAwait(false);
                        PgDisciplineTelemetry.PrimaryUnreachableReads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.outcome", "replica"));
                        return (reader, true);
                    }

                    await ReleaseAsync(replica, connection).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsConnectionLevel(ex))
                {
                    await FailedAsync(replica, connection, ex).ConfigureAwait(false);
                }
                catch
                {
                    await ReleaseAsync(replica, connection).ConfigureAwait(false);
                    throw;
                }
            }

            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) >= options.MaxReplicaLag)
            {
                PgDisciplineTelemetry.PrimaryUnreachableReads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.outcome", "failed"));
                return (null, true);
            }

            if (sync)
            {
                Thread.Sleep(10);
            }
            else
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Polls the admitted replica of the pool that has replayed furthest until it reaches <paramref name="required"/>
    /// (every millisecond, on the connection the read then uses) or <see cref="PgDisciplineOptions.ReadYourWritesWait"/>
    /// has passed; runs the read there when it does. Null: run it on the primary.</summary>
    private async ValueTask<DbDataReader?> WaitThenReadAsync(DbCommand command, CommandPlan plan, string pool, NpgsqlLogSequenceNumber required, bool sync, CancellationToken cancellationToken)
    {
        ReplicaEndpoint? replica = null;
        foreach (var r in PoolMembers(pool))
        {
            if (r.Admitted && (replica is null || r.Replayed > replica.Replayed))
            {
                replica = r;
            }
        }

        if (replica is null)
        {
            return null;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var budget = _options().ReadYourWritesWait;
        replica.Enter();
        NpgsqlConnection? connection = null;
        try
        {
            connection = sync ? replica.DataSource.OpenConnection() : await replica.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            while (!await HasReplayedAsync(replica, connection, required, sync, cancellationToken).ConfigureAwait(false))
            {
                if (System.Diagnostics.Stopwatch.GetElapsedTime(started) >= budget)
                {
                    await ReleaseAsync(replica, connection).ConfigureAwait(false);
                    RecordWait(plan, started, replayed: false);
                    return null;
                }

                if (sync)
                {
                    Thread.Sleep(1);
                }
                else
                {
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }
            }

            RecordWait(plan, started, replayed: true);
            return await RunOnAsync(replica, connection, command, plan, sync, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionLevel(ex))
        {
            await FailedAsync(replica, connection, ex).ConfigureAwait(false);
            return null;
        }
        catch
        {
            await ReleaseAsync(replica, connection).ConfigureAwait(false);
            throw;
        }
    }

    private static void RecordWait(CommandPlan plan, long started, bool replayed)
    {
        var waited = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        PgDisciplineTelemetry.SessionWait.Record(waited.TotalMilliseconds, new KeyValuePair<string, object?>("pgdiscipline.outcome", replayed ? "replica" : "primary"));
        plan.Stats?.SessionWaited((long)(waited.Ticks / TimeSpan.TicksPerMicrosecond), replayed);
    }

    /// <summary>The freshness probe sent in the same round trip as a read (first statement of the batch, marked so row
    /// counts skip it). The statements of a batch run in order in one implicit transaction, and the read takes its snapshot
    /// after the probe: when the probe shows the session's position replayed, the read sees the session's write.</summary>
    internal const string ProbeBatchSql = TimeoutSql.OwnStatementPrefix + "probe */ " + ProbeSql + ";";

    /// <summary>Runs the read on an open connection to <paramref name="replica"/> (which the caller entered). With
    /// <paramref name="probeFor"/>, the replay position is asked in the same round trip; when the replica has not replayed
    /// that far the reader (and the connection) is closed and null returned, and the caller tries elsewhere.</summary>
    private async ValueTask<DbDataReader?> RunOnAsync(ReplicaEndpoint replica, NpgsqlConnection connection, DbCommand command, CommandPlan plan, bool sync, CancellationToken cancellationToken, NpgsqlLogSequenceNumber? probeFor = null)
    {
        var replicaCommand = connection.CreateCommand();
        replicaCommand.CommandText = probeFor is null ? plan.ReplicaText : ProbeBatchSql + plan.ReplicaText;
        replicaCommand.CommandTimeout = command.CommandTimeout;
        foreach (DbParameter p in command.Parameters)
        {
            replicaCommand.Parameters.Add(p is NpgsqlParameter np ? np.Clone() : new NpgsqlParameter(p.ParameterName, p.Value));
        }

        var reader = sync
            ? replicaCommand.ExecuteReader(CommandBehavior.CloseConnection)
            : await replicaCommand.ExecuteReaderAsync(CommandBehavior.CloseConnection, cancellationToken).ConfigureAwait(false);
        if (probeFor is { } required)
        {
            var answered = sync ? reader.Read() : await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!HasReplayed(replica, answered && !reader.IsDBNull(0) ? reader.GetString(0) : null, required))
            {
                await reader.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            _ = sync ? reader.NextResult() : await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        }

        if (plan.ReplicaTextIsPrefixed)
        {
            if (sync)
            {
                reader.NextResult();
            }
            else
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        _running[command] = replica;
        PgDisciplineTelemetry.Reads.Add(1, new KeyValuePair<string, object?>("pgdiscipline.target", replica.Name));
        plan.Stats?.RoutedTo(replica.Index);
        PgDisciplineTelemetry.SetTarget(command, replica.Name, replica.Host, replica.Port);
        return reader;
    }

    /// <summary>The read will not run on <paramref name="replica"/> after all: leave it and close the connection.</summary>
    private static async ValueTask ReleaseAsync(ReplicaEndpoint replica, NpgsqlConnection? connection)
    {
        replica.Leave();
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask FailedAsync(ReplicaEndpoint replica, NpgsqlConnection? connection, Exception ex)
    {
        await ReleaseAsync(replica, connection).ConfigureAwait(false);
        Monitor.MarkFailed(replica, "read failed: " + (ex is PostgresException pg ? pg.SqlState : ex.GetType().Name));
        Log.ReplicaReadFailed(_logger, replica.Name, ex.GetType().Name);
    }

    /// <summary>Counts a replica-bound read that runs on the primary, by reason (metric tag and statistics).</summary>
    internal static void FellBack(CommandPlan plan, FallbackReason reason)
    {
        PgDisciplineTelemetry.Fallbacks.Add(1, new KeyValuePair<string, object?>("pgdiscipline.reason", reason.Name()));
        plan.Stats?.FellBack(reason);
    }

    /// <summary>Distinct text so its cost can be counted in pg_stat_statements.</summary>
    internal const string ProbeSql = "select pg_last_wal_replay_lsn()::text as pgdiscipline_replay_position";

    /// <summary>After a probe found a replica behind, further probes of it wait this long (replay stopped or slow).</summary>
    internal static readonly TimeSpan ProbePause = TimeSpan.FromMilliseconds(5);

    private static readonly long ProbePauseTicks = (long)(ProbePause.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    private static async ValueTask<bool> HasReplayedAsync(ReplicaEndpoint replica, NpgsqlConnection connection, NpgsqlLogSequenceNumber required, bool sync, CancellationToken cancellationToken)
    {
        await using var probe = connection.CreateCommand();
        probe.CommandText = ProbeSql;
        var text = (sync ? probe.ExecuteScalar() : await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)) as string;
        return HasReplayed(replica, text, required);
    }

    /// <summary>Judges a probe's answer (<c>pg_last_wal_replay_lsn()</c> as text, or null): raises the replica's known
    /// position, and when it is behind <paramref name="required"/> pauses further probes of it briefly.</summary>
    private static bool HasReplayed(ReplicaEndpoint replica, string? answer, NpgsqlLogSequenceNumber required)
    {
        if (Lsns.TryParse(answer, out var replayed))
        {
            replica.SawReplay(replayed);
            if (replayed >= required)
            {
                return true;
            }
        }

        replica.ProbedBehindAt = System.Diagnostics.Stopwatch.GetTimestamp();
        return false;
    }

    private bool AnyInRotation(string pool)
    {
        foreach (var r in PoolMembers(pool))
        {
            if (r.Admitted)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The read that ran on a replica finished.</summary>
    public void Completed(DbCommand command)
    {
        if (_running.TryRemove(command, out var replica))
        {
            replica.Leave();
        }
    }

    /// <summary>Errors that say the server or the connection is unusable, as opposed to an error of the statement.</summary>
    internal static bool IsConnectionLevel(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState is "57P01" or "57P02" or "57P03" or "53300" or "58P01",
        NpgsqlException => true, // socket, I/O, connect timeout
        System.Net.Sockets.SocketException or IOException or TimeoutException => true,
        _ => false,
    };

    private static ReplicaOptions WithTimeouts(ReplicaOptions replica, PgDisciplineOptions options)
    {
        if (options.Pooler != PoolerMode.Direct)
        {
            return replica;
        }

        var merged = new TimeoutOptions
        {
            Statement = replica.Timeouts.Statement ?? options.Timeouts.Statement,
            Lock = replica.Timeouts.Lock ?? options.Timeouts.Lock,
            IdleInTransaction = replica.Timeouts.IdleInTransaction ?? options.Timeouts.IdleInTransaction,
        };
        return new ReplicaOptions
        {
            ConnectionString = TimeoutSql.WithStartupOptions(replica.ConnectionString, merged),
            Name = replica.Name,
            Pool = replica.Pool,
            Weight = replica.Weight,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await Monitor.DisposeAsync().ConfigureAwait(false);
        if (Monitor.PrimarySource is { } primary)
        {
            await primary.DisposeAsync().ConfigureAwait(false);
        }

        Task[] draining;
        lock (_setGate)
        {
            draining = [.. _draining];
        }

        foreach (var r in _set.All)
        {
            await r.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(draining).ConfigureAwait(false);
    }

    /// <summary>Retries allowed: at least 10 a second, or 20% of the reads of the last second — so a dying replica cannot
    /// multiply the load on the others.</summary>
    private sealed class RetryBudget
    {
        private long _window;
        private int _requests;
        private int _retries;

        public void OnRequest()
        {
            Roll();
            Interlocked.Increment(ref _requests);
        }

        public bool TryRetry()
        {
            Roll();
            var allowed = Math.Max(10, Volatile.Read(ref _requests) / 5);
            return Interlocked.Increment(ref _retries) <= allowed;
        }

        private void Roll()
        {
            var now = Environment.TickCount64 / 1000;
            var window = Volatile.Read(ref _window);
            if (now != window && Interlocked.CompareExchange(ref _window, now, window) == window)
            {
                Volatile.Write(ref _requests, 0);
                Volatile.Write(ref _retries, 0);
            }
        }
    }
}
