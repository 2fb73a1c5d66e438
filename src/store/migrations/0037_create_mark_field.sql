-- Marks read back from the scans of machine-read forms (ППЭ-18-МАШ, ППЭ-12-04-МАШ): one row
-- per field of a scanned page, what the reader decided, and a person's decision where the
-- reader could not take the value (ambiguous, or disagreeing with the box's own record).
CREATE TABLE mark_field (
    page_id TEXT NOT NULL REFERENCES scanned_page(page_id),
    exam_id TEXT NOT NULL,
    form TEXT NOT NULL,
    holder TEXT NOT NULL,
    sheet_number INTEGER NOT NULL,
    -- 0-based page of the form (its sheet number minus the form's first).
    page_index INTEGER NOT NULL,
    field TEXT NOT NULL,
    label TEXT NOT NULL,
    -- 'time', 'yes_no', or 'page' (the page could not be read at all).
    kind TEXT NOT NULL,
    value TEXT,
    -- 'read', 'empty', 'ambiguous', 'disagrees'
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    resolved_value TEXT,
    resolved_by TEXT,
    resolved_at TEXT,
    PRIMARY KEY (page_id, field)
);
CREATE INDEX mark_field_exam ON mark_field(exam_id, form, holder);
