-- expect: PGD312
TRUNCATE audit;
