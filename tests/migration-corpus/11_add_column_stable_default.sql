-- expect:
SET lock_timeout = '5s';
ALTER TABLE messages ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
