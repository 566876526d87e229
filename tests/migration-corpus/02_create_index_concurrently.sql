-- expect:
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_messages_author ON messages (author_id);
