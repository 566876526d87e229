-- expect:
SET lock_timeout = '5s';
ALTER TABLE messages ADD CONSTRAINT fk_messages_author FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID;
ALTER TABLE messages VALIDATE CONSTRAINT fk_messages_author;
