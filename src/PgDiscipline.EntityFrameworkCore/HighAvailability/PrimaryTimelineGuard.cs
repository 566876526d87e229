using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgDiscipline.Configuration;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.HighAvailability;

/// <summary>
/// No writes to a stale primary. Remembers the newest primary timeline seen (by this runtime's connections, or in a
/// session token from another instance); a primary connection whose server is on an older timeline — an old primary
/// that came back writable after its standby was promoted — is refused: the host is fenced, the connection closed and
/// reopened on the remaining hosts of a multi-host connection string (Npgsql takes the first writable host, which is the
/// returned old primary when it is listed first), or <see cref="StalePrimaryException"/> thrown when none is left.
/// A fenced host is looked at again every <see cref="HighAvailabilityOptions.RecheckInterval"/> and readmitted once it
/// is a standby or on the newest timeline (rebuilt by the HA controller).
/// </summary>
/// <remarks>The timeline is the first 8 hex digits of <c>pg_walfile_name(pg_current_wal_lsn())</c>: executable by any
/// role, and right from the moment of promotion (<c>pg_control_checkpoint().timeline_id</c> shows the old timeline until
/// the first checkpoint after promotion, measured: about a second). It is read once per physical connection (a
/// restarted or different server is always a new one) and, behind PgBouncer, again once the last check is older than
/// the recheck interval.</remarks>
internal sealed partial class PrimaryTimelineGuard : IAsyncDisposable, IGaugeSource
{
    /// <summary>Distinct text so its cost can be counted in pg_stat_statements; the CASE keeps pg_walfile_name (which
    /// fails during recovery) off a standby.</summary>
    internal const string TimelineSql =
        "select pg_is_in_recovery(), case when pg_is_in_recovery() then '' else pg_walfile_name(pg_current_wal_lsn()) end as pgdiscipline_timeline";

