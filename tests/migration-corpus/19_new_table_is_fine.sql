-- expect:
CREATE TABLE IF NOT EXISTS reactions (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, message_id bigint NOT NULL, emoji text NOT NULL);
CREATE INDEX IF NOT EXISTS ix_reactions_message ON reactions (message_id);
ALTER TABLE reactions ADD CONSTRAINT fk_reactions_message FOREIGN KEY (message_id) REFERENCES messages (id);
