-- expand: a nullable column the running version ignores
ALTER TABLE orders ADD COLUMN status text;
CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);
