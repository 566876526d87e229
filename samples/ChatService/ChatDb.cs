using Microsoft.EntityFrameworkCore;

namespace ChatService;

public sealed class User
{
    public long Id { get; set; }
    public string Handle { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class Conversation
{
    public long Id { get; set; }
    public string Title { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastMessageAt { get; set; }
}

public sealed class Member
{
    public long ConversationId { get; set; }
    public long UserId { get; set; }
    public Conversation Conversation { get; set; } = null!;
}

public sealed class Message
{
    public long Id { get; set; }
    public long ConversationId { get; set; }
    public long AuthorId { get; set; }
    public string Body { get; set; } = "";
    public DateTimeOffset SentAt { get; set; }
}

/// <summary>The chat model: snake_case tables, bigint identity keys, the indexes the read paths need.</summary>
public sealed class ChatDb(DbContextOptions<ChatDb> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();
    public DbSet<Conversation> Conversations => Set<Conversation>();
    public DbSet<Member> Members => Set<Member>();
    public DbSet<Message> Messages => Set<Message>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<User>(e =>
        {
            e.ToTable("users");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Handle).HasColumnName("handle").HasMaxLength(40);
            e.Property(x => x.DisplayName).HasColumnName("display_name").HasMaxLength(100);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasIndex(x => x.Handle).IsUnique();
        });
        b.Entity<Conversation>(e =>
        {
            e.ToTable("conversations");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Title).HasColumnName("title").HasMaxLength(200);
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.LastMessageAt).HasColumnName("last_message_at");
            // Added after the first release, on a table that already holds data: built concurrently (PGD304).
            e.HasIndex(x => x.LastMessageAt).IsCreatedConcurrently();
        });
        b.Entity<Member>(e =>
        {
            e.ToTable("conversation_members");
            e.HasKey(x => new { x.ConversationId, x.UserId });
            e.Property(x => x.ConversationId).HasColumnName("conversation_id");
            e.Property(x => x.UserId).HasColumnName("user_id");
            e.HasOne(x => x.Conversation).WithMany().HasForeignKey(x => x.ConversationId);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId);
            e.HasIndex(x => x.UserId);
        });
        b.Entity<Message>(e =>
        {
            e.ToTable("messages");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.ConversationId).HasColumnName("conversation_id");
            e.Property(x => x.AuthorId).HasColumnName("author_id");
            e.Property(x => x.Body).HasColumnName("body").HasMaxLength(4000);
            e.Property(x => x.SentAt).HasColumnName("sent_at");
            e.HasOne<Conversation>().WithMany().HasForeignKey(x => x.ConversationId);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.AuthorId);
            e.HasIndex(x => new { x.ConversationId, x.SentAt });
        });
    }
}
