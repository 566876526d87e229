using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgDiscipline.Coalescing;
using PgDiscipline.Configuration;
using PgDiscipline.HighAvailability;
using PgDiscipline.Interception;
using PgDiscipline.Migrations;
using PgDiscipline.Pipeline;
using PgDiscipline.Routing;
using PgDiscipline.Rules;
using PgDiscipline.Statistics;
using PgDiscipline.Timeouts;

namespace PgDiscipline.Infrastructure;

/// <summary>
/// The composition root of one runtime: every part is a service with its dependencies in its constructor, built by
/// Microsoft.Extensions.DependencyInjection and disposed by it in reverse order. A runtime's parts are a container of
/// their own rather than services of EF Core's internal provider, because that provider is shared by every
/// PgDiscipline configuration (one replica set, monitor and rule book per configuration, and a runtime from
/// <c>AddPgDiscipline</c> belongs to the application's container); EF Core's provider holds the per-context state.
/// </summary>
internal static class RuntimeServices
{
    public static ServiceProvider Build(PgDisciplineOptions options, ILoggerFactory? loggerFactory, TimeProvider? time)
    {
        var services = new ServiceCollection();
        services.AddSingleton(new CurrentOptions(options));
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("PgDiscipline"));
        if (options.Statistics.Enabled)
        {
            services.AddSingleton(new QueryStatistics(
                options.Statistics,
                ["primary", .. options.Replicas.Select(ReplicaEndpoint.NameOf)],
                maxTargets: 1 + Math.Max(64, 2 * options.Replicas.Count)));
            if (options.Statistics.SnapshotPath is not null)
            {
                services.AddSingleton<StatisticsSnapshotWriter>();
            }
        }

        services.AddSingleton<RuleBook>();
        services.AddSingleton<CommandPlanner>();
        services.AddSingleton<ExecutionPool>();
        services.AddSingleton<PrimaryTimelineGuard>();
        services.AddSingleton<PrimaryConnection>();
        services.AddSingleton(sp =>
        {
            // The health checks' primary readings open as the app's primary connections do (Routing does not use Timeouts).
            var app = sp.GetRequiredService<PrimaryConnection>();
            return new PrimaryPosition(sp.GetRequiredService<PrimaryTimelineGuard>(), app.ApplyStartupOptions, app.Verify);
        });
        services.AddSingleton<ReplicaSet>();
        services.AddSingleton<ReplicaAdmission>();
        services.AddSingleton<ReplicaHealthMonitor>();
        services.AddSingleton<ReplicaAttempt>();
        services.AddSingleton<ReplicaExecutor>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<SessionTokenCodec>();
        services.AddSingleton<WritePositionCapture>();
        services.AddSingleton<ReadCoalescer>();
        if (options.DatabaseRules.ConnectionString is not null)
        {
            services.AddSingleton<DatabaseRuleSource>();
        }

        if (options.DatabaseRules.FromReplicas)
        {
            services.AddSingleton<ReplicaRules>();
        }

        // The stages, in the order every command meets them.
        services.AddSingleton<ICommandStage, RuleStage>();
        services.AddSingleton<ICommandStage, RouteStage>();
        services.AddSingleton<ICommandStage, CoalescingStage>();
        services.AddSingleton<ICommandStage, ReplicaStage>();
        services.AddSingleton<ICommandStage, MigrationGuard>();
        services.AddSingleton<ICommandStage, PrimaryStage>();
        services.AddSingleton<CommandPipeline>();
        services.AddSingleton<InterceptorDependencies>();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
