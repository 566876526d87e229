using System.Globalization;

namespace PgDiscipline.Cli.Backfill;

/// <summary><c>pgdiscipline backfill run</c>'s progress on a terminal (one line redrawn: bar, rate, ETA, pause reason) or
/// plain lines when the output is redirected (on each state change, and every interval).</summary>
internal sealed class BackfillProgressDisplay(TextWriter output, TimeSpan every) : IProgress<BackfillProgress>
{
    private readonly bool _terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
    private readonly object _gate = new();
    private DateTimeOffset _lastLine;
    private string? _lastState;
    private long _lastDraw;

    public void Report(BackfillProgress value)
    {
        lock (_gate)
        {
            var state = BackfillRowsText.State(value);
            if (_terminal)
            {
                if (state == _lastState && Environment.TickCount64 - _lastDraw < 200)
                {
                    return;
                }

                _lastDraw = Environment.TickCount64;
                _lastState = state;
                output.Write("\r" + Bar(value).PadRight(Math.Max(0, SafeWidth() - 1)));
                output.Flush();
                return;
            }

            var now = DateTimeOffset.UtcNow;
            if (state != _lastState || now - _lastLine >= every)
            {
                _lastState = state;
                _lastLine = now;
                output.WriteLine(Plain(value));
            }
        }
    }

    public void Line(string text)
    {
        lock (_gate)
        {
            if (_terminal)
            {
                output.WriteLine();
            }

            output.WriteLine(text);
        }
    }

    public void Final(BackfillProgress value)
    {
        lock (_gate)
        {
            if (_terminal)
            {
                output.Write("\r" + Bar(value));
                output.WriteLine();
            }

            output.WriteLine(Plain(value) + string.Create(CultureInfo.InvariantCulture, $"; {value.Batches:N0} batches, {value.RowsAffected:N0} rows changed, paused {value.Paused.TotalSeconds:0.#} s{(value.Pauses.Count > 0 ? " (" + string.Join(", ", value.Pauses.Select(p => $"{p.Key} × {p.Value}")) + ")" : "")}"));
        }
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    private static string Bar(BackfillProgress p)
    {
        const int width = 24;
        var filled = p.Fraction is { } f ? (int)Math.Round(f * width) : 0;
        var bar = p.Fraction is null ? new string('?', width) : new string('#', filled) + new string('.', width - filled);
        return string.Create(CultureInfo.InvariantCulture, $"[{bar}]{Percent(p)} {p.RowsDone:N0} rows  {p.RowsPerSecond:N0}/s  ETA {Eta(p)}  {BackfillRowsText.State(p)}");
    }

    private static string Plain(BackfillProgress p)
        => string.Create(CultureInfo.InvariantCulture, $"backfill {p.Name}: {BackfillRowsText.State(p)}, {p.RowsDone:N0}{(p.RowsEstimate is { } t ? $"/{t:N0}" : "")} rows{Percent(p)}, {p.RowsPerSecond:N0} rows/s, ETA {Eta(p)}, batch {p.BatchSize}");

    private static string Percent(BackfillProgress p) => p.Fraction is { } f && p.RowsEstimate is not null ? string.Create(CultureInfo.InvariantCulture, $" {f:P1}") : "";

    private static string Eta(BackfillProgress p) => p.Eta is { } eta ? eta.ToString(eta.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "?";
}

/// <summary>How a backfill's state reads in text output.</summary>
internal static class BackfillRowsText
{
    public static string State(BackfillProgress b) => b.State switch
    {
        BackfillState.Running or BackfillState.Paused when !b.RunnerAlive => "stopped (its runner ended; run it again to continue)",
        BackfillState.Paused => "paused (" + (b.PauseReason ?? "?") + ")",
        _ => b.State.ToString().ToLowerInvariant() + (b.Requested is { } r && b.State is BackfillState.Running ? $" ({r} requested)" : ""),
    };
}
