-- expect: PGD317
-- A typo: PostgreSQL rejects the script (and in a transaction every statement after it).
ALTER TABLE users ADD COLUMN;
SELEC 1;
