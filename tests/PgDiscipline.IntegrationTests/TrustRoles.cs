using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgDiscipline.Cli;

namespace PgDiscipline.IntegrationTests;

/// <summary>Login roles with only the grants docs/security.md gives them, for the trust tests (issue 32). Roles are
/// cluster-wide: each is dropped (with what it owns or was granted) and created again.</summary>
internal static class TrustRoles
{
    public const string Password = "trust-role-pw";

    public static async Task<string> CreateAsync(string primary, string role, string grants = "")
    {
        await ClusterFixture.ScalarAsync(primary, $"""
            do $$ begin
              if exists (select from pg_roles where rolname = '{role}') then
                execute 'drop owned by {role}';
                execute 'drop role {role}';
              end if;
            end $$;
            create role {role} login password '{Password}';
            {grants}
            """);
        return As(primary, role);
    }

    public static string As(string primary, string role)
        => new NpgsqlConnectionStringBuilder(primary) { Username = role, Password = Password, Pooling = false }.ConnectionString;

    public static async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>Keeps every log line with its event id.</summary>
internal sealed class CapturedLog : ILoggerFactory, ILogger
{
    public ConcurrentQueue<(int EventId, string Text)> Lines { get; } = new();

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Lines.Enqueue((eventId.Id, formatter(state, exception)));
}
