namespace PgDiscipline.EntityFrameworkCore.Tests;

/// <summary>ReplicaRouter.Choose while the health monitor and freshness probes change eligibility from other threads
/// (no I/O: replicas are admitted and ejected by hand, the monitor is not started).</summary>
public sealed class ReplicaChoiceTests
{
    [Fact]
    public async Task Choosing_while_replicas_are_ejected_and_probed_concurrently_never_fails()
    {
        var options = new PgDisciplineOptions();
        options.AddReplica("Host=127.0.0.1;Port=1;Database=x;Username=x");
        options.AddReplica("Host=127.0.0.1;Port=2;Database=x;Username=x");
        options.AddReplica("Host=127.0.0.1;Port=3;Database=x;Username=x");
        using var runtime = PgDisciplineRuntime.Create(options);
        var router = runtime.Router!;
        var replicas = runtime.Router!.Replicas;
        var required = new NpgsqlLogSequenceNumber(100);
        using var stop = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        long flips = 0;

        // Another thread flips admission and "found behind by a probe" as fast as it can.
        var flipper = Task.Factory.StartNew(() =>
        {
            var i = 0;
            started.Set();
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref flips);
                var r = replicas[i++ % replicas.Count];
                r.Admitted = !r.Admitted;
                r.ProbedBehindAt = (i & 4) == 0 ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            }
        }, TaskCreationOptions.LongRunning);
        started.Wait();

        var chosen = new int[replicas.Count];
        var none = 0;
        try
        {
            for (var n = 0; n < 2_000_000; n++)
            {
                var r = router.Choose(ReplicaOptions.DefaultPool, n % 2 == 0 ? default : required);
                if (r is null)
                {
                    none++;
                }
                else
                {
                    chosen[r.Index - 1]++;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await flipper;
        }

        // Every replica was chosen sometimes, and sometimes none was eligible.
        Assert.True(Interlocked.Read(ref flips) > 1000, $"the flipper ran {flips} times");
        Assert.All(chosen, c => Assert.True(c > 0));
        Assert.True(none > 0);
    }

    [Fact]
    public void Only_admitted_replicas_that_have_replayed_or_were_not_found_behind_are_chosen()
    {
        var options = new PgDisciplineOptions();
        options.AddReplica("Host=127.0.0.1;Port=1;Database=x;Username=x");
        options.AddReplica("Host=127.0.0.1;Port=2;Database=x;Username=x");
        using var runtime = PgDisciplineRuntime.Create(options);
        var router = runtime.Router!;
        var (first, second) = (runtime.Router!.Replicas[0], runtime.Router!.Replicas[1]);
        Assert.Null(router.Choose(ReplicaOptions.DefaultPool, default)); // nothing admitted yet

        first.Admitted = true;
        second.Admitted = true;
        second.ProbedBehindAt = long.MaxValue; // found behind by a probe, and not probed again in this test
        for (var i = 0; i < 100; i++)
        {
            Assert.Same(first, router.Choose(ReplicaOptions.DefaultPool, new NpgsqlLogSequenceNumber(100)));
            Assert.Same(second, router.Choose(ReplicaOptions.DefaultPool, default, exclude1: first)); // no session position: eligible
        }

        Assert.Null(router.Choose(ReplicaOptions.DefaultPool, new NpgsqlLogSequenceNumber(100), exclude1: first));
        first.SawReplay(new NpgsqlLogSequenceNumber(100));
        Assert.Same(first, router.Choose(ReplicaOptions.DefaultPool, new NpgsqlLogSequenceNumber(100), exclude1: second));
    }
}
