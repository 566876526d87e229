-- expect: PGD308
SET lock_timeout = '5s';
ALTER TABLE messages ADD CONSTRAINT messages_body_len CHECK (length(body) < 10000);
