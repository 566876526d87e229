using System.Text.Json;
using PgDiscipline.Sql;

namespace PgDiscipline.EntityFrameworkCore.Tests;

public sealed class StatisticsTests
{
    [Fact]
    public void Every_value_falls_in_a_bucket_whose_bounds_hold_it_within_one_eighth()
    {
        var previous = 0;
        foreach (var v in Enumerable.Range(0, 5000).Select(i => (long)i).Concat(new long[] { 65_535, 65_536, 1_000_000, 123_456_789, 1L << 36, (1L << 37) - 1 }))
        {
            var b = LatencyHistogram.BucketOf(v);
            Assert.True(b >= previous, $"bucket of {v} went backwards");
            previous = b;
            Assert.True(LatencyHistogram.UpperBound(b) > v, $"{v} is not below its bucket's upper bound {LatencyHistogram.UpperBound(b)}");
            if (b > 0)
            {
                Assert.True(LatencyHistogram.UpperBound(b - 1) <= v, $"{v} belongs to an earlier bucket");
            }

            Assert.True(LatencyHistogram.UpperBound(b) - v <= Math.Max(1, v / 8.0 + 1), $"bucket of {v} is wider than 12.5%");
        }

        Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.BucketOf(long.MaxValue));
        Assert.Equal(0, LatencyHistogram.BucketOf(-5));
    }

    [Fact]
    public void Quantiles_are_within_the_bucket_error_and_max_is_exact()
    {
        var h = new LatencyHistogram();
        for (var v = 1; v <= 10_000; v++)
        {
            h.Record(v);
        }

        var counts = h.Snapshot();
        Assert.Equal(10_000, counts.Sum());
        Assert.Equal(10_000, h.Max);
        foreach (var (q, exact) in new[] { (0.5, 5_000.0), (0.95, 9_500.0), (0.99, 9_900.0) })
        {
            var got = LatencyHistogram.Quantile(counts, q, h.Max);
            Assert.InRange(got, exact, exact * 1.125 + 1);
        }

        Assert.Equal(0, LatencyHistogram.Quantile(new long[LatencyHistogram.BucketCount], 0.99, 0));
    }

    [Fact]
    public async Task Concurrent_recording_loses_no_sample()
    {
        var h = new LatencyHistogram();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 100_000; i++)
            {
                h.Record((i % 5000) + t);
            }
        })));
        Assert.Equal(400_000, h.Snapshot().Sum());
        Assert.Equal(5002, h.Max);
    }

    [Fact]
    public async Task Distinct_queries_beyond_the_limit_go_to_the_overflow_entry_and_the_snapshot_holds_no_literal()
    {
        var stats = new QueryStatistics(new StatisticsOptions { MaxFingerprints = 3 }, ["primary", "r1"]);
        for (var i = 0; i < 10; i++)
        {
            // Ten different shapes (different tables), each with a literal e-mail address.
            var entry = stats.For(SqlCommandInfo.Analyze($"select * from table_{i} where email = 'user{i}@example.com'"), "LinqQuery");
            entry.RoutedTo(i % 2);
            entry.Completed(100 + i);
        }

        Assert.Equal(3, stats.Count);
        Assert.True(stats.Overflowed);
        using var stream = new MemoryStream();
        await stats.WriteSnapshotAsync(stream);
        var json = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.DoesNotContain("@example.com", json, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json);
        var queries = doc.RootElement.GetProperty("queries").EnumerateArray().ToList();
        Assert.Equal(4, queries.Count);
        var overflow = Assert.Single(queries, q => q.GetProperty("fingerprint").GetString() == QueryStatistics.OverflowFingerprint);
        Assert.Equal(7, overflow.GetProperty("calls").GetInt64());
        Assert.Equal(10, queries.Sum(q => q.GetProperty("calls").GetInt64()));
        Assert.Equal(LatencyHistogram.BucketCount, doc.RootElement.GetProperty("histogram").GetProperty("upperBounds").GetArrayLength());
        Assert.Equal("pgdiscipline.stats/v1", doc.RootElement.GetProperty("schema").GetString());
    }

    [Fact]
    public void Error_codes_and_call_sites_per_fingerprint_are_bounded()
    {
        var stats = new QueryStatistics(new StatisticsOptions(), ["primary"]);
        var entry = stats.For(SqlCommandInfo.Analyze("select 1"), null);
        for (var i = 0; i < 100; i++)
        {
            entry.Failed("E" + i);
            entry.CallSite("src/F.cs:" + i).Increment();
        }

        Assert.Equal(FingerprintStatistics.MaxKeys + 1, entry.Errors.Count());
        Assert.Equal(100, entry.Errors.Sum(e => e.Value));
        Assert.Equal(100 - FingerprintStatistics.MaxKeys, entry.Errors.Single(e => e.Key == "other").Value);
        Assert.Equal(FingerprintStatistics.MaxKeys + 1, entry.CallSites.Count());
    }

    [Fact]
    public void Call_sites_are_made_relative_to_the_source_root()
    {
        var root = Path.Combine(Path.GetTempPath(), "pgd-src");
        var stats = new QueryStatistics(new StatisticsOptions { SourceRoot = root }, ["primary"]);
        var info = SqlCommandInfo.Analyze($"-- File: {Path.Combine(root, "src", "Chat", "Messages.cs")}:42\n\nselect 1");
        Assert.Equal("src/Chat/Messages.cs:42", stats.CallSiteOf(info));
        var elsewhere = SqlCommandInfo.Analyze("-- File: /somewhere/else/Users.cs:7\nselect 1");
        Assert.Equal("Users.cs:7", stats.CallSiteOf(elsewhere));
        Assert.Null(stats.CallSiteOf(SqlCommandInfo.Analyze("-- just a tag\nselect 1")));
        // A deterministic CI build maps the source root to /_/.
        Assert.Equal("src/Chat/Users.cs:9", stats.CallSiteOf(SqlCommandInfo.Analyze("-- File: /_/src/Chat/Users.cs:9\nselect 1")));
    }

    [Theory]
    [InlineData(0, "PgDiscipline:Statistics:MaxFingerprints")]
    [InlineData(-1, "PgDiscipline:Statistics:MaxFingerprints")]
    public void Bad_statistics_options_name_the_key(int max, string key)
    {
        var options = new PgDisciplineOptions();
        options.Statistics.MaxFingerprints = max;
        options.Statistics.SnapshotInterval = TimeSpan.Zero;
        var errors = PgDisciplineOptionsValidator.Collect(options, "PgDiscipline");
        Assert.Contains(errors, e => e.StartsWith(key, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("PgDiscipline:Statistics:SnapshotInterval", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_snapshot_writes_to_one_path_all_succeed_and_leave_one_whole_file()
    {
        // The periodic writer, shutdown and an HTTP endpoint can write at the same moment: each write has a temp file of
        // its own, so none fails on another's temp file and the result is always a whole snapshot.
        var stats = new QueryStatistics(new StatisticsOptions(), ["primary"]);
        stats.For(PgDiscipline.Sql.SqlCommandInfo.Analyze("select * from users where id = @p0"), "LinqQuery").Completed(1200);
        var dir = Path.Combine(Path.GetTempPath(), "pgd-snap-" + Guid.NewGuid().ToString("N"));
        var path = Path.Combine(dir, "stats.json");
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    await stats.WriteSnapshotAsync(path);
                }
            })));

            // Another writer in the middle of its write (its temp file open): this write must not need that file.
            await using (new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await stats.WriteSnapshotAsync(path);
            }

            File.Delete(path + ".tmp");
            using var doc = System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(path));
            Assert.Equal(QueryStatistics.Schema, doc.RootElement.GetProperty("schema").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("queries").GetArrayLength());
            Assert.Equal(["stats.json"], Directory.GetFiles(dir).Select(Path.GetFileName)); // no temp file left behind
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
