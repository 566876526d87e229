using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using PgDiscipline.HighAvailability;

namespace PgDiscipline.Routing;

/// <summary>Where each context's read-your-writes session lives: its <see cref="ContextState"/>, a scoped service of EF
/// Core's internal service provider (registered by the options extension, or by <c>AddEntityFrameworkPgDiscipline()</c>
/// for an application's own internal provider), so it dies with the context and is reset when a pooled context is
/// returned.</summary>
internal sealed class SessionStore(PrimaryPosition primary, PrimaryTimelineGuard guard, SessionTokenCodec codec)
{
    /// <summary>The session of <paramref name="context"/>, created on first use.</summary>
    public PgDisciplineSession Session(DbContext context) => Session(StateOf(context));

    public PgDisciplineSession Session(ContextState state)
        => state.Session ??= new PgDisciplineSession { CapturePosition = primary.CaptureAsync, Timeline = guard, Codec = codec };

    /// <summary>The context's scoped PgDiscipline state.</summary>
    public static ContextState StateOf(DbContext context)
        => ((IInfrastructure<IServiceProvider>)context).Instance.GetService(typeof(ContextState)) as ContextState
           ?? throw new InvalidOperationException("PgDiscipline's services are missing from the EF Core service provider given to UseInternalServiceProvider: add services.AddEntityFrameworkPgDiscipline() next to AddEntityFrameworkNpgsql().");
}
