using Microsoft.EntityFrameworkCore;

namespace PgDiscipline.Interception;

/// <summary>How the interceptors of one context configuration find their runtime's parts: given (a runtime owned by the
/// application's container or the caller), or found from the first context that raises an event (options set in code:
/// the runtime of that configuration, created then, see <c>PgDisciplineOptionsExtension</c>).</summary>
internal sealed class RuntimeReference
{
    private readonly Func<DbContext, PgDisciplineRuntime>? _resolve;
    private PgDisciplineRuntime? _runtime;
    private InterceptorDependencies? _dependencies;

    public RuntimeReference(PgDisciplineRuntime runtime)
    {
        _runtime = runtime;
        _dependencies = runtime.InterceptorDependencies;
    }

    public RuntimeReference(Func<DbContext, PgDisciplineRuntime> resolve) => _resolve = resolve;

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
        var runtime = _resolve!(context);
        Volatile.Write(ref _runtime, runtime);
        Volatile.Write(ref _dependencies, runtime.InterceptorDependencies);
        return runtime;
    }
}
