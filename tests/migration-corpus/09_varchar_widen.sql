-- expect: PGD301
SET lock_timeout = '5s';
ALTER TABLE messages ALTER COLUMN body TYPE varchar(4000);
