-- expect: PGD314
BEGIN;
SET LOCAL lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_messages_author ON messages (author_id);
COMMIT;
