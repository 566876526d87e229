-- expect: PGD315
-- Nothing here touches rows of an existing table, but the foreign key takes SHARE ROW EXCLUSIVE on messages: a lock_timeout keeps writes to messages from queueing behind it.
CREATE TABLE IF NOT EXISTS reactions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_id bigint NOT NULL, emoji text NOT NULL);
CREATE INDEX IF NOT EXISTS ix_reactions_message ON reactions (message_id);
ALTER TABLE reactions ADD CONSTRAINT fk_reactions_message FOREIGN KEY (message_id) REFERENCES messages (id);
