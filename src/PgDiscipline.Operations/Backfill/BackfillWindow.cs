using System.Globalization;

namespace PgDiscipline;

/// <summary>The hours a backfill may work, e.g. 22:00–06:00 (an end before the start crosses midnight). Outside them the
/// runner waits (pause reason <c>window</c>).</summary>
/// <param name="Start">When work may start each day.</param>
/// <param name="End">When work stops each day.</param>
/// <param name="TimeZone">The clock the times are on (default UTC).</param>
public sealed record BackfillWindow(TimeOnly Start, TimeOnly End, TimeZoneInfo? TimeZone = null)
{
    /// <summary>True when <paramref name="now"/> is inside the window.</summary>
    public bool Contains(DateTimeOffset now)
    {
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, TimeZone ?? TimeZoneInfo.Utc).DateTime);
        return Start == End || (Start < End ? local >= Start && local < End : local >= Start || local < End);
    }

    /// <summary>Parses <c>HH:mm-HH:mm</c> (UTC). Throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static BackfillWindow Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !TimeOnly.TryParseExact(parts[0], ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            || !TimeOnly.TryParseExact(parts[1], ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var end))
        {
            throw new FormatException($"'{text}' is not a window: write HH:mm-HH:mm (UTC), e.g. 22:00-06:00");
        }

        return new BackfillWindow(start, end);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Start:HH\\:mm}-{End:HH\\:mm} {(TimeZone ?? TimeZoneInfo.Utc).Id}");
}
