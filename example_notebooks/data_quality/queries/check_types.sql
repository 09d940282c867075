-- Verify data types. SQLite stores any value in any column, so a text 'n/a' can sit in a REAL
-- column: compare what typeof() finds with the declared type. DATE columns must hold ISO dates
-- (YYYY-MM-DD). Nulls are the null check's business. Not listed: TEXT columns (SQLite turns a
-- number stored there into text) and INTEGER PRIMARY KEYs (the rowid, always an integer).
WITH bad (table_name, column_name, declared_type, value) AS (
  SELECT 'customers', 'signup_date', 'DATE', signup_date FROM customers
    WHERE typeof(signup_date) != 'text' OR date(signup_date) IS NOT signup_date
  UNION ALL SELECT 'products', 'price', 'REAL', price FROM products
    WHERE typeof(price) NOT IN ('real', 'integer')
  UNION ALL SELECT 'orders', 'customer_id', 'INTEGER', customer_id FROM orders
    WHERE typeof(customer_id) != 'integer'
  UNION ALL SELECT 'orders', 'product_id', 'INTEGER', product_id FROM orders
    WHERE typeof(product_id) != 'integer'
  UNION ALL SELECT 'orders', 'quantity', 'INTEGER', quantity FROM orders
    WHERE typeof(quantity) != 'integer'
  UNION ALL SELECT 'orders', 'amount', 'REAL', amount FROM orders
    WHERE typeof(amount) NOT IN ('real', 'integer')
  UNION ALL SELECT 'orders', 'order_date', 'DATE', order_date FROM orders
    WHERE typeof(order_date) != 'text' OR date(order_date) IS NOT order_date
)
SELECT table_name, column_name, declared_type, COUNT(*) AS error_count,
       json_group_array(value) AS bad_values
FROM bad
WHERE value IS NOT NULL
GROUP BY table_name, column_name
ORDER BY table_name, column_name
