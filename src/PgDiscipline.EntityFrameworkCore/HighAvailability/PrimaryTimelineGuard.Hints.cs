using Npgsql;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.HighAvailability;

/// <summary>
/// A timeline only a session token claims becomes the newest timeline once a server shows it: a configured primary host
/// that accepts writes on it, or a replica whose WAL receiver streams it (<see cref="Witnesses"/>). A forged token claims
/// a timeline no server has and changes nothing; however many arrive, the servers are asked at most once per
/// <see cref="HighAvailabilityOptions.RecheckInterval"/>.
/// </summary>
internal sealed partial class PrimaryTimelineGuard
{
    private readonly SemaphoreSlim _confirming = new(1, 1);
    private long _lastConfirmation; // 0: never (a timestamp; elapsed time from a sentinel would overflow)

    private async ValueTask ConfirmHintAsync(bool sync, CancellationToken cancellationToken)
    {
        var interval = _options.Value.HighAvailability.RecheckInterval;
        if (AskedWithin(interval))
        {
            return;
        }

        if (sync)
        {
            _confirming.Wait(cancellationToken);
        }
        else
        {
            await _confirming.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var hint = Interlocked.Read(ref _hint);
            if (hint <= NewestTimeline || AskedWithin(interval))
            {
                return;
            }

            Interlocked.Exchange(ref _lastConfirmation, _time.GetTimestamp());
            var seen = 0L;
            foreach (var (key, _) in _configured is { } configured ? MultiHost.Hosts(configured) : [])
            {
                seen = Math.Max(seen, await PrimaryTimelineOfAsync(key, cancellationToken).ConfigureAwait(false) ?? 0);
            }

            if (Witnesses is { } witnesses && seen < hint)
            {
                seen = Math.Max(seen, await witnesses(cancellationToken).ConfigureAwait(false));
            }

            var before = seen > 0 ? Raise(seen) : NewestTimeline;
            if (seen > before && before > 0)
            {
                Log.PrimaryTimelineAdvanced(_logger, before, seen, "a session token, confirmed on a server");
            }

            if (seen < hint)
            {
                PgDisciplineTelemetry.TokenTimelinesUnconfirmed.Add(1);
                Log.TokenTimelineUnconfirmed(_logger, hint, seen);
            }

            // Settled either way: the next hint above the newest timeline is asked about afresh (after the interval).
            Interlocked.CompareExchange(ref _hint, 0, hint);
        }
        finally
        {
            _confirming.Release();
        }
    }

    private bool AskedWithin(TimeSpan interval)
    {
        var last = Interlocked.Read(ref _lastConfirmation);
        return last != 0 && _time.GetElapsedTime(last) < interval;
    }

    /// <summary>The timeline of the configured host <paramref name="key"/> when it accepts writes, else null.</summary>
    private async Task<long?> PrimaryTimelineOfAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(MultiHost.Only(_configured!, key));
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
            await connection.OpenAsync(linked.Token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(TimelineSql, connection);
            await using var reader = await cmd.ExecuteReaderAsync(linked.Token).ConfigureAwait(false);
            return await reader.ReadAsync(linked.Token).ConfigureAwait(false) && !reader.GetBoolean(0) ? ParseTimeline(reader.GetString(1)) : null;
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException or ArgumentException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            return null; // down or unreachable: it shows nothing
        }
    }
}
