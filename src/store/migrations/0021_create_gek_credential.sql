-- Hub: the personal credentials of ГЭК members, enrolled by РЦОИ (`ppe hub gek enroll`),
-- never by a point's staff. Only the public part is kept. One active credential per member
-- and kind; a revoked one stays for the record.
CREATE TABLE gek_credential (
    id INTEGER PRIMARY KEY,
    worker_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('key_file')),
    public_key TEXT NOT NULL,
    enrolled_by TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;
CREATE UNIQUE INDEX gek_credential_active ON gek_credential (worker_id, kind) WHERE revoked_at IS NULL;

-- Hub: one-time challenges handed to a box for one ГЭК proof (key release).
CREATE TABLE gek_challenge (
    challenge TEXT PRIMARY KEY,
    ppe_code TEXT NOT NULL,
    exam_id TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
) STRICT;

-- Hub: who released (the ГЭК member's worker id) alongside to whom (the box).
ALTER TABLE hub_key_release ADD COLUMN gek_worker_id TEXT;
