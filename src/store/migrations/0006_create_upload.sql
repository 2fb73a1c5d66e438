-- Scanning and upload (issue 6). Box side: scanned pages and their matching, the upload's
-- per-file progress and the hub's receipt. Hub side: box signing keys from enrollment, tus
-- uploads in progress and done, bundles accepted with their receipts.

-- Box: every page taken in, stored content-addressed under state_dir/scans/<exam_id>/.
CREATE TABLE scanned_page (
    page_id TEXT PRIMARY KEY,
    exam_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    path TEXT NOT NULL,
    source TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    code_text TEXT,
    sheet_kind TEXT,
    sheet_number INTEGER,
    participant_id TEXT,
    -- matched | unreadable | forged | other_exam | duplicate | unexpected
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    resolved_by TEXT,
    UNIQUE (exam_id, sha256)
) STRICT;
CREATE INDEX scanned_page_sheet ON scanned_page(exam_id, sheet_kind, sheet_number);

-- Box: the files of a built bundle and how far each got to the hub.
CREATE TABLE upload_file (
    exam_id TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    upload_url TEXT,
    completed_at TEXT,
    PRIMARY KEY (exam_id, name)
) STRICT;

-- Box: the hub's signed receipt for a bundle (nothing is deleted on the box before it).
CREATE TABLE upload_receipt (
    exam_id TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    receipt_json TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, manifest_sha256)
) STRICT;

-- Hub: each box's Ed25519 public key, registered at enrollment.
CREATE TABLE box_key (
    ppe_code TEXT PRIMARY KEY,
    ed25519_public_hex TEXT NOT NULL,
    registered_at TEXT NOT NULL
) STRICT;

-- Hub: tus uploads. `upload_offset` only grows after the bytes are fsynced.
CREATE TABLE tus_upload (
    upload_id TEXT PRIMARY KEY,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    declared_sha256 TEXT NOT NULL,
    upload_length INTEGER NOT NULL,
    upload_offset INTEGER NOT NULL DEFAULT 0,
    metadata_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    completed_at TEXT,
    stored_sha256 TEXT
) STRICT;
CREATE INDEX tus_upload_point ON tus_upload(exam_id, ppe_code, file_name);

-- Hub: bundles accepted, with the receipt the hub signed.
CREATE TABLE hub_bundle (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    via TEXT NOT NULL,
    file_count INTEGER NOT NULL,
    total_bytes INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    receipt_json TEXT NOT NULL,
    PRIMARY KEY (exam_id, ppe_code, manifest_sha256)
) STRICT;
