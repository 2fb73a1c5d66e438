-- Encrypted exam materials (issue 3): the hub's enrolled boxes, packages and key releases;
-- the box's accepted manifests, downloaded files, keys, clock offsets, activations, alarms;
-- local accounts (used by activation now, by the web UI later).

-- Hub: a box enrolled by `ppe hub enroll`, known by its client certificate's SHA-256.
CREATE TABLE hub_box (
    ppe_code TEXT PRIMARY KEY,
    cert_sha256 TEXT NOT NULL UNIQUE,
    signing_public_key TEXT NOT NULL,
    enrolled_at TEXT NOT NULL
) STRICT;

-- Hub: every published package version; the key stays on the hub.
CREATE TABLE hub_package (
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    package_id TEXT NOT NULL UNIQUE,
    package_key TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, ppe_code, version)
) STRICT;

-- Hub: every key request, released or refused.
CREATE TABLE hub_key_release (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    exam_id TEXT NOT NULL,
    ppe_code TEXT NOT NULL,
    package_id TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('released', 'refused')),
    reason TEXT NOT NULL
) STRICT;

-- Box: the highest manifest version ever accepted per exam (rollback protection survives
-- a re-pull of an older manifest from any source).
CREATE TABLE materials_manifest (
    exam_id TEXT PRIMARY KEY,
    ppe_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    package_id TEXT NOT NULL,
    manifest_json TEXT NOT NULL,
    accepted_at TEXT NOT NULL
) STRICT;

-- Box: ciphertext files verified against the accepted manifest.
CREATE TABLE materials_file (
    exam_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    name TEXT NOT NULL,
    cipher_sha256 TEXT NOT NULL,
    cipher_len INTEGER NOT NULL,
    verified_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, package_id, name)
) STRICT;

-- Box: a package key was received (the key itself lives only in tmpfs).
CREATE TABLE materials_key (
    exam_id TEXT PRIMARY KEY,
    package_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    hub_time TEXT NOT NULL
) STRICT;

-- Box: the hub's signed time against the box clock (offset = hub - box).
CREATE TABLE materials_clock_offset (
    id INTEGER PRIMARY KEY,
    observed_at TEXT NOT NULL,
    hub_time TEXT NOT NULL,
    offset_ms INTEGER NOT NULL
) STRICT;

-- Box: activation by a member of ГЭК (two-person rule); nothing decrypts without it.
CREATE TABLE materials_activation (
    exam_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    gek_worker_id TEXT NOT NULL,
    gek_login TEXT NOT NULL,
    pulled_by TEXT NOT NULL,
    activated_at TEXT NOT NULL,
    PRIMARY KEY (exam_id, package_id)
) STRICT;

-- Box: alarms (e.g. materials not received by the exam start), shown by `ppe edge status`.
CREATE TABLE materials_alarm (
    id INTEGER PRIMARY KEY,
    exam_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    UNIQUE (exam_id, kind)
) STRICT;

-- Local accounts of the box (src/accounts.rs).
CREATE TABLE account (
    login TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
) STRICT;
