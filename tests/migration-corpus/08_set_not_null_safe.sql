-- expect:
SET lock_timeout = '5s';
ALTER TABLE messages ADD CONSTRAINT messages_author_not_null CHECK (author_id IS NOT NULL) NOT VALID;
ALTER TABLE messages VALIDATE CONSTRAINT messages_author_not_null;
ALTER TABLE messages ALTER COLUMN author_id SET NOT NULL;