    private readonly CurrentOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Host, int Port, int Pid), Verified> _verified = new();
    private readonly ConcurrentDictionary<string, long> _fenced = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _unknownLogged = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConditionalWeakTable<DbConnection, string> _rewritten = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly object _loopGate = new();
    private long _newest;
    private long _hint;
    private int _version;
    private int _everFenced;
    private string? _configured;
    private Task? _recheck;

    public PrimaryTimelineGuard(CurrentOptions options, ILogger logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _time = time;
        PgDisciplineTelemetry.Register(this);
    }

    public void Observe(GaugeKind kind, List<System.Diagnostics.Metrics.Measurement<double>> into)
    {
        if (kind == GaugeKind.PrimaryTimeline)
        {
            into.Add(new System.Diagnostics.Metrics.Measurement<double>(NewestTimeline));
        }
    }

    /// <summary>The newest primary timeline seen (0: none yet).</summary>
    public long NewestTimeline => Interlocked.Read(ref _newest);

    /// <summary>Hosts (<c>host:port</c>) refused now, with the timeline each was on.</summary>
    public IReadOnlyDictionary<string, long> Fenced => new Dictionary<string, long>(_fenced, StringComparer.OrdinalIgnoreCase);

    /// <summary>Changes whenever a host is fenced or readmitted.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>The primary connection string as configured (with its password: taken before the first open).</summary>
    public string? Configured => _configured;

    /// <summary>Remembers the configured primary connection string (the first one seen, before it opened).</summary>
    public void Remember(string connectionString)
    {
        if (_configured is null && !string.IsNullOrEmpty(connectionString))
        {
            Interlocked.CompareExchange(ref _configured, connectionString, null);
        }
    }

    /// <summary>A timeline a session token claims (written by another instance, or forged by a client): only a hint. The
    /// next primary connection first looks for a server that really is on it (<see cref="ConfirmHintAsync"/>); nothing is
    /// refused on a token's word.</summary>
    public void SawTimeline(long timeline, string source)
    {
        while (true)
        {
            var hint = Interlocked.Read(ref _hint);
            if (timeline <= hint || timeline <= NewestTimeline || Interlocked.CompareExchange(ref _hint, timeline, hint) == hint)
            {
                return;
            }
        }
    }

    /// <summary>Servers other than the configured primary hosts that can tell which timeline exists (the replicas, whose
    /// WAL receiver follows the primary's): set by the replica set.</summary>
    public Func<CancellationToken, Task<long>>? Witnesses { get; set; }

    private long Raise(long timeline)
    {
        while (true)
        {
            var current = Interlocked.Read(ref _newest);
            if (timeline <= current || Interlocked.CompareExchange(ref _newest, timeline, current) == current)
            {
                return current;
            }
        }
    }

    /// <summary>Before the primary connection opens: when a host of the configured multi-host string is fenced, the
    /// connection gets the string without it (and gets the configured one back when it is readmitted).
    /// <paramref name="finish"/> adds what the caller adds to a connection string (Direct-mode startup options).
    /// True when the connection string was set here.</summary>
    public bool PrepareOpen(DbConnection connection, Func<string, string> finish)
    {
        if (Volatile.Read(ref _everFenced) == 0 || connection.State != ConnectionState.Closed || _configured is not { } configured)
        {
            return false;
        }

        var rewrittenBefore = _rewritten.TryGetValue(connection, out var applied);
        var desired = _fenced.IsEmpty ? configured : MultiHost.Without(configured, _fenced.Keys) ?? configured;
        if (!rewrittenBefore && ReferenceEquals(desired, configured))
        {
            return false;
        }

        var target = finish(desired);
        if (rewrittenBefore && applied == target)
        {
            return true;
        }

        try
        {
            connection.ConnectionString = target;
            _rewritten.AddOrUpdate(connection, target);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false; // a data source's connection: its string cannot change; VerifyAsync refuses the stale host
        }
    }

    /// <summary>After the primary connection opened: refuses it when its server is on an older timeline than the newest
    /// seen (and tries the remaining hosts); raises the newest timeline when it is on a later one.</summary>
    public async ValueTask VerifyAsync(DbConnection connection, Func<string, string> finish, bool sync, CancellationToken cancellationToken)
    {
        var options = _options.Value;
        if (!options.HighAvailability.RefuseStalePrimary || connection is not NpgsqlConnection npgsql || npgsql.State != ConnectionState.Open)
        {
            return;
        }

        if (Interlocked.Read(ref _hint) > NewestTimeline)
        {
            await ConfirmHintAsync(sync, cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 0; ; attempt++)
        {
            var key = (npgsql.Host ?? "", npgsql.Port, npgsql.ProcessID);
            if (_verified.TryGetValue(key, out var seen) && seen.Timeline >= Interlocked.Read(ref _newest)
                && (options.Pooler == PoolerMode.Direct || _time.GetElapsedTime(seen.At) < options.HighAvailability.RecheckInterval))
            {
                return;
            }

            var host = key.Item1 + ":" + key.Item2.ToString(CultureInfo.InvariantCulture);
            var timeline = await ReadTimelineAsync(npgsql, host, sync, cancellationToken).ConfigureAwait(false);
            if (timeline is null)
            {
                return; // unknown (logged once per host) or a standby: nothing to refuse
            }

            var before = Raise(timeline.Value);
            if (timeline.Value > before && before > 0)
            {
                Log.PrimaryTimelineAdvanced(_logger, before, timeline.Value, host);
            }

            if (timeline.Value >= Interlocked.Read(ref _newest))
            {
                Remember(key, timeline.Value);
                return;
            }

            var newest = Interlocked.Read(ref _newest);
            Fence(host, timeline.Value, newest);
            if (sync)
            {
                npgsql.Close();
            }
            else
            {
                await npgsql.CloseAsync().ConfigureAwait(false);
            }

            if (attempt > 16 || !PrepareOpen(npgsql, finish))
            {
                throw new StalePrimaryException(host, timeline.Value, newest);
            }

            if (sync)
            {
                npgsql.Open();
            }
            else
            {
                await npgsql.OpenAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>For a data source's physical connections (the health monitor's primary readings, position captures):
    /// throws <see cref="StalePrimaryException"/> for a stale server, after fencing it.</summary>
    public async Task VerifyPhysicalAsync(NpgsqlConnection connection, bool sync)
    {
        if (!_options.Value.HighAvailability.RefuseStalePrimary)
        {
            return;
        }

        var host = (connection.Host ?? "") + ":" + connection.Port.ToString(CultureInfo.InvariantCulture);
        var timeline = await ReadTimelineAsync(connection, host, sync, CancellationToken.None).ConfigureAwait(false);
        if (timeline is not { } tl)
        {
            return;
        }

        var before = Raise(tl);
        if (tl > before && before > 0)
        {
            Log.PrimaryTimelineAdvanced(_logger, before, tl, host);
        }

        var newest = Interlocked.Read(ref _newest);
        if (tl < newest)
        {
            Fence(host, tl, newest);
            throw new StalePrimaryException(host, tl, newest);
        }
    }

    private void Remember((string, int, int) key, long timeline)
    {
        if (_verified.Count > 10_000)
        {
            _verified.Clear(); // physical connections come and go; the map only has to know the live ones
        }

        _verified[key] = new Verified(timeline, _time.GetTimestamp());
    }

    /// <summary>The server's timeline, or null when it is a standby or the timeline cannot be read (logged once per host,
    /// counted: the guard cannot protect writes to that server, and <c>pgdiscipline doctor</c> says so).</summary>
    private async ValueTask<long?> ReadTimelineAsync(NpgsqlConnection connection, string host, bool sync, CancellationToken cancellationToken)
    {
        var key = (connection.Host ?? "", connection.Port, connection.ProcessID); // read while it is open
        try
        {
            await using var cmd = new NpgsqlCommand(TimelineSql, connection);
            await using var reader = sync ? cmd.ExecuteReader() : await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!(sync ? reader.Read() : await reader.ReadAsync(cancellationToken).ConfigureAwait(false)))
            {
                return null;
            }

            if (reader.GetBoolean(0))
            {
                Remember(key, long.MaxValue);
                return null;
            }

            return ParseTimeline(reader.GetString(1));
        }
        catch (PostgresException ex) when (connection.State == ConnectionState.Open)
        {
            // A server that refuses the query (no privilege, an old version): the timeline is unknown. An error that broke
            // the connection (a server restarted under a pooled or PgBouncer connection) is the caller's, as it is.
            PgDisciplineTelemetry.TimelineUnknown.Add(1, new KeyValuePair<string, object?>("pgdiscipline.host", host));
            if (_unknownLogged.TryAdd(host, 0))
            {
                Log.PrimaryTimelineUnknown(_logger, host, ex.SqlState);
            }

            Remember(key, long.MaxValue);
            return null;
        }
    }

    /// <summary>The timeline of a WAL file name (its first 8 hex digits), or null.</summary>
    internal static long? ParseTimeline(string? walFileName)
        => walFileName is { Length: >= 8 } && long.TryParse(walFileName.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var tl) && tl > 0
            ? tl
            : null;

    private void Fence(string host, long timeline, long newest)
    {
        PgDisciplineTelemetry.StalePrimaryRefused.Add(1, new KeyValuePair<string, object?>("pgdiscipline.host", host));
        if (_fenced.TryAdd(host, timeline))
        {
            Interlocked.Increment(ref _version);
            Volatile.Write(ref _everFenced, 1);
            Log.StalePrimaryRefused(_logger, host, timeline, newest);
            EnsureRecheck();
        }
    }

    public async ValueTask DisposeAsync()
    {
        PgDisciplineTelemetry.Unregister(this);
        await _stop.CancelAsync().ConfigureAwait(false);
        Task? loop;
        lock (_loopGate)
        {
            loop = _recheck;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private readonly record struct Verified(long Timeline, long At);
}
