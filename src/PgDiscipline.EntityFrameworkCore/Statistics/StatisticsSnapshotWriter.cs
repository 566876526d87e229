using Microsoft.Extensions.Logging;
using PgDiscipline.Configuration;
using PgDiscipline.Diagnostics;

namespace PgDiscipline.Statistics;

/// <summary>Writes the statistics snapshot to <see cref="StatisticsOptions.SnapshotPath"/> every
/// <see cref="StatisticsOptions.SnapshotInterval"/>, and once more when the runtime stops.</summary>
internal sealed class StatisticsSnapshotWriter : IAsyncDisposable
{
    private readonly QueryStatistics _statistics;
    private readonly ILogger _logger;
    private readonly string _path;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public StatisticsSnapshotWriter(QueryStatistics statistics, CurrentOptions options, ILogger logger, TimeProvider time)
    {
        _statistics = statistics;
        _logger = logger;
        _path = options.Value.Statistics.SnapshotPath!;
        _loop = RunAsync(options.Value.Statistics.SnapshotInterval, time, _stopping.Token);
    }

    private async Task RunAsync(TimeSpan interval, TimeProvider time, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                await TryWriteAsync(stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task TryWriteAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _statistics.WriteSnapshotAsync(_path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SnapshotFailed(_logger, _path, ex.GetType().Name + ": " + ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await TryWriteAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
