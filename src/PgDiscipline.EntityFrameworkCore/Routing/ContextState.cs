using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PgDiscipline.Routing;

/// <summary>
/// PgDiscipline's state of one DbContext instance: a scoped service of EF Core's internal service provider, so it lives
/// and dies with the context (no weak table, no GC handle per request) and is cleared when a pooled context goes back
/// to its pool (<see cref="IResettableService"/>): the next request does not inherit the last one's read-your-writes
/// position.
/// </summary>
internal sealed class ContextState : IResettableService
{
    /// <summary>The context's read-your-writes session, created on first use by the router.</summary>
    public PgDisciplineSession? Session { get; set; }

    /// <summary>Per-connection state of <see cref="WritePositionCapture"/> for this context's connection.</summary>
    public object? CaptureListener { get; set; }

    public void ResetState() => Session = null;

    public Task ResetStateAsync(CancellationToken cancellationToken = default)
    {
        ResetState();
        return Task.CompletedTask;
    }

    /// <summary>Registers the state (and its reset) in EF Core's internal service provider, once.</summary>
    public static void Register(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ContextState)))
        {
            return;
        }

        services.TryAddScoped<ContextState>();
        services.AddScoped<IResettableService>(static sp => sp.GetRequiredService<ContextState>());
    }
}
