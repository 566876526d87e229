using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgDiscipline.Interception;

namespace PgDiscipline.Infrastructure;

/// <summary>How the interceptors of one context configuration find their runtime's parts: given (a runtime owned by the
/// application's container or the caller), or, for options set in code, the runtime of this configuration in the
/// <see cref="PgDisciplineRuntimeRegistry"/> of EF Core's internal service provider, created the first time a context
/// with this configuration raises an event.</summary>
internal sealed class RuntimeReference
{
    private readonly PgDisciplineOptionsExtension? _extension;
    private PgDisciplineRuntime? _runtime;
    private InterceptorDependencies? _dependencies;

    public RuntimeReference(PgDisciplineRuntime runtime)
    {
        _runtime = runtime;
        _dependencies = runtime.InterceptorDependencies;
    }

    public RuntimeReference(PgDisciplineOptionsExtension extension) => _extension = extension;

    /// <summary>The runtime's parts, or null when not known yet and there is no context to find them from.</summary>
    public InterceptorDependencies? Get(DbContext? context)
    {
        var dependencies = Volatile.Read(ref _dependencies);
        return dependencies is not null || context is null ? dependencies : Resolve(context).InterceptorDependencies;
    }

    /// <summary>The runtime, resolving it from <paramref name="context"/> when needed.</summary>
    public PgDisciplineRuntime? Runtime(DbContext? context)
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
        Volatile.Write(ref _dependencies, runtime.InterceptorDependencies);
        return runtime;
    }
}
