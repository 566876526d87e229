using Microsoft.EntityFrameworkCore;

namespace ChatService;

/// <summary>Demo data: users, conversations with a few members each, and messages — once, when the tables are empty.</summary>
public static class Seed
{
    public static async Task RunAsync(ChatDb db, int users, int conversations, CancellationToken ct = default)
    {
        if (await db.Users.AnyAsync(ct))
        {
            return;
        }

        // Constant SQL with parameters: set-based, one round trip per table.
        await db.Database.ExecuteSqlAsync($"""
            insert into users (handle, display_name, created_at)
            select 'user' || g, 'User ' || g, now() - g * interval '1 minute' from generate_series(1, {users}) g
            """, ct);
        await db.Database.ExecuteSqlAsync($"""
            insert into conversations (title, created_at, last_message_at)
            select 'Conversation ' || g, now() - interval '1 day', now() - g * interval '1 second' from generate_series(1, {conversations}) g
            """, ct);
        await db.Database.ExecuteSqlAsync($"""
            insert into conversation_members (conversation_id, user_id)
            select c.id, ((c.id * 7 + k * 13) % {users}) + 1 from conversations c cross join generate_series(0, 3) k
            on conflict do nothing
            """, ct);
        await db.Database.ExecuteSqlAsync($"""
            insert into messages (conversation_id, author_id, body, sent_at)
            select c.id, ((c.id + k) % {users}) + 1, 'message ' || k, now() - k * interval '1 minute'
            from conversations c cross join generate_series(1, 20) k
            """, ct);
    }
}
