using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

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

    public override void Open()
    {
        Opens++;
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
