using System.Diagnostics;

namespace PgDiscipline.Testing;

/// <summary>
/// Waiting for a state the cluster tests need, instead of sleeping and hoping it was reached: polls a condition until it
/// holds, or throws a <see cref="TimeoutException"/> naming what was awaited. The bound is generous on purpose (the suite
/// runs on a shared 2-core machine): it ends a hung test, it is not a timing claim. No test framework here (linked into
/// the test projects and the Workload runner as source).
/// </summary>
public static class Eventually
{
    /// <summary>How long a wait may take unless a test says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> every <paramref name="poll"/> (default 20 ms) until it holds.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? state = null, TimeSpan? poll = null)
        => UntilAsync(() => Task.FromResult(condition()), what, timeout, state, poll);

    /// <summary>Polls <paramref name="condition"/> every <paramref name="poll"/> (default 20 ms) until it holds; on timeout
    /// the message says what was awaited and, when given, the <paramref name="state"/> seen last.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? state = null, TimeSpan? poll = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var started = Stopwatch.GetTimestamp();
        while (!await condition().ConfigureAwait(false))
        {
            if (Stopwatch.GetElapsedTime(started) > limit)
            {
                throw new TimeoutException($"gave up after {limit.TotalSeconds:0.#} s waiting for {what}{(state is null ? "" : "; last seen: " + state())}");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(20)).ConfigureAwait(false);
        }
    }
}
