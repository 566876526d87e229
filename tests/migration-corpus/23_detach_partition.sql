-- expect: PGD315 PGD316
-- The partition stays attached until nothing uses the parent: ACCESS EXCLUSIVE on events for as long as that takes.
ALTER TABLE events DETACH PARTITION events_2025;
