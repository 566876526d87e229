-- expect: PGD305
DROP INDEX IF EXISTS ix_messages_author;
