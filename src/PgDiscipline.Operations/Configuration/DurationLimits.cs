using System.Globalization;

namespace PgDiscipline.Operations.Configuration;

/// <summary>The longest durations the places a setting ends up in accept, so a value is refused at startup, naming its
/// key, instead of failing on every query (a timeout past PostgreSQL's range is SQLSTATE 22023, or FATAL on connect) or
/// throwing from a timer (.NET's timers, <c>Task.Delay</c> and <c>CancelAfter</c> take at most 2^32-2 ms).</summary>
internal static class DurationLimits
{
    /// <summary><c>statement_timeout</c>, <c>lock_timeout</c>, <c>idle_in_transaction_session_timeout</c>: an int of
    /// milliseconds (INT_MAX ms, about 24.8 days). Also what Npgsql's <c>WaitAsync</c> takes.</summary>
    public static readonly TimeSpan PostgresTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary><c>Task.Delay</c>, <c>PeriodicTimer</c>, <c>Timer</c>, <c>CancellationTokenSource.CancelAfter</c>: 2^32-2 ms (about 49.7 days).</summary>
    public static readonly TimeSpan Timer = TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);

    /// <summary>A server-side timeout: positive and within <see cref="PostgresTimeout"/> (null leaves the server's setting alone).</summary>
    public static void CheckTimeout(TimeSpan? value, string key, List<string> errors)
    {
        if (value is not { } v)
        {
            return;
        }

        if (v <= TimeSpan.Zero)
        {
            errors.Add($"{key} must be positive (omit it to leave the server setting alone).");
        }
        else if (Math.Ceiling(v.TotalMilliseconds) > int.MaxValue)
        {
            errors.Add($"{key} must be at most 24.20:31:23.647 (2147483647 ms, PostgreSQL's limit for timeouts).");
        }
    }

    /// <summary>A blocking wait (<c>Task.Wait(TimeSpan)</c>) takes an int of milliseconds.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>A delay or interval a .NET timer waits for: positive (or zero when <paramref name="allowZero"/>) and within
    /// <paramref name="max"/> (default <see cref="Timer"/>).</summary>
    public static void CheckInterval(TimeSpan value, string key, List<string> errors, bool allowZero = false, TimeSpan? max = null)
    {
        var limit = max ?? Timer;
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
        {
            errors.Add($"{key} must be {(allowZero ? "zero or positive" : "positive")}.");
        }
        else if (value > limit)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{key} must be at most {limit:c} ({(long)limit.TotalMilliseconds} ms: the longest wait it is used for)."));
        }
    }
}
