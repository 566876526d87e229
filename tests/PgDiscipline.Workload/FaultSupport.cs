using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace PgDiscipline.Workload;

/// <summary>The migration of the lock scenario: a nullable column without default (a safe, metadata-only change that still
/// needs a brief ACCESS EXCLUSIVE lock).</summary>
public sealed class MigrationsDb(DbContextOptions<MigrationsDb> options) : DbContext(options);

[DbContext(typeof(MigrationsDb))]
[Migration("20261123000001_AddNote")]
public sealed class AddNote : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
        => migrationBuilder.AddColumn<string>(name: "note", table: "wl_items", nullable: true);
}

/// <summary>The runtime's warnings during a scenario (ejections, refused primaries …), with the time they came: shown in
/// the scenario's details. Messages carry replica names and reasons, never values or connection strings.</summary>
internal sealed class EventLog : Microsoft.Extensions.Logging.ILoggerFactory, Microsoft.Extensions.Logging.ILogger
{
    public Stopwatch? Clock { get; set; }

    public List<(TimeSpan At, string Text)> Lines { get; } = [];

    public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
    {
    }

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (Clock is { } clock && IsEnabled(logLevel))
        {
            lock (Lines)
            {
                Lines.Add((clock.Elapsed, $"{eventId.Name}: {formatter(state, exception)}"));
            }
        }
    }
}
