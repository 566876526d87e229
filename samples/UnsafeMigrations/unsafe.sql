-- What `dotnet ef migrations script` could produce for a risky change; `pgdiscipline lint unsafe.sql` flags it.
ALTER TABLE orders ALTER COLUMN qty TYPE bigint;
CREATE INDEX ix_orders_customer ON orders (customer_id);
ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id);
UPDATE orders SET note = '';
