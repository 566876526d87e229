using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PgDiscipline.Infrastructure;

/// <summary>The code-configured runtimes (<c>UsePgDiscipline(pg =&gt; …)</c>), one per distinct configuration. A singleton of
/// EF Core's internal service provider, so it lives as long as that provider and disposes its runtimes with it.</summary>
internal sealed class PgDisciplineRuntimeRegistry : IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<PgDisciplineRuntime>> _runtimes = new(StringComparer.Ordinal);

    /// <summary>The runtime of this configuration (<paramref name="key"/>: <see cref="PgDisciplineOptionsExtension.ConfigurationKey"/>),
    /// created on first use with the logger factory of the EF Core provider that owns this registry.</summary>
    public PgDisciplineRuntime GetOrCreate(string key, PgDisciplineOptions options, ILoggerFactory? loggerFactory)
        => _runtimes.GetOrAdd(key, _ => new Lazy<PgDisciplineRuntime>(() => PgDisciplineRuntime.Create(options, loggerFactory))).Value;

    public int Count => _runtimes.Count;

    public async ValueTask DisposeAsync()
    {
        foreach (var runtime in _runtimes.Values.Where(r => r.IsValueCreated))
        {
            await runtime.Value.DisposeAsync().ConfigureAwait(false);
        }

        _runtimes.Clear();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
