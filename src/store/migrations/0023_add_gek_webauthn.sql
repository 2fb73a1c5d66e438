-- Hub: ГЭК members' hardware security keys (WebAuthn passkeys) as a second credential kind
-- (`public_key` then holds the webauthn-rs passkey as JSON: credential id, COSE key, counter).
-- SQLite cannot widen a CHECK, so the table is rebuilt with its rows.
CREATE TABLE gek_credential_new (
    id INTEGER PRIMARY KEY,
    worker_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('key_file', 'webauthn')),
    public_key TEXT NOT NULL,
    enrolled_by TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;
INSERT INTO gek_credential_new (id, worker_id, kind, public_key, enrolled_by, enrolled_at, revoked_at)
    SELECT id, worker_id, kind, public_key, enrolled_by, enrolled_at, revoked_at FROM gek_credential;
DROP TABLE gek_credential;
ALTER TABLE gek_credential_new RENAME TO gek_credential;
CREATE UNIQUE INDEX gek_credential_active ON gek_credential (worker_id, kind) WHERE revoked_at IS NULL;

-- A challenge for a security key is issued for one member and one key request (the box's
-- ephemeral public key) and keeps webauthn-rs's authentication state until it is used.
ALTER TABLE gek_challenge ADD COLUMN worker_id TEXT;
ALTER TABLE gek_challenge ADD COLUMN box_public TEXT;
ALTER TABLE gek_challenge ADD COLUMN webauthn_state TEXT;

-- Registrations started on the dashboard, waiting for the member's touch (one-time).
CREATE TABLE gek_registration (
    id TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL,
    state TEXT NOT NULL,
    started_by TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
