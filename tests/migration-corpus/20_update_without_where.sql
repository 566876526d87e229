-- expect: PGD312
UPDATE users SET email = lower(email);
