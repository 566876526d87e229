-- expect: PGD305 PGD315
DROP INDEX IF EXISTS ix_messages_author;
