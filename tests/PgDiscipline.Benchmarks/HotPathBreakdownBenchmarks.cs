using BenchmarkDotNet.Attributes;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using PgDiscipline.Pipeline;

namespace PgDiscipline.Benchmarks;

/// <summary>Where a warm read's time in the pipeline goes: each step of <see cref="InterceptorHotPathBenchmarks.Lifecycle"/>
/// on its own (no database, no rule in force).</summary>
[MemoryDiagnoser]
public class HotPathBreakdownBenchmarks
{
    private PgDisciplineRuntime _runtime = null!;
    private CommandPipeline _pipeline = null!;
    private NpgsqlCommand _command = null!;
    private string _text = null!;
    private CommandEventData _eventData = null!;
    private long _counter;

    [GlobalSetup]
    public void Setup()
    {
        var options = new PgDisciplineOptions();
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        _runtime = PgDisciplineRuntime.Create(options);
        _pipeline = _runtime.Part<CommandPipeline>();
        _text = FingerprintBenchmarks.EfCommandText(1024);
        _command = new NpgsqlCommand(_text);
        _eventData = new CommandEventData(null!, null!, null!, _command, _text, null, DbCommandMethod.ExecuteReader, Guid.NewGuid(), Guid.NewGuid(),
            false, false, DateTimeOffset.UtcNow, CommandSource.LinqQuery);
    }

    [Benchmark]
    public object PlanFor() => _pipeline.Planner.PlanFor(_text, CommandSource.LinqQuery);

    [Benchmark]
    public void BeginExecutedComplete()
    {
        var execution = _pipeline.Begin(_command, _eventData, ExecutionKind.Reader, sync: true);
        execution.Executed(TimeSpan.FromMilliseconds(1));
        execution.Complete(0);
    }

    [GlobalCleanup]
    public void Cleanup() => _runtime.Dispose();

    [Benchmark(Baseline = true)]
    public void SetCommandText() => _command.CommandText = _text;

    [Benchmark]
    public long Interlocked8()
    {
        Interlocked.Increment(ref _counter); Interlocked.Increment(ref _counter); Interlocked.Increment(ref _counter); Interlocked.Increment(ref _counter);
        Interlocked.Increment(ref _counter); Interlocked.Increment(ref _counter); Interlocked.Increment(ref _counter); return Interlocked.Increment(ref _counter);
    }

    [Benchmark]
    public void BeginComplete()
    {
        var execution = _pipeline.Begin(_command, _eventData, ExecutionKind.Reader, sync: true);
        execution.Complete(0);
    }

    [Benchmark]
    public void BeginStagesComplete()
    {
        var execution = _pipeline.Begin(_command, _eventData, ExecutionKind.Reader, sync: true);
        _ = CommandPipeline.ExecuteAsync(execution, default).Result;
        execution.Complete(0);
    }
}
