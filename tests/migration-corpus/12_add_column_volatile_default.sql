-- expect: PGD302
SET lock_timeout = '5s';
ALTER TABLE messages ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
