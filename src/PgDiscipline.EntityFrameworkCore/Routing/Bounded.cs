namespace PgDiscipline.Routing;

/// <summary>
/// Waits for a server's answer no longer than a bound, whatever the server does. Npgsql's own timeouts and cancellations
/// are not enough against a server that stops answering (a frozen host, a partition): on a timeout Npgsql sends the
/// server a cancel request over a new connection and waits for it — the SSL negotiation of that connection has no bound
/// — so a read given up on at the statement timeout could still take until the server resumes. Here the caller stops
/// waiting at the bound instead and the work is abandoned: it finishes in the background (its own command timeout ends it
/// eventually) and, when it has, <c>abandoned</c> releases what it holds.
/// </summary>
internal static class Bounded
{
    /// <summary>Waits for <paramref name="work"/> (always asynchronous I/O; with <paramref name="sync"/> the caller blocks
    /// here, as EF Core's synchronous APIs block for I/O anyway) and returns its result, or throws
    /// <see cref="TimeoutException"/> at <paramref name="bound"/> (the caller's cancellation as usual), leaving the work to
    /// finish alone; <paramref name="abandoned"/> then gets it when it has.</summary>
    public static async ValueTask<T> RunAsync<T>(Task<T> work, TimeSpan bound, TimeProvider time, bool sync, Action<Task<T>> abandoned, CancellationToken cancellationToken)
    {
        if (bound == Timeout.InfiniteTimeSpan && !cancellationToken.CanBeCanceled)
        {
            return sync ? work.GetAwaiter().GetResult() : await work.ConfigureAwait(false);
        }

        try
        {
            if (sync && time == TimeProvider.System)
            {
                // A blocking wait with a timeout needs no timer callback, so it returns on time even when every thread of
                // the pool is blocked (EF Core's synchronous callers on pool threads, as here).
                return work.Wait(bound, cancellationToken) ? work.Result : throw new TimeoutException();
            }

            var waiting = work.WaitAsync(bound, time, cancellationToken);
            return sync ? waiting.GetAwaiter().GetResult() : await waiting.ConfigureAwait(false);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
            throw;
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // From here the work is abandoned's to clean up, whether it has finished meanwhile or not.
            _ = work.ContinueWith(abandoned, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }
}
