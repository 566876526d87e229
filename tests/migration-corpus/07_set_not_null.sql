-- expect: PGD303
SET lock_timeout = '5s';
ALTER TABLE messages ALTER COLUMN author_id SET NOT NULL;
