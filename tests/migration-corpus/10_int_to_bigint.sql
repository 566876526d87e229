-- expect: PGD301
SET lock_timeout = '5s';
ALTER TABLE messages ALTER COLUMN id TYPE bigint;
