-- The box marks files as started in batches before their first byte goes out, so a restart
-- knows which files may already be on the hub without one database commit per file: those
-- are asked for by plain creation (the hub answers with the same upload and its offset),
-- the rest go up with their first chunk in the creation request.
ALTER TABLE upload_file ADD COLUMN started_at TEXT;
