using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PgDiscipline.Configuration;
using PgDiscipline.Infrastructure;
using PgDiscipline.Routing;

namespace PgDiscipline;

/// <summary>Registers one <see cref="PgDisciplineRuntime"/> in the application's container (which owns and disposes it);
/// contexts use it with <c>UsePgDiscipline(serviceProvider)</c>.</summary>
public static class PgDisciplineServiceCollectionExtensions
{
    /// <summary>Registers PgDiscipline with options from <paramref name="section"/> (e.g. <c>configuration.GetSection("PgDiscipline")</c>):
    /// validated at startup (each failure names its key), reloaded live; rules under <c>Rules</c> reload live too, and a
    /// malformed rule is logged and left out while the others keep working.</summary>
    public static IServiceCollection AddPgDiscipline(this IServiceCollection services, IConfiguration section, Action<PgDisciplineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        // Bound through SafeBinding rather than OptionsBuilder.Bind: the binder's conversion errors quote the value, and
        // a connection string pasted under the wrong key must not end up in a startup error or a log (found by fuzzing).
        var optionsBuilder = services.AddOptions<PgDisciplineOptions>().Configure(o => SafeBinding.Bind(section, o)).ValidateOnStart();
        services.AddSingleton<IOptionsChangeTokenSource<PgDisciplineOptions>>(new ConfigurationChangeTokenSource<PgDisciplineOptions>(section));
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        return AddRuntime(services, section);
    }

    /// <summary>Registers PgDiscipline with options set in code, for applications without <see cref="IConfiguration"/>;
    /// validated at startup (each failure names its key).</summary>
    public static IServiceCollection AddPgDiscipline(this IServiceCollection services, Action<PgDisciplineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PgDisciplineOptions>().Configure(configure).ValidateOnStart();
        return AddRuntime(services, section: null);
    }

    /// <summary>Adds the services PgDiscipline needs in EF Core's internal service provider, for applications that build
    /// that provider themselves (<c>UseInternalServiceProvider</c>, next to <c>AddEntityFrameworkNpgsql()</c>); it then owns
    /// the code-configured runtimes and disposes them with itself. Not needed otherwise.</summary>
    public static IServiceCollection AddEntityFrameworkPgDiscipline(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return PgDisciplineOptionsExtension.AddServices(services);
    }

    private static IServiceCollection AddRuntime(IServiceCollection services, IConfiguration? section)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PgDisciplineOptions>, PgDisciplineOptionsValidator>());
        services.TryAddSingleton(sp => PgDisciplineRuntime.CreateForServices(
            sp.GetRequiredService<IOptionsMonitor<PgDisciplineOptions>>(),
            section,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PgDisciplineHostedService>());
        return services;
    }
}
