using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PgDiscipline.Configuration;

/// <summary>How the interceptors of one context configuration find their runtime: given (owned by the application's
/// container or the caller), or, for options set in code, taken from the <see cref="PgDisciplineRuntimeRegistry"/> of EF Core's
/// internal service provider the first time a context with this configuration raises an event.</summary>
internal sealed class RuntimeReference
{
    private readonly PgDisciplineOptionsExtension? _extension;
    private PgDisciplineRuntime? _runtime;

    public RuntimeReference(PgDisciplineRuntime runtime) => _runtime = runtime;

    public RuntimeReference(PgDisciplineOptionsExtension extension) => _extension = extension;

    /// <summary>The runtime, or null when it is not known yet and there is no context to find it from.</summary>
    public PgDisciplineRuntime? Get(DbContext? context)
    {
        var runtime = Volatile.Read(ref _runtime);
        return runtime is not null || context is null ? runtime : Resolve(context);
    }

    private PgDisciplineRuntime Resolve(DbContext context)
    {
        var extension = _extension!;
        var services = ((IInfrastructure<IServiceProvider>)context).Instance;
        var registry = services.GetService<PgDisciplineRuntimeRegistry>()
            ?? throw new InvalidOperationException("PgDiscipline's services are missing from the EF Core service provider given to UseInternalServiceProvider: add services.AddEntityFrameworkPgDiscipline() next to AddEntityFrameworkNpgsql().");
        var core = services.GetRequiredService<IDbContextOptions>().FindExtension<CoreOptionsExtension>();
        var loggerFactory = core?.LoggerFactory ?? core?.ApplicationServiceProvider?.GetService<ILoggerFactory>();
        var runtime = registry.GetOrCreate(extension.ConfigurationKey!, extension.Options!, loggerFactory);
        Volatile.Write(ref _runtime, runtime);
        return runtime;
    }
}
