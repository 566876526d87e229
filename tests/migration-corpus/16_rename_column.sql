-- expect: PGD309
SET lock_timeout = '5s';
ALTER TABLE users RENAME COLUMN mail TO email;
