CREATE TABLE sale(city TEXT, item TEXT, qty INTEGER, price REAL);
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 2000)
INSERT INTO sale SELECT
  CASE i % 5 WHEN 0 THEN 'Oslo' WHEN 1 THEN 'Lima' WHEN 2 THEN 'Pune' WHEN 3 THEN 'Kyiv' ELSE 'Doha' END,
  'item' || (i % 13), (i * 7) % 31, ((i * 37) % 1000) / 10.0
FROM k;
CREATE INDEX sale_city ON sale(city);
SELECT city, count(*), sum(qty), printf('%.2f', sum(qty * price)) FROM sale GROUP BY city ORDER BY city;
SELECT item, max(price) FROM sale WHERE city = 'Pune' GROUP BY item ORDER BY 2 DESC, 1 LIMIT 3;
SELECT a.city, b.city, count(*) FROM sale a JOIN sale b ON a.item = b.item AND a.qty = b.qty
  WHERE a.rowid < b.rowid GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 4;
SELECT upper('done'), length(group_concat(item)) FROM sale;
