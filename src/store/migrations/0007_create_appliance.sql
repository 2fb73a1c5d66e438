-- The appliance: materials handed out and taken back in the staff room (scanned with the
-- serial barcode reader), and the retention wipes done per exam.

-- One row per scan of a sheet code at the staff room desk. A code is issued to an auditorium
-- once and returned once; repeats are refused by the key, so a double scan is harmless.
CREATE TABLE materials_movement (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    auditorium TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('issue', 'return')),
    sheet_kind TEXT NOT NULL,
    sheet_number INTEGER NOT NULL,
    code TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    UNIQUE (exam_id, ppe_code, sheet_kind, sheet_number, direction)
) STRICT;
CREATE INDEX materials_movement_room ON materials_movement(exam_id, auditorium, direction);

-- What retention has removed: `materials` (decrypted files in the tmpfs) and `personal`
-- (participants' records and workers' personal fields).
CREATE TABLE retention_wipe (
    exam_id TEXT NOT NULL,
    what TEXT NOT NULL CHECK (what IN ('materials', 'personal')),
    at TEXT NOT NULL,
    details TEXT NOT NULL,
    PRIMARY KEY (exam_id, what)
) STRICT;
