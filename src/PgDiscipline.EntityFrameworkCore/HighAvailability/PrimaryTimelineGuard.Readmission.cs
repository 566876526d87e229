using System.Globalization;
using Npgsql;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.HighAvailability;

/// <summary>Readmission of fenced hosts: each is looked at again every <see cref="HighAvailabilityOptions.RecheckInterval"/>
/// until it is a standby or on the newest timeline (rebuilt by the HA controller).</summary>
internal sealed partial class PrimaryTimelineGuard
{
    private void EnsureRecheck()
    {
        lock (_loopGate)
        {
            if (_recheck is null || _recheck.IsCompleted)
            {
                _recheck = Task.Run(() => RecheckAsync(_stop.Token));
            }
        }
    }

    /// <summary>Looks at each fenced host again until none is left: a standby now, or on the newest timeline, is readmitted.</summary>
    private async Task RecheckAsync(CancellationToken stopping)
    {
        try
        {
            while (!_fenced.IsEmpty)
            {
                await Task.Delay(_options.Value.HighAvailability.RecheckInterval, _time, stopping).ConfigureAwait(false);
                foreach (var host in _fenced.Keys)
                {
                    if (_configured is { } configured && await IsReadmissibleAsync(configured, host, stopping).ConfigureAwait(false) is { } reason
                        && _fenced.TryRemove(host, out _))
                    {
                        Interlocked.Increment(ref _version);
                        Log.StalePrimaryReadmitted(_logger, host, reason);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task<string?> IsReadmissibleAsync(string configured, string host, CancellationToken stopping)
    {
        try
        {
            var single = MultiHost.Only(configured, host);
            await using var conn = new NpgsqlConnection(single);
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping, bound.Token);
            await conn.OpenAsync(timeout.Token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand(TimelineSql, conn);
            await using var reader = await cmd.ExecuteReaderAsync(timeout.Token).ConfigureAwait(false);
            if (!await reader.ReadAsync(timeout.Token).ConfigureAwait(false))
            {
                return null;
            }

            if (reader.GetBoolean(0))
            {
                return "it is a standby now";
            }

            return ParseTimeline(reader.GetString(1)) is { } tl && tl >= Interlocked.Read(ref _newest)
                ? string.Create(CultureInfo.InvariantCulture, $"it is on timeline {tl}")
                : null;
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException or ArgumentException)
        {
            if (stopping.IsCancellationRequested)
            {
                throw;
            }

            return null; // still down or unreachable: stays fenced
        }
    }
}
