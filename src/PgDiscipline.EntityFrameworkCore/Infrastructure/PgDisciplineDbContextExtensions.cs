using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using PgDiscipline.Infrastructure;

namespace PgDiscipline;

/// <summary>PgDiscipline's state for a DbContext instance.</summary>
public static class PgDisciplineDbContextExtensions
{
    /// <summary>The read-your-writes session of this context (token to carry across requests and instances).</summary>
    public static PgDisciplineSession GetPgDisciplineSession(this DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dependencies = context.GetService<IDbContextOptions>().FindExtension<PgDisciplineOptionsExtension>()?.Reference.Get(context);
        if (dependencies is null || !dependencies.Replicas.Configured)
        {
            throw new InvalidOperationException("This DbContext has no PgDiscipline replicas configured (UsePgDiscipline with AddReplica).");
        }

        return dependencies.Sessions.Session(context);
    }

    /// <summary>The PgDiscipline runtime this context uses, or null when PgDiscipline is not configured for it.</summary>
    public static PgDisciplineRuntime? FindPgDisciplineRuntime(this DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var extension = context.GetService<IDbContextOptions>().FindExtension<PgDisciplineOptionsExtension>();
        return extension?.Reference.Runtime(context);
    }
}
