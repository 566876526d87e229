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
    private CommandExecutedEventData _executedData = null!;
    private ReusableReader _reader = null!;
    private PgDiscipline.Pipeline.CommandPlanner _planner = null!;

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
        _executedData = new CommandExecutedEventData(null!, null!, null!, _command, _text, null, DbCommandMethod.ExecuteReader, _eventData.CommandId, _eventData.ConnectionId,
            null, false, false, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(1), CommandSource.LinqQuery);
        _reader = new ReusableReader();
        _planner = _runtime.Part<PgDiscipline.Pipeline.CommandPipeline>().Planner;
        Lifecycle();
    }

    [GlobalCleanup]
    public void Cleanup() => _runtime.Dispose();

    /// <summary>Cache lookup + plan lookup + rule match (none).</summary>
    [Benchmark(Baseline = true)]
    public int RulesEvaluationNoMatch()
    {
        var info = _planner.Cache.Get(_text);
        return _planner.GetPlan(info, _text).Rules.Length;
    }

    /// <summary>A warm read's whole life in the interceptor: ReaderExecuting (the execution begins, the stages run),
    /// ReaderExecuted (EF Core's reader is wrapped), one row read, the reader disposed (the execution completes, its
    /// statistics counted, and it goes back to the pool).</summary>
    [Benchmark]
    public bool Lifecycle()
    {
        _command.CommandText = _text;
        _interceptor.ReaderExecuting(_command, _eventData, default);
        _reader.Reset();
        using var reader = _interceptor.ReaderExecuted(_command, _executedData, _reader);
        return reader.Read();
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

/// <summary>A one-row reader that can be read again after <see cref="Reset"/> (so the benchmark allocates nothing of its own).</summary>
internal sealed class ReusableReader : System.Data.Common.DbDataReader
{
    private int _row = -1;

    public void Reset() => _row = -1;

    public override bool Read() => ++_row < 1;

    public override bool NextResult() => false;

    public override void Close()
    {
    }

    public override object GetValue(int ordinal) => 1;

    public override int FieldCount => 1;

    public override bool HasRows => true;

    public override bool IsClosed => false;

    public override int RecordsAffected => -1;

    public override int Depth => 0;

    public override object this[int ordinal] => 1;

    public override object this[string name] => 1;

    public override bool GetBoolean(int ordinal) => false;

    public override byte GetByte(int ordinal) => 0;

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => 0;

    public override char GetChar(int ordinal) => ' ';

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => 0;

    public override string GetDataTypeName(int ordinal) => "int4";

    public override DateTime GetDateTime(int ordinal) => default;

    public override decimal GetDecimal(int ordinal) => 0;

    public override double GetDouble(int ordinal) => 0;

    public override Type GetFieldType(int ordinal) => typeof(int);

    public override float GetFloat(int ordinal) => 0;

    public override Guid GetGuid(int ordinal) => default;

    public override short GetInt16(int ordinal) => 0;

    public override int GetInt32(int ordinal) => 1;

    public override long GetInt64(int ordinal) => 1;

    public override string GetName(int ordinal) => "v";

    public override int GetOrdinal(string name) => 0;

    public override string GetString(int ordinal) => "";

    public override int GetValues(object[] values) => 0;

    public override bool IsDBNull(int ordinal) => false;

    public override System.Collections.IEnumerator GetEnumerator() => Array.Empty<object>().GetEnumerator();
}
