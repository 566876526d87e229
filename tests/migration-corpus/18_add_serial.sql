-- expect: PGD313 PGD325
SET lock_timeout = '5s';
ALTER TABLE audit ADD COLUMN seq bigserial;
