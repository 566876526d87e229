using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using PgDiscipline;

namespace ChatService;

public sealed record UserProfile(long Id, string Handle, string DisplayName);

public sealed record ConversationSummary(long Id, string Title, DateTimeOffset LastMessageAt);

public sealed record MessageView(long Id, long AuthorId, string Body, DateTimeOffset SentAt);

public sealed record PostMessage(long AuthorId, string Body);

public sealed record Rename(string Title);

/// <summary>Read-heavy endpoints go to replicas; writes go to the primary and hand back a session token.</summary>
public static class ChatEndpoints
{
    public static void MapChatEndpoints(this IEndpointRouteBuilder app)
    {
        // The hottest read, behind HybridCache: a miss storm for one user becomes one database query.
        app.MapGet("/users/{id:long}", async (long id, ChatDb db, HybridCache cache, CancellationToken ct) =>
        {
            var profile = await cache.GetOrCreateAsync($"user:{id}", async token => await LoadProfile(db, id, token), cancellationToken: ct);
            return profile is null ? Results.NotFound() : Results.Ok(profile);
        });

        app.MapGet("/users/{id:long}/conversations", async (long id, ChatDb db, CancellationToken ct) =>
            Results.Ok(await db.Members
                .Where(m => m.UserId == id)
                .OrderByDescending(m => m.Conversation.LastMessageAt)
                .Select(m => new ConversationSummary(m.ConversationId, m.Conversation.Title, m.Conversation.LastMessageAt))
                .Take(50)
                .TagWithCallSite()
                .ReadFromReplica()
                .ToListAsync(ct)));

        app.MapGet("/conversations/{id:long}/messages", async (long id, int? limit, ChatDb db, CancellationToken ct) =>
            Results.Ok(await db.Messages
                .Where(m => m.ConversationId == id)
                .OrderByDescending(m => m.SentAt)
                .Take(Math.Clamp(limit ?? 50, 1, 200))
                .Select(m => new MessageView(m.Id, m.AuthorId, m.Body, m.SentAt))
                .TagWithCallSite()
                .ReadFromReplica()
                .ToListAsync(ct)));

        app.MapPost("/conversations/{id:long}/messages", async (long id, PostMessage body, ChatDb db, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(body.Body) || body.Body.Length > 4000)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["1 to 4000 characters"] });
            }

            var now = DateTimeOffset.UtcNow;
            var message = new Message { ConversationId = id, AuthorId = body.AuthorId, Body = body.Body, SentAt = now };
            db.Messages.Add(message);
            await db.SaveChangesAsync(ct);
            await db.Conversations.Where(c => c.Id == id).TagWithCallSite().ExecuteUpdateAsync(s => s.SetProperty(c => c.LastMessageAt, now), ct);
            return Results.Created($"/conversations/{id}/messages/{message.Id}", new MessageView(message.Id, message.AuthorId, message.Body, message.SentAt));
        });

        app.MapPut("/conversations/{id:long}/title", async (long id, Rename body, ChatDb db, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(body.Title) || body.Title.Length > 200)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["title"] = ["1 to 200 characters"] });
            }

            var changed = await db.Conversations.Where(c => c.Id == id).TagWithCallSite().ExecuteUpdateAsync(s => s.SetProperty(c => c.Title, body.Title), ct);
            return changed == 0 ? Results.NotFound() : Results.NoContent();
        });
    }

    internal static Task<UserProfile?> LoadProfile(ChatDb db, long id, CancellationToken ct)
        => db.Users
            .Where(u => u.Id == id)
            .Select(u => new UserProfile(u.Id, u.Handle, u.DisplayName))
            .TagWithCallSite()
            .ReadFromReplica()
            .FirstOrDefaultAsync(ct);
}
