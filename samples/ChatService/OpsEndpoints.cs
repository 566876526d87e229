using System.Security.Cryptography;
using System.Text;
using PgDiscipline;

namespace ChatService;

/// <summary>
/// The sample's operational endpoints (SAMPLE ONLY: a production app puts them on a management port or behind its own
/// authentication and authorization, not on the public listener).
/// <list type="bullet">
/// <item><c>POST /_pgdiscipline/snapshot</c> writes a file on the server on demand: it is mapped only when
/// <c>Chat:OpsKey</c> is set, and answers 401 unless the request carries that key in <c>X-Ops-Key</c> (compared in fixed
/// time). Without the key anyone could make the server write files as fast as they can send requests.</item>
/// <item><c>GET /health</c> stays open: load balancers and orchestrators probe it without credentials, and it answers
/// only the status word (Healthy / Degraded / Unhealthy) — no replica names, hosts, lag or errors.</item>
/// </list>
/// </summary>
public static class OpsEndpoints
{
    public const string KeyHeader = "X-Ops-Key";

    public static void MapOpsEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health");
        if (app.Configuration["Chat:OpsKey"] is not { Length: > 0 } key)
        {
            return;
        }

        var expected = Encoding.UTF8.GetBytes(key);
        app.MapPost("/_pgdiscipline/snapshot", async (HttpRequest request, ChatDb db, IConfiguration config, CancellationToken ct) =>
        {
            var given = Encoding.UTF8.GetBytes(request.Headers[KeyHeader].ToString());
            if (!CryptographicOperations.FixedTimeEquals(given, expected))
            {
                return Results.Unauthorized();
            }

            // Writes the statistics snapshot now (the runtime also writes it every Statistics:SnapshotInterval and at shutdown).
            var path = config["PgDiscipline:Statistics:SnapshotPath"];
            if (string.IsNullOrEmpty(path) || db.FindPgDisciplineRuntime() is not { } runtime)
            {
                return Results.Problem("PgDiscipline:Statistics:SnapshotPath is not set", statusCode: StatusCodes.Status404NotFound);
            }

            await runtime.WriteStatisticsSnapshotAsync(path, ct);
            return Results.NoContent();
        });
    }
}
