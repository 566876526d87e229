using ChatService;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using PgDiscipline;

var builder = WebApplication.CreateBuilder(args);
// PgDiscipline: replicas, consistency, timeouts and rules from the "PgDiscipline" section (validated at startup,
// reloaded live); the DbContext gets its interceptors from DI.
builder.Services.AddPgDiscipline(builder.Configuration.GetSection(PgDisciplineOptions.SectionName));
builder.Services.AddDbContext<ChatDb>((sp, o) => o
    .UseNpgsql(sp.GetRequiredService<IConfiguration>().GetConnectionString("Primary")
        ?? throw new InvalidOperationException("ConnectionStrings:Primary is not set (the primary's Npgsql connection string)."))
    .UsePgDiscipline(sp));
builder.Services.AddHybridCache(o => o.DefaultEntryOptions = new HybridCacheEntryOptions { Expiration = TimeSpan.FromSeconds(30), LocalCacheExpiration = TimeSpan.FromSeconds(30) });
builder.Services.AddHealthChecks().AddPgDisciplineReplicas();
builder.Services.AddProblemDetails();

var app = builder.Build();

// Shed traffic shows as 503/429 problem responses naming the fingerprint and rule (never the query's values).
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    StatusCodeSelector = ex => ex switch
    {
        QueryBlockedException or ReplicaUnavailableException => StatusCodes.Status503ServiceUnavailable,
        QueryRateLimitedException => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status500InternalServerError,
    },
});
app.UseStatusCodePages();

// Read-your-writes across requests and instances: the client sends back the session token it got after a write.
app.UseMiddleware<SessionTokenMiddleware>();

app.MapOpsEndpoints(); // /health (open, status word only) and, with Chat:OpsKey set, POST /_pgdiscipline/snapshot
app.MapChatEndpoints();

if (app.Configuration.GetValue<bool>("Chat:Migrate"))
{
    await using var scope = app.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<ChatDb>();
    await db.MigrateWithRetryAsync(); // under the migration guard: linted, lock_timeout, retried on lock waits
    if (app.Configuration.GetValue<bool>("Chat:Seed"))
    {
        await Seed.RunAsync(db, app.Configuration.GetValue("Chat:SeedUsers", 500), app.Configuration.GetValue("Chat:SeedConversations", 200));
    }
}

await app.RunAsync();

/// <summary>The entry point, for WebApplicationFactory in the tests.</summary>
public partial class Program;
