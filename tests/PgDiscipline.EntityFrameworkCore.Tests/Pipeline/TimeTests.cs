using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>What the runtime decides from time — ejection and re-admission, the retry budget, the statistics snapshot
/// loop — on a fake clock: milliseconds of test time for minutes of runtime time.</summary>
public sealed class TimeTests
{
    private static readonly ReplicaHealth Healthy = new(true, "streaming", default, 0, TimeSpan.Zero, default);

    private static ReplicaHealth Unhealthy(string why) => new(false, why, default, null, null, default);

    [Fact]
    public void A_replica_is_out_at_its_first_bad_check_and_back_after_1_then_2_4_8_good_checks_the_more_it_flapped()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var admission = new ReplicaAdmission(NullLogger.Instance, time);
        var replica = new ReplicaEndpoint(new ReplicaOptions { ConnectionString = "Host=r1.invalid" }, 1);

        admission.Observe(replica, Healthy);
        Assert.True(replica.Admitted); // never ejected: one good check

        int ChecksToReadmit()
        {
            admission.Observe(replica, Unhealthy("replay lag 2000 ms exceeds 1000 ms"));
            Assert.False(replica.Admitted);
            var checks = 0;
            while (!replica.Admitted)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                admission.Observe(replica, Healthy);
                checks++;
            }

            return checks;
        }

        Assert.Equal([2, 4, 8, 8, 8], [ChecksToReadmit(), ChecksToReadmit(), ChecksToReadmit(), ChecksToReadmit(), ChecksToReadmit()]);

        // Five quiet minutes later the history is forgiven: two checks again.
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(2, ChecksToReadmit());
    }

    [Fact]
    public void A_failed_read_takes_a_replica_out_at_once_and_a_removed_replica_never_comes_back()
    {
        var time = new FakeTimeProvider();
        var admission = new ReplicaAdmission(NullLogger.Instance, time);
        var replica = new ReplicaEndpoint(new ReplicaOptions { ConnectionString = "Host=r1.invalid" }, 1);
        admission.Observe(replica, Healthy);

        admission.MarkFailed(replica, "read failed: 57P01");
        Assert.False(replica.Admitted);
        Assert.Equal("read failed: 57P01", replica.Health.Status);

        replica.Removed = true;
        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            admission.Observe(replica, Healthy);
        }

        Assert.False(replica.Admitted);
    }

    [Fact]
    public void The_retry_budget_is_ten_a_second_or_a_fifth_of_the_reads_and_renews_each_second()
    {
        var time = new FakeTimeProvider();
        var budget = new RetryBudget(time);
        for (var i = 0; i < 20; i++)
        {
            budget.OnRequest();
        }

        Assert.Equal(10, Enumerable.Range(0, 30).Count(_ => budget.TryRetry()));

        time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 100; i++)
        {
            budget.OnRequest();
        }

        Assert.Equal(20, Enumerable.Range(0, 30).Count(_ => budget.TryRetry()));
    }

    [Fact]
    public async Task The_statistics_snapshot_is_written_each_interval_and_once_more_at_the_end()
    {
        var time = new FakeTimeProvider();
        var path = Path.Combine(Path.GetTempPath(), "pgd-snapshot-" + Guid.NewGuid().ToString("N") + ".json");
        var settings = new PgDisciplineOptions();
        settings.Statistics.SnapshotPath = path;
        settings.Statistics.SnapshotInterval = TimeSpan.FromMinutes(1);
        try
        {
            var writer = new PgDiscipline.Statistics.StatisticsSnapshotWriter(Parts.Statistics(), new CurrentOptions(settings), NullLogger.Instance, time);
            time.Advance(TimeSpan.FromSeconds(59));
            Assert.False(File.Exists(path));
            time.Advance(TimeSpan.FromSeconds(1));
            await WaitForAsync(() => File.Exists(path));
            File.Delete(path);

            await writer.DisposeAsync();
            Assert.True(File.Exists(path)); // the last one, at shutdown
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10); // the writer's loop continues on the thread pool after the fake timer fires
        }

        Assert.True(condition());
    }
}
