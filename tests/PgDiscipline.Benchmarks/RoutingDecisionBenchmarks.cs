using BenchmarkDotNet.Attributes;

namespace PgDiscipline.Benchmarks;

/// <summary>The routing decision for a warm replica-safe read: plan lookup, pool choice, and power-of-two-choices among
/// the admitted replicas (no I/O: the replicas are marked admitted by hand, the monitor is not started). 2 replicas, and
/// 50 (issue 15: a fleet's replica count per app).</summary>
[MemoryDiagnoser]
public class RoutingDecisionBenchmarks
{
    private PgDisciplineRuntime _runtime = null!;
    private string _text = null!;

    [Params(2, 50)]
    public int Replicas { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new PgDisciplineOptions();
        for (var i = 1; i <= Replicas; i++)
        {
            options.AddReplica($"Host=127.0.0.1;Port={i};Database=x;Username=x");
        }

        _runtime = PgDisciplineRuntime.Create(options);
        foreach (var replica in _runtime.Part<PgDiscipline.Routing.ReplicaSet>().All)
        {
            replica.Admitted = true;
        }

        _text = FingerprintBenchmarks.EfCommandText(1024);
        Decide();
    }

    [GlobalCleanup]
    public void Cleanup() => _runtime.Dispose();

    [Benchmark]
    public object? Decide()
    {
        var planner = _runtime.Part<PgDiscipline.Pipeline.CommandPipeline>().Planner;
        var plan = planner.GetPlan(planner.Cache.Get(_text), _text);
        var set = _runtime.Part<PgDiscipline.Routing.ReplicaSet>();
        var pool = PgDiscipline.Routing.ReplicaSelector.PoolForRead(plan, false, Microsoft.EntityFrameworkCore.Diagnostics.CommandSource.LinqQuery,
            PgDiscipline.Pipeline.ReadIntent.None, null, _runtime.Options, set.HasPool);
        return pool is null ? null : PgDiscipline.Routing.ReplicaSelector.Choose(set.PoolMembers(pool), default, 0, Random.Shared);
    }
}
