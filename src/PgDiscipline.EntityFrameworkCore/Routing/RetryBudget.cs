namespace PgDiscipline.Routing;

/// <summary>Retries of failed replica reads allowed: at least 10 a second, or 20% of the reads of the last second — so
/// a dying replica cannot multiply the load on the others.</summary>
internal sealed class RetryBudget(TimeProvider time)
{
    private long _window = long.MinValue;
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
        var now = time.GetTimestamp() / time.TimestampFrequency;
        var window = Volatile.Read(ref _window);
        if (now != window && Interlocked.CompareExchange(ref _window, now, window) == window)
        {
            Volatile.Write(ref _requests, 0);
            Volatile.Write(ref _retries, 0);
        }
    }
}
