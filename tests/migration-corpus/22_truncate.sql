-- expect: PGD312 PGD315
TRUNCATE audit;
