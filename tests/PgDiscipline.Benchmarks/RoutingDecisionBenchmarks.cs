using BenchmarkDotNet.Attributes;

namespace PgDiscipline.Benchmarks;

/// <summary>The routing decision for a warm replica-safe read: plan lookup, pool choice, and power-of-two-choices among
/// two admitted replicas (no I/O: the replicas are marked admitted by hand, the monitor is not started).</summary>
[MemoryDiagnoser]
public class RoutingDecisionBenchmarks
{
    private PgDisciplineRuntime _runtime = null!;
    private string _text = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new PgDisciplineOptions();
        options.AddReplica("Host=127.0.0.1;Port=1;Database=x;Username=x");
        options.AddReplica("Host=127.0.0.1;Port=2;Database=x;Username=x");
        _runtime = PgDisciplineRuntime.Create(options);
        foreach (var replica in _runtime.Router!.Replicas)
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
        var plan = _runtime.Planner.GetPlan(_runtime.Planner.Cache.Get(_text), _text);
        var router = _runtime.Router!;
        var pool = plan.IsReplicaSafe ? router.PoolFor(plan, PgDisciplineRouting.AmbientPriority) : null;
        return pool is null ? null : router.Choose(pool, default);
    }
}
