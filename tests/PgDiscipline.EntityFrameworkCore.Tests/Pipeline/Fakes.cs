using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace PgDiscipline.EntityFrameworkCore.Tests.Pipeline;

/// <summary>A connection that never reaches a server: it records opens (EF Core's fake-provider idea).</summary>
internal sealed class FakeConnection : DbConnection
{
    private ConnectionState _state = ConnectionState.Closed;

    public int Opens { get; private set; }

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string ConnectionString { get; set; } = "Host=primary.invalid;Database=app";

    public override string Database => "app";

    public override string DataSource => "primary.invalid";

    public override string ServerVersion => "15.0";

    public override ConnectionState State => _state;

    public override void ChangeDatabase(string databaseName) => throw new NotSupportedException();

    public override void Close() => _state = ConnectionState.Closed;

    /// <summary>When set, opening fails like a primary that does not answer.</summary>
    public Exception? OpenFails { get; set; }

    public override void Open()
    {
        Opens++;
        if (OpenFails is { } failure)
        {
            throw failure;
        }

        _state = ConnectionState.Open;
    }

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => new FakeTransaction(this);

    protected override DbCommand CreateDbCommand() => new FakeCommand { Connection = this };
}

internal sealed class FakeTransaction(DbConnection connection) : DbTransaction
{
    public override IsolationLevel IsolationLevel => IsolationLevel.ReadCommitted;

    protected override DbConnection DbConnection => connection;

    public override void Commit()
    {
    }

    public override void Rollback()
    {
    }
}

/// <summary>A command that is never executed: the pipeline only reads and rewrites it.</summary>
internal sealed class FakeCommand : DbCommand
{
    private readonly DbParameterCollection _parameters = new Npgsql.NpgsqlCommand().Parameters;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string CommandText { get; set; } = "";

    public override int CommandTimeout { get; set; } = 30;

    public override CommandType CommandType { get; set; } = CommandType.Text;

    public override bool DesignTimeVisible { get; set; }

    public override UpdateRowSource UpdatedRowSource { get; set; }

    protected override DbConnection? DbConnection { get; set; }

    protected override DbParameterCollection DbParameterCollection => _parameters;

    protected override DbTransaction? DbTransaction { get; set; }

    public override void Cancel()
    {
    }

    public override int ExecuteNonQuery() => throw new InvalidOperationException("a fake command is never executed");

    public override object ExecuteScalar() => throw new InvalidOperationException("a fake command is never executed");

    public override void Prepare()
    {
    }

    protected override DbParameter CreateDbParameter() => new Npgsql.NpgsqlParameter();

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => throw new InvalidOperationException("a fake command is never executed");
}

internal static class Events
{
    /// <summary>The event data EF Core passes to <c>…Executed</c> for <paramref name="executing"/>'s command.</summary>
    public static CommandExecutedEventData Executed(CommandEventData executing, object? result, TimeSpan duration = default)
        => new(
            eventDefinition: null!,
            messageGenerator: null!,
            connection: executing.Connection,
            command: executing.Command,
            logCommandText: executing.LogCommandText,
            context: null,
            executeMethod: executing.ExecuteMethod,
            commandId: executing.CommandId,
            connectionId: executing.ConnectionId,
            result: result,
            async: false,
            logParameterValues: false,
            startTime: executing.StartTime,
            duration: duration,
            commandSource: executing.CommandSource);

    /// <summary>The event data EF Core passes to <c>CommandFailed</c>.</summary>
    public static CommandErrorEventData Failed(CommandEventData executing, Exception exception)
        => new(
            eventDefinition: null!,
            messageGenerator: null!,
            connection: executing.Connection,
            command: executing.Command,
            logCommandText: executing.LogCommandText,
            context: null,
            executeMethod: executing.ExecuteMethod,
            commandId: executing.CommandId,
            connectionId: executing.ConnectionId,
            exception: exception,
            async: false,
            logParameterValues: false,
            startTime: executing.StartTime,
            duration: TimeSpan.Zero,
            commandSource: executing.CommandSource);

    /// <summary>The event data EF Core passes to <c>…Executing</c> (no context: no read-your-writes session).</summary>
    public static CommandEventData Executing(DbCommand command, CommandSource source = CommandSource.LinqQuery)
        => new(
            eventDefinition: null!,
            messageGenerator: null!,
            connection: command.Connection!,
            command: command,
            logCommandText: command.CommandText,
            context: null,
            executeMethod: DbCommandMethod.ExecuteReader,
            commandId: Guid.NewGuid(),
            connectionId: Guid.NewGuid(),
            async: false,
            logParameterValues: false,
            startTime: DateTimeOffset.UtcNow,
            commandSource: source);

