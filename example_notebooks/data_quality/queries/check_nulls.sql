-- Check for null values: one row per column holding nulls, with the rowids of those rows.
-- Every column is checked except the "table.column" names of the nullable_columns parameter
-- (a list: it expands for NOT IN). An INTEGER PRIMARY KEY is the rowid, never null: not listed.
WITH nulls (table_name, column_name, row_id) AS (
  SELECT 'customers', 'name', rowid FROM customers WHERE name IS NULL
  UNION ALL SELECT 'customers', 'email', rowid FROM customers WHERE email IS NULL
  UNION ALL SELECT 'customers', 'phone', rowid FROM customers WHERE phone IS NULL
  UNION ALL SELECT 'customers', 'country', rowid FROM customers WHERE country IS NULL
  UNION ALL SELECT 'customers', 'signup_date', rowid FROM customers WHERE signup_date IS NULL
  UNION ALL SELECT 'products', 'name', rowid FROM products WHERE name IS NULL
  UNION ALL SELECT 'products', 'category', rowid FROM products WHERE category IS NULL
  UNION ALL SELECT 'products', 'price', rowid FROM products WHERE price IS NULL
  UNION ALL SELECT 'orders', 'customer_id', rowid FROM orders WHERE customer_id IS NULL
  UNION ALL SELECT 'orders', 'product_id', rowid FROM orders WHERE product_id IS NULL
  UNION ALL SELECT 'orders', 'quantity', rowid FROM orders WHERE quantity IS NULL
  UNION ALL SELECT 'orders', 'amount', rowid FROM orders WHERE amount IS NULL
  UNION ALL SELECT 'orders', 'order_date', rowid FROM orders WHERE order_date IS NULL
)
SELECT table_name, column_name, COUNT(*) AS null_count, json_group_array(row_id) AS row_ids
FROM nulls
WHERE table_name || '.' || column_name NOT IN :nullable_columns
GROUP BY table_name, column_name
ORDER BY table_name, column_name
