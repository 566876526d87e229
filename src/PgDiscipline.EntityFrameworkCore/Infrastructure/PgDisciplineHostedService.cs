using Microsoft.Extensions.Hosting;

namespace PgDiscipline.Infrastructure;

/// <summary>Starts the runtime's replica health checks with the host (<c>AddPgDiscipline</c>), so a new instance's
/// readiness probe (<c>AddPgDisciplineReplicas()</c>) turns Healthy once the replicas answered, before any traffic.
/// Startup does not wait for the first round; the runtime's owner, the container, stops it.</summary>
internal sealed class PgDisciplineHostedService(PgDisciplineRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = runtime.StartMonitoringAsync();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
