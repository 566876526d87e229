using BenchmarkDotNet.Attributes;

namespace PgDiscipline.Benchmarks;

/// <summary>Startup cost of validating a typical configuration (runs once per options reload).</summary>
[MemoryDiagnoser]
public class OptionsValidationBenchmarks
{
    private readonly PgDisciplineOptions _options = new();

    [GlobalSetup]
    public void Setup()
    {
        _options.AddReplica("Host=127.0.0.1;Port=5433;Database=app;Username=app");
        _options.AddReplica("Host=127.0.0.1;Port=5434;Database=app;Username=app", pool: "low", weight: 2);
        _options.Rules.Block("0123456789abcdef", "melting the primary");
    }

    [Benchmark]
    public int Validate() => PgDisciplineOptionsValidator.Collect(_options, "PgDiscipline").Count;
}
