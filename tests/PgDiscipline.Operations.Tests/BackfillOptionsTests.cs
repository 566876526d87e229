namespace PgDiscipline.Operations.Tests;

public sealed class BackfillOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
        => Assert.Empty(new BackfillOptions().Validate());

    [Fact]
    public void Each_invalid_option_is_named()
    {
        var errors = new BackfillOptions
        {
            RowsPerSecond = 0,
            MinBatchSize = 0,
            MaxBatchSize = -1,
            BatchSize = 5,
            TargetBatchDuration = TimeSpan.Zero,
            MaxReplicaLag = TimeSpan.FromSeconds(-1),
            MaxActiveSessions = 0,
            LockTimeout = TimeSpan.Zero,
            MaxBatchRetries = -1,
        }.Validate();
        foreach (var name in new[] { "RowsPerSecond", "MinBatchSize", "MaxBatchSize", "BatchSize", "TargetBatchDuration", "MaxReplicaLag", "MaxActiveSessions", "LockTimeout", "MaxBatchRetries" })
        {
            Assert.Contains(errors, e => e.StartsWith(name, StringComparison.Ordinal));
        }

        Assert.Contains(new BackfillOptions { RowsPerSecond = double.PositiveInfinity }.Validate(), e => e.StartsWith("RowsPerSecond", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("22:00-06:00", "23:30", true)]
    [InlineData("22:00-06:00", "05:59", true)]
    [InlineData("22:00-06:00", "06:00", false)]
    [InlineData("22:00-06:00", "12:00", false)]
    [InlineData("1:00-5:00", "03:00", true)]
    [InlineData("1:00-5:00", "00:59", false)]
    [InlineData("00:00-00:00", "13:00", true)] // same start and end: always open
    public void A_window_contains_its_hours_and_crosses_midnight(string window, string at, bool inside)
    {
        var time = TimeOnly.Parse(at, System.Globalization.CultureInfo.InvariantCulture);
        var now = new DateTimeOffset(2026, 12, 6, time.Hour, time.Minute, 0, TimeSpan.Zero);
        Assert.Equal(inside, BackfillWindow.Parse(window).Contains(now));
    }

    [Theory]
    [InlineData("22:00")]
    [InlineData("25:00-06:00")]
    [InlineData("evening")]
    public void A_bad_window_says_how_to_write_one(string text)
        => Assert.Contains("HH:mm-HH:mm", Assert.Throws<FormatException>(() => BackfillWindow.Parse(text)).Message, StringComparison.Ordinal);

    [Fact]
    public void A_window_in_another_time_zone_uses_that_clock()
    {
        var tz = TimeZoneInfo.CreateCustomTimeZone("plus2", TimeSpan.FromHours(2), "plus2", "plus2");
        var window = new BackfillWindow(new TimeOnly(1, 0), new TimeOnly(3, 0), tz);
        Assert.True(window.Contains(new DateTimeOffset(2026, 12, 6, 0, 30, 0, TimeSpan.Zero))); // 02:30 there
        Assert.False(window.Contains(new DateTimeOffset(2026, 12, 6, 2, 30, 0, TimeSpan.Zero))); // 04:30 there
    }
}
