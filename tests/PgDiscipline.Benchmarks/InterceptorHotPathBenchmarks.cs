using BenchmarkDotNet.Attributes;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using PgDiscipline.Sql;

namespace PgDiscipline.Benchmarks;

/// <summary>Per-command cost of the interceptor on a warm command (fingerprint cached, rules checked), with no rule
/// matching it, against 0 or 1,000 rules in force.</summary>
[MemoryDiagnoser]
public class InterceptorHotPathBenchmarks
{
    private PgDisciplineRuntime _runtime = null!;
    private IDbCommandInterceptor _interceptor = null!;
    private NpgsqlCommand _command = null!;
    private string _text = null!;
    private CommandEventData _eventData = null!;

    [Params(0, 1000)]
    public int Rules { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new PgDisciplineOptions();
        options.Timeouts.Statement = TimeSpan.FromSeconds(2);
        for (var i = 0; i < Rules; i++)
        {
            options.Rules.Block(((ulong)i * 0x9E3779B97F4A7C15UL).ToString("x16", System.Globalization.CultureInfo.InvariantCulture), "bench", id: $"r{i}");
        }

        _runtime = PgDisciplineRuntime.Create(options);
        _interceptor = (IDbCommandInterceptor)_runtime.Interceptors[0];
        _text = FingerprintBenchmarks.EfCommandText(1024);
        _command = new NpgsqlCommand(_text);
        // What EF Core passes for a LINQ query (statistics read CommandSource; no DbContext, no connection needed here).
        _eventData = new CommandEventData(null!, null!, null!, _command, _text, null, DbCommandMethod.ExecuteReader, Guid.NewGuid(), Guid.NewGuid(),
            false, false, DateTimeOffset.UtcNow, CommandSource.LinqQuery);
        _interceptor.ReaderExecuting(_command, _eventData, default);
    }

    /// <summary>Cache lookup + plan lookup + rule match (none).</summary>
    [Benchmark(Baseline = true)]
    public int RulesEvaluationNoMatch()
    {
        var planner = _runtime.Part<PgDiscipline.Pipeline.CommandPipeline>().Planner;
        var info = planner.Cache.Get(_text);
        return planner.GetPlan(info, _text).Rules.Length;
    }

    /// <summary>The whole ReaderExecuting interceptor call (Direct mode: timeouts are startup options, nothing to add;
    /// statistics on, as by default: call-site counter and plan lookup included).</summary>
    [Benchmark]
    public InterceptionResult<System.Data.Common.DbDataReader> ReaderExecuting()
    {
        _command.CommandText = _text;
        return _interceptor.ReaderExecuting(_command, _eventData, default);
    }
}
