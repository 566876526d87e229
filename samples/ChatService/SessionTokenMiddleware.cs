using PgDiscipline;

namespace ChatService;

/// <summary>Carries PgDiscipline's session token in <c>X-PgDiscipline-Session</c>: a request that sends the token it got
/// from an earlier write reads that write (from a replica that has replayed it, or from the primary), on any instance.</summary>
public sealed class SessionTokenMiddleware(RequestDelegate next)
{
    public const string Header = "X-PgDiscipline-Session";

    public async Task InvokeAsync(HttpContext http, ChatDb db)
    {
        var session = db.GetPgDisciplineSession();
        if (http.Request.Headers.TryGetValue(Header, out var token) && !string.IsNullOrEmpty(token))
        {
            session.Token = token.ToString();
        }

        http.Response.OnStarting(async () =>
        {
            // One position capture on the primary, only when this request wrote something.
            if (await session.GetTokenAsync(http.RequestAborted) is { } t)
            {
                http.Response.Headers[Header] = t;
            }
        });
        await next(http);
    }
}
