using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PgDiscipline.Infrastructure;

namespace PgDiscipline;

/// <summary>Adds PgDiscipline to a context's options: <c>options.UseNpgsql(primary).UsePgDiscipline(pg =&gt; …)</c>, or
/// <c>UsePgDiscipline(serviceProvider)</c> after <c>services.AddPgDiscipline(…)</c>.</summary>
public static class PgDisciplineDbContextOptionsBuilderExtensions
{
    /// <summary>Adds PgDiscipline with options set in code. Contexts configured with the same settings share one runtime
    /// (created on first use, held and disposed by EF Core's internal service provider). Invalid settings throw
    /// <see cref="OptionsValidationException"/> naming each key, here.</summary>
    public static DbContextOptionsBuilder UsePgDiscipline(this DbContextOptionsBuilder builder, Action<PgDisciplineOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PgDisciplineOptions();
        configure(options);
        PgDisciplineRuntime.ThrowIfInvalid(options);
        var extension = new PgDisciplineOptionsExtension(options);
        ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(extension);
        return builder.AddInterceptors(extension.Interceptors);
    }

    /// <summary>Adds PgDiscipline with the runtime registered by <c>AddPgDiscipline</c> (owned by that container).</summary>
    public static DbContextOptionsBuilder UsePgDiscipline(this DbContextOptionsBuilder builder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return builder.UsePgDiscipline(services.GetRequiredService<PgDisciplineRuntime>());
    }

    /// <summary>Adds PgDiscipline with an existing runtime (its owner disposes it).</summary>
    public static DbContextOptionsBuilder UsePgDiscipline(this DbContextOptionsBuilder builder, PgDisciplineRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(runtime);
        var extension = new PgDisciplineOptionsExtension(runtime);
        ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(extension);
        return builder.AddInterceptors(extension.Interceptors);
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
}
