-- expect: PGD306
SET lock_timeout = '5s';
ALTER TABLE messages ADD CONSTRAINT fk_messages_author FOREIGN KEY (author_id) REFERENCES users (id);
