using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace PgDiscipline.Configuration;

/// <summary>The code-configured runtime inside EF Core's internal service provider: created when EF Core initialises that
/// provider (with the first context's logger factory), disposed with it.</summary>
internal sealed class PgDisciplineRuntimeHolder : ISingletonOptions, IAsyncDisposable, IDisposable
{
    private PgDisciplineRuntime? _runtime;

    public PgDisciplineRuntime Runtime => _runtime ?? throw new InvalidOperationException("PgDiscipline's runtime has not been initialised by EF Core yet.");

    public void Initialize(IDbContextOptions options)
    {
        var extension = options.FindExtension<PgDisciplineOptionsExtension>();
        if (extension?.Options is null || _runtime is not null)
        {
            return;
        }

        var core = options.FindExtension<CoreOptionsExtension>();
        var loggerFactory = core?.LoggerFactory
            ?? core?.ApplicationServiceProvider?.GetService<Microsoft.Extensions.Logging.ILoggerFactory>();
        _runtime = PgDisciplineRuntime.Create(extension.Options, loggerFactory);
    }

    public void Validate(IDbContextOptions options)
    {
    }

    public ValueTask DisposeAsync() => _runtime?.DisposeAsync() ?? ValueTask.CompletedTask;

    public void Dispose() => _runtime?.Dispose();
}
