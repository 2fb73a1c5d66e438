-- An exam's own windows (issue 18 item 6): moments relative to the exam date in local time
-- (`ЧЧ:ММ`, `+Д ЧЧ:ММ`, `-Д ЧЧ:ММ`; empty: the default of the kind and technology, `нет`: off).
ALTER TABLE exam ADD COLUMN materials_open_at TEXT NOT NULL DEFAULT '';
ALTER TABLE exam ADD COLUMN documents_open_at TEXT NOT NULL DEFAULT '';
ALTER TABLE exam ADD COLUMN upload_due_at TEXT NOT NULL DEFAULT '';
