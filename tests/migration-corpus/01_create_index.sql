-- expect: PGD304
SET lock_timeout = '5s';
CREATE INDEX ix_messages_author ON messages (author_id);
