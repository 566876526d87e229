-- expect: PGD315
ALTER TABLE messages ADD COLUMN edited boolean;
