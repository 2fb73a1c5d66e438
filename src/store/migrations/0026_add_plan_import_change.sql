-- Plan changes under control (issue #16 item 8): every import record keeps who imported,
-- which tables of the file were taken, the scope (a ТУ, chosen tables), the changes by key
-- (no names), the reason and official letter, and the refusals overridden with --force.
ALTER TABLE plan_import ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE plan_import ADD COLUMN tables TEXT NOT NULL DEFAULT '';
ALTER TABLE plan_import ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE plan_import ADD COLUMN diff TEXT NOT NULL DEFAULT '{}';
ALTER TABLE plan_import ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE plan_import ADD COLUMN letter TEXT NOT NULL DEFAULT '';
ALTER TABLE plan_import ADD COLUMN forced TEXT NOT NULL DEFAULT '[]';
