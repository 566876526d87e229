using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace PgDiscipline.Configuration;

/// <summary>
/// PgDiscipline in a context's options (EF Core's extension model, as Npgsql's provider does it). Two forms:
/// <list type="bullet">
/// <item>with a <see cref="PgDisciplineRuntime"/> owned elsewhere (the application's container, or the caller): the
/// interceptors are added to the context's options and no EF Core service changes;</item>
/// <item>with options set in code (<c>UsePgDiscipline(pg =&gt; …)</c>): the runtime is a singleton of EF Core's internal
/// service provider, so contexts configured alike share it, contexts configured differently do not, and it is disposed with
/// that provider. "Alike" compares every option (their JSON form), so a new option can never be left out.</item>
/// </list>
/// </summary>
internal sealed class PgDisciplineOptionsExtension : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    public PgDisciplineOptionsExtension(PgDisciplineRuntime runtime) => Runtime = runtime;

    public PgDisciplineOptionsExtension(PgDisciplineOptions options)
    {
        Options = options;
        Canonical = JsonSerializer.Serialize(options, PgDisciplineOptionsJson.Default.PgDisciplineOptions);
    }

    /// <summary>The runtime this context uses, when it is owned outside EF Core.</summary>
    public PgDisciplineRuntime? Runtime { get; }

    /// <summary>Options set in code, when the runtime lives in EF Core's internal service provider.</summary>
    public PgDisciplineOptions? Options { get; }

    /// <summary>Every option in one string: equal strings, equal configurations (connection strings included, so it is
    /// compared, never logged).</summary>
    internal string? Canonical { get; }

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
    {
        if (Options is null)
        {
            return; // interceptors of an external runtime travel in CoreOptionsExtension
        }

        services.AddSingleton<PgDisciplineRuntimeHolder>();
        services.AddSingleton<ISingletonOptions>(sp => sp.GetRequiredService<PgDisciplineRuntimeHolder>());
        for (var i = 0; i < 3; i++)
        {
            var index = i;
            services.AddSingleton<IInterceptor>(sp => sp.GetRequiredService<PgDisciplineRuntimeHolder>().Runtime.Interceptors[index]);
        }
    }

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(PgDisciplineOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        private int? _hash;

        private new PgDisciplineOptionsExtension Extension => (PgDisciplineOptionsExtension)base.Extension;

        public override bool IsDatabaseProvider => false;

        public override string LogFragment => Extension.Options is null ? "PgDiscipline(runtime) " : "PgDiscipline ";

        public override int GetServiceProviderHashCode()
            => _hash ??= Extension.Canonical is { } canonical ? (int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(canonical)) : 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other)
            => other is ExtensionInfo o && string.Equals(Extension.Canonical, o.Extension.Canonical, StringComparison.Ordinal);

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
            => debugInfo["PgDiscipline:Configuration"] = GetServiceProviderHashCode().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
    }
}