    public static FakeCommand Command(string text, FakeConnection? connection = null)
        => new() { CommandText = text, Connection = connection ?? new FakeConnection() };
}

/// <summary>The runtime's parts, and parts built on their own, for tests that look inside.</summary>
internal static class Parts
{
    public static T Get<T>(this PgDisciplineRuntime runtime)
        where T : notnull
        => runtime.Services.GetRequiredService<T>();

    /// <summary>A planner over <paramref name="options"/> with <paramref name="rules"/> in force.</summary>
    public static CommandPlanner Planner(PgDisciplineOptions options, QueryStatistics? statistics = null, params QueryRule[] rules)
        => Planner(new CurrentOptions(options), statistics, rules).Planner;

    public static (CommandPlanner Planner, RuleBook Rules) Planner(CurrentOptions options, QueryStatistics? statistics, params QueryRule[] rules)
    {
        var book = new RuleBook(options, NullLogger.Instance);
        var errors = book.Set("test", rules.Select((r, i) => (r, $"test:{i}")));
        Assert.Empty(errors);
        return (new CommandPlanner(options, book, statistics), book);
    }

    public static QueryStatistics Statistics(StatisticsOptions? options = null, params string[] targets)
        => new(options ?? new StatisticsOptions(), targets.Length == 0 ? ["primary"] : targets);

    /// <summary>An execution of <paramref name="command"/> with <paramref name="plan"/>, as the pipeline begins one.</summary>
    public static CommandExecution Execution(CommandPlan plan, DbCommand command, TimeProvider? time = null, ExecutionKind kind = ExecutionKind.Reader, bool sync = false, TimeSpan? statementTimeout = null)
    {
        var execution = new ExecutionPool(time ?? TimeProvider.System).Rent();
        execution.Start(command, Events.Executing(command), kind, sync, plan, new ExecutionTimeouts(plan.StatementTimeoutOverride ?? statementTimeout, null, null), stages: []);
        Executions.Attach(command, execution);
        return execution;
    }
}

/// <summary>A reader over fixed result sets that can be read again after <see cref="Reset"/> (so a loop allocates nothing).</summary>
internal class FakeReader(params object[][][] results) : DbDataReader
{
    private int _result;
    private int _row = -1;

    public int Closes { get; private set; }

    public void Reset()
    {
        _result = 0;
        _row = -1;
    }

    private object[][] Rows => results[_result];

    public override bool Read() => ++_row < Rows.Length;

    public override Task<bool> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(Read());

    public override bool NextResult()
    {
        _row = -1;
        return ++_result < results.Length;
    }

    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => Task.FromResult(NextResult());

    public override void Close() => Closes++;

    public override object GetValue(int ordinal) => Rows[_row][ordinal];

    public override int FieldCount => Rows.Length > 0 ? Rows[0].Length : 1;

    public override bool HasRows => Rows.Length > 0;

    public override bool IsClosed => false;

    public override int RecordsAffected => -1;

    public override int Depth => 0;

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => throw new NotSupportedException();

    public override bool GetBoolean(int ordinal) => (bool)GetValue(ordinal);

    public override byte GetByte(int ordinal) => (byte)GetValue(ordinal);

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();

    public override char GetChar(int ordinal) => (char)GetValue(ordinal);

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();

    public override string GetDataTypeName(int ordinal) => "text";

    public override DateTime GetDateTime(int ordinal) => (DateTime)GetValue(ordinal);

    public override decimal GetDecimal(int ordinal) => (decimal)GetValue(ordinal);

    public override double GetDouble(int ordinal) => (double)GetValue(ordinal);

    public override Type GetFieldType(int ordinal) => typeof(object);

    public override float GetFloat(int ordinal) => (float)GetValue(ordinal);

    public override Guid GetGuid(int ordinal) => (Guid)GetValue(ordinal);

    public override short GetInt16(int ordinal) => (short)GetValue(ordinal);

    public override int GetInt32(int ordinal) => (int)GetValue(ordinal);

    public override long GetInt64(int ordinal) => (long)GetValue(ordinal);

    public override string GetName(int ordinal) => "c" + ordinal;

    public override int GetOrdinal(string name) => int.Parse(name.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    public override string GetString(int ordinal) => (string)GetValue(ordinal);

    public override int GetValues(object[] values)
    {
        Rows[_row].CopyTo(values, 0);
        return Rows[_row].Length;
    }

    public override bool IsDBNull(int ordinal) => GetValue(ordinal) is DBNull;

    public override System.Collections.IEnumerator GetEnumerator() => throw new NotSupportedException();
}
