using Microsoft.Extensions.Time.Testing;

namespace PgDiscipline.Operations.Tests;

/// <summary>A fake clock that moves to each timer's due time as soon as something waits on it, so a loop of waits runs at
/// once while the clock says exactly how long it waited (one waiter at a time, as the batch loop has).</summary>
internal sealed class JumpingClock() : FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero))
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            // After CreateTimer returns: the waiter keeps the timer before its callback can run.
            ThreadPool.QueueUserWorkItem(_ => Advance(dueTime));
        }

        return timer;
    }
}
