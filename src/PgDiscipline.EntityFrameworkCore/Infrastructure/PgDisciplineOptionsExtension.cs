using System.IO.Hashing;
using System.Text.Json;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using PgDiscipline.Configuration;
using PgDiscipline.Interception;
using PgDiscipline.Routing;

namespace PgDiscipline.Infrastructure;

/// <summary>
/// PgDiscipline in a context's options (EF Core's extension model, as Npgsql's provider does it). It carries the
/// configuration's interceptors and how they find their runtime (<see cref="RuntimeReference"/>): one owned elsewhere
/// (the application's container, or the caller), or, for options set in code, the runtime of this configuration in the
/// <see cref="PgDisciplineRuntimeRegistry"/> of EF Core's internal service provider. Two configurations are the same when
/// every option is (a hash of their JSON form, so a new option can never be left out of the comparison). PgDiscipline adds one
/// service to EF Core and never asks for a provider of its own, so any number of configurations costs no extra EF Core
/// service providers.
/// </summary>
internal sealed class PgDisciplineOptionsExtension : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    public PgDisciplineOptionsExtension(PgDisciplineRuntime runtime)
    {
        Reference = new RuntimeReference(runtime);
        Interceptors = runtime.Interceptors;
    }

    public PgDisciplineOptionsExtension(PgDisciplineOptions options)
    {
        Options = options;
        ConfigurationKey = KeyOf(options);
        Reference = new RuntimeReference(Resolve);
        Interceptors = PgDisciplineRuntime.CreateInterceptors(Reference);
    }

    /// <summary>The runtime of this configuration in the registry of the context's EF Core service provider (created on
    /// first use, with that provider's logger factory).</summary>
    private PgDisciplineRuntime Resolve(DbContext context)
    {
        var services = ((IInfrastructure<IServiceProvider>)context).Instance;
        var registry = services.GetService<PgDisciplineRuntimeRegistry>()
            ?? throw new InvalidOperationException("PgDiscipline's services are missing from the EF Core service provider given to UseInternalServiceProvider: add services.AddEntityFrameworkPgDiscipline() next to AddEntityFrameworkNpgsql().");
        var core = services.GetRequiredService<IDbContextOptions>().FindExtension<CoreOptionsExtension>();
        var loggerFactory = core?.LoggerFactory ?? core?.ApplicationServiceProvider?.GetService<ILoggerFactory>();
        return registry.GetOrCreate(ConfigurationKey!, Options!, loggerFactory);
    }

    /// <summary>Options set in code (null when the runtime is owned elsewhere).</summary>
    public PgDisciplineOptions? Options { get; }

    /// <summary>A 128-bit hash of every option (their JSON form): equal keys, equal configurations. A hash, so the
    /// registry never keeps connection strings (passwords) as keys.</summary>
    public string? ConfigurationKey { get; }

    public RuntimeReference Reference { get; }

    /// <summary>The interceptors to add to the context's options.</summary>
    public IReadOnlyList<IInterceptor> Interceptors { get; }

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    internal static string KeyOf(PgDisciplineOptions options)
        => Convert.ToHexString(XxHash128.Hash(JsonSerializer.SerializeToUtf8Bytes(options, PgDisciplineOptionsJson.Default.PgDisciplineOptions)));

    public void ApplyServices(IServiceCollection services) => AddServices(services);

    /// <summary>What PgDiscipline adds to EF Core's internal service provider (here, or by AddEntityFrameworkPgDiscipline).</summary>
    internal static IServiceCollection AddServices(IServiceCollection services)
    {
        services.TryAddSingleton<PgDisciplineRuntimeRegistry>();
        ContextState.Register(services);
        // EF Core's own query provider, under a type PgDiscipline's query extensions recognise, and the interceptor that turns
        // their markers into tags (an interceptor of the service provider, not of the options: EF Core refuses singleton
        // interceptors in options when the application builds that provider itself; see IntentMarkers).
        // A factory, not a type: an application container given these services by mistake still validates (the query
        // compiler exists only in EF Core's own provider).
#pragma warning disable EF1001 // IQueryCompiler: what EF Core's query provider is built from
        services.AddScoped<Microsoft.EntityFrameworkCore.Query.IAsyncQueryProvider>(
            sp => new Interception.PgDisciplineQueryProvider(sp.GetRequiredService<Microsoft.EntityFrameworkCore.Query.Internal.IQueryCompiler>()));
#pragma warning restore EF1001
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IInterceptor), Interception.IntentMarkerRewriter.Instance));
        return services;
    }

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(PgDisciplineOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => "PgDiscipline ";

        // The services PgDiscipline adds are the same for every configuration.
        public override int GetServiceProviderHashCode() => 0x50_47_44;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) => debugInfo["PgDiscipline"] = "1";
    }
}
