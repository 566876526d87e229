using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PgDiscipline;

/// <summary>Registration: <c>options.UseNpgsql(primary).UsePgDiscipline(pg =&gt; …)</c> and <c>services.AddPgDiscipline(section)</c>.</summary>
public static class PgDisciplineExtensions
{
    /// <summary>Adds PgDiscipline with options set in code. Contexts configured with the same settings share one runtime.
    /// Invalid settings throw <see cref="OptionsValidationException"/> naming each key.</summary>
    public static DbContextOptionsBuilder UsePgDiscipline(this DbContextOptionsBuilder builder, Action<PgDisciplineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PgDisciplineOptions();
        configure(options);
        var loggerFactory = builder.Options.FindExtension<CoreOptionsExtension>()?.LoggerFactory;
        return builder.UsePgDiscipline(PgDisciplineRuntime.GetOrCreate(options, loggerFactory));
    }

    /// <summary>Adds PgDiscipline with the runtime registered by <see cref="AddPgDiscipline"/>.</summary>
    public static DbContextOptionsBuilder UsePgDiscipline(this DbContextOptionsBuilder builder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return builder.UsePgDiscipline(services.GetRequiredService<PgDisciplineRuntime>());
    }

    /// <summary>Adds the interceptors of an existing runtime.</summary>
    public static DbContextOptionsBuilder UsePgDiscipline(this DbContextOptionsBuilder builder, PgDisciplineRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(runtime);
        return builder.AddInterceptors(runtime.Interceptors);
    }

    /// <inheritdoc cref="UsePgDiscipline(DbContextOptionsBuilder, PgDisciplineRuntime)" />
    public static DbContextOptionsBuilder<TContext> UsePgDiscipline<TContext>(this DbContextOptionsBuilder<TContext> builder, PgDisciplineRuntime runtime)
        where TContext : DbContext
        => (DbContextOptionsBuilder<TContext>)UsePgDiscipline((DbContextOptionsBuilder)builder, runtime);

    /// <inheritdoc cref="UsePgDiscipline(DbContextOptionsBuilder, Action{PgDisciplineOptions})" />
    public static DbContextOptionsBuilder<TContext> UsePgDiscipline<TContext>(this DbContextOptionsBuilder<TContext> builder, Action<PgDisciplineOptions> configure)
        where TContext : DbContext
        => (DbContextOptionsBuilder<TContext>)UsePgDiscipline((DbContextOptionsBuilder)builder, configure);

    /// <inheritdoc cref="UsePgDiscipline(DbContextOptionsBuilder, IServiceProvider)" />
    public static DbContextOptionsBuilder<TContext> UsePgDiscipline<TContext>(this DbContextOptionsBuilder<TContext> builder, IServiceProvider services)
        where TContext : DbContext
        => (DbContextOptionsBuilder<TContext>)UsePgDiscipline((DbContextOptionsBuilder)builder, services);

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

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PgDisciplineOptions>, PgDisciplineOptionsValidator>());
        services.TryAddSingleton(sp => PgDisciplineRuntime.CreateForServices(
            sp.GetRequiredService<IOptionsMonitor<PgDisciplineOptions>>(),
            section,
            sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>Sets <c>statement_timeout</c> for this query only (server-side; the client timeout is aligned above it).</summary>
    public static IQueryable<T> WithStatementTimeout<T>(this IQueryable<T> source, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        var ms = ((long)Math.Ceiling(timeout.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        return source.TagWith(PgDisciplineRuntime.StatementTimeoutTag + ms + "ms");
    }
}
