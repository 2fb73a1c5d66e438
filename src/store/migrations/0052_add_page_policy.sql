-- The page policy (issue 22 item 3): how each scanned page was stored. `sha256` and `size` stay
-- those of the stored bytes (what the bundle names and the hub checks); the scanner's own bytes
-- are remembered by their hash, so the same file dropped again is known and the scanner's
-- spool is emptied of pages taken in.
ALTER TABLE scanned_page ADD COLUMN page_policy TEXT NOT NULL DEFAULT 'original';
ALTER TABLE scanned_page ADD COLUMN original_sha256 TEXT;
ALTER TABLE scanned_page ADD COLUMN original_size INTEGER;
CREATE INDEX scanned_page_original ON scanned_page(exam_id, original_sha256);
