namespace PgDiscipline.Operations.Backfill;

/// <summary>
/// The backfill's rate limit: a token bucket of keys on a <see cref="TimeProvider"/>, refilled continuously at the rate
/// and holding one batch at most (so the only burst is the first batch). A batch waits until its keys are in the bucket.
/// </summary>
internal sealed class RowRate
{
    private readonly double _perSecond;
    private readonly double _capacity;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _stamp;

    public RowRate(double perSecond, int capacity, TimeProvider time)
    {
        _perSecond = perSecond;
        _capacity = Math.Max(1, capacity);
        _time = time;
        _tokens = _capacity;
        _stamp = time.GetTimestamp();
    }

    /// <summary>Keys in the bucket now.</summary>
    public double Available
    {
        get
        {
            Refill();
            return _tokens;
        }
    }

    /// <summary>Waits until <paramref name="rows"/> keys (at most the bucket's size) are in the bucket, and takes them.</summary>
    public async ValueTask AcquireAsync(int rows, CancellationToken cancellationToken)
    {
        var need = Math.Min(rows, _capacity);
        while (true)
        {
            Refill();
            if (_tokens + 1e-9 >= need)
            {
                _tokens = Math.Max(0, _tokens - need);
                return;
            }

            var wait = TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling((need - _tokens) / _perSecond * TimeSpan.TicksPerSecond)));
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (_time.GetElapsedTime(_stamp, now).TotalSeconds * _perSecond));
        _stamp = now;
    }
}
