-- Count records in each table. `summarize` flags a table with fewer than `min_rows` rows
-- (an empty table usually means a load upstream failed).
SELECT 'customers' AS table_name, COUNT(*) AS row_count FROM customers
UNION ALL SELECT 'orders', COUNT(*) FROM orders
UNION ALL SELECT 'products', COUNT(*) FROM products
ORDER BY table_name
