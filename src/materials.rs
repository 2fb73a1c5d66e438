//! Encrypted exam materials: the package format, the signed manifest and every check the box
//! makes before it trusts a byte. Pure: no network, no disk (see `pull`, `publish`, `store`).
//!
//! A package is one per (exam, exam point). Each file is encrypted with AES-256-GCM in chunks
//! under a STREAM construction: nonce = 7-byte per-file prefix ‖ 32-bit chunk counter ‖
//! last-chunk flag, and the file's identity (package, exam, exam point, version, name, length)
//! is the AAD of every chunk, so truncation, reordering, dropping the tail and swapping chunks
//! or whole files between files or packages all fail authentication. The manifest is
//! canonical JSON signed by the hub's Ed25519 key.

pub mod activation;
pub mod cli;
mod download;
pub mod hub_meta;
pub mod hub_publish;
pub mod documents;
mod kind;
pub use kind::{PackageKind, DOCUMENTS_SUFFIX};
pub mod ops;
pub mod phone_code;
pub mod pull;
pub mod release;
pub mod scheduler;
pub mod store;
pub mod variants;
pub mod wrap;

use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use pull::open_decrypted;

/// The format tag written into every manifest; a box refuses any other.
pub const FORMAT: &str = "ppe-materials-1";
/// AES-GCM tag length appended to every chunk.
pub const TAG_LEN: usize = 16;
/// Bytes of the per-file random nonce prefix.
pub const NONCE_PREFIX_LEN: usize = 7;
/// Plaintext bytes per chunk by default: large enough that the per-chunk tag costs nothing,
/// small enough that a box holds only one chunk in memory.
pub const DEFAULT_CHUNK_SIZE: u32 = 1 << 20;
/// The largest chunk a box accepts (it holds two in memory while it decrypts).
pub const MAX_CHUNK_SIZE: u32 = 64 << 20;
/// The most bytes of a manifest the box reads: thousands of file entries fit; a longer (or
/// endless) answer is refused after this many bytes, never buffered whole.
pub const MANIFEST_MAX_BYTES: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum MaterialsError {
    #[error("подпись манифеста неверна: пакет не от РЦОИ или изменён (manifest signature invalid)")]
    BadSignature,
    #[error("манифест неизвестного формата {found:?} (ожидался {FORMAT})")]
    UnknownFormat { found: String },
    #[error("пакет предназначен для ППЭ {found}, а это ППЭ {expected} (package for another exam point)")]
    WrongExamPoint { expected: String, found: String },
    #[error("пакет относится к экзамену {found}, а запрошен {expected}")]
    WrongExam { expected: String, found: String },
    #[error("версия пакета {found} старше уже полученной {seen} (rollback refused)")]
    Rollback { found: u64, seen: u64 },
    #[error("срок действия манифеста истёк {expires} (по времени РЦОИ {now}; freeze refused)")]
    Expired { expires: String, now: String },
    #[error("файл {name}: данных больше, чем указано в манифесте ({limit} байт; endless data refused)")]
    TooLong { name: String, limit: u64 },
    #[error("манифест длиннее {limit} байт: ответ отвергнут, не дочитан (endless data refused)")]
    ManifestTooLong { limit: u64 },
    #[error("файл {name}: длина {found} байт, в манифесте {expected}")]
    LengthMismatch { name: String, expected: u64, found: u64 },
    #[error("файл {name}: SHA-256 не совпадает с манифестом (повреждён или из другого пакета)")]
    HashMismatch { name: String },
    #[error("файл {name}: блок {chunk} не прошёл проверку подлинности (изменён, переставлен, обрезан или из другого файла)")]
    ChunkRejected { name: String, chunk: u64 },
    #[error("файл {name}: нет в манифесте пакета")]
    NotInManifest { name: String },
    #[error("манифест некорректен: {0}")]
    Malformed(String),
    #[error("ключ пакета не подходит: {0}")]
    BadKey(String),
    #[error("ввод-вывод: {0}")]
    Io(#[from] std::io::Error),
}

/// One encrypted file of a package, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// File name as published (no folders).
    pub name: String,
    /// `kim`, `instruction`, `template`, … (from the file name; informative).
    pub role: String,
    /// The КИМ variant of a `kim` file (absent in old packages: their one КИМ is variant 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<u16>,
    pub plain_len: u64,
    pub cipher_len: u64,
    pub plain_sha256: String,
    pub cipher_sha256: String,
    pub chunk_size: u32,
    /// Hex of the per-file nonce prefix.
    pub nonce_prefix: String,
}

impl FileEntry {
    /// Where the ciphertext lives under the package folder: content-addressed, so mirrors can
    /// cache forever and a re-publish never overwrites what a box is still downloading.
    pub fn cipher_file_name(&self) -> String {
        format!("{}.enc", self.cipher_sha256)
    }
}

/// What the hub signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub package_id: String,
    pub exam_id: String,
    pub ppe_code: String,
    /// Only grows per (exam, exam point); a box refuses anything older than it has seen.
    pub version: u64,
    pub created: String,
    /// After this instant (hub time) the manifest is refused: a frozen mirror cannot serve it.
    pub expires: String,
    pub window_open: String,
    pub window_close: String,
    /// What the package holds; absent (every manifest before kinds) is a КИМ package.
    #[serde(default, skip_serializing_if = "PackageKind::is_kim")]
    pub kind: PackageKind,
    pub files: Vec<FileEntry>,
}

impl Manifest {
    pub fn file(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// A manifest with the hub's signature over its canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedManifest {
    pub manifest: Manifest,
    /// Ed25519 over [`canonical_json`] of `manifest`, hex.
    pub signature: String,
}

/// Canonical JSON: object keys sorted (serde_json's `Value` map is ordered without the
/// `preserve_order` feature), no whitespace. Signatures are always over these bytes.
pub fn canonical_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_value(value).and_then(|v| serde_json::to_vec(&v)).unwrap_or_default()
}

pub fn sign_manifest(manifest: Manifest, hub_key: &ring::signature::Ed25519KeyPair) -> SignedManifest {
    let signature = crate::keys::sign_hex(hub_key, &canonical_json(&manifest));
    SignedManifest { manifest, signature }
}

/// What the box expects of a manifest.
#[derive(Debug, Clone)]
pub struct Expectation<'a> {
    pub hub_public_key: &'a str,
    pub exam_id: &'a str,
    pub ppe_code: &'a str,
    /// The highest version this box has accepted for this exam, if any.
    pub last_seen_version: Option<u64>,
    /// The hub's time as best known (never the box clock alone).
    pub hub_now: DateTime<Utc>,
}

/// Every manifest-level check, in order: signature first (nothing unsigned is even read),
/// then format, exam, exam point, version, expiry, and the shape of each file entry.
pub fn verify_manifest(signed: &SignedManifest, expect: &Expectation<'_>) -> Result<(), MaterialsError> {
    let m = &signed.manifest;
    if !crate::keys::verify_ed25519(expect.hub_public_key, &canonical_json(m), &signed.signature) {
        return Err(MaterialsError::BadSignature);
    }
    if m.format != FORMAT {
        return Err(MaterialsError::UnknownFormat { found: m.format.clone() });
    }
    if m.exam_id != expect.exam_id {
        return Err(MaterialsError::WrongExam { expected: expect.exam_id.into(), found: m.exam_id.clone() });
    }
    if m.ppe_code != expect.ppe_code {
        return Err(MaterialsError::WrongExamPoint { expected: expect.ppe_code.into(), found: m.ppe_code.clone() });
    }
    if PackageKind::of_scope(&m.exam_id).1 != m.kind {
        return Err(MaterialsError::Malformed(format!("{} по адресу {}: вид пакета не совпадает с адресом", m.kind.title_ru(), m.exam_id)));
    }
    if let Some(seen) = expect.last_seen_version {
        if m.version < seen {
            return Err(MaterialsError::Rollback { found: m.version, seen });
        }
    }
    let expires = parse_time(&m.expires)?;
    if expect.hub_now >= expires {
        return Err(MaterialsError::Expired { expires: m.expires.clone(), now: expect.hub_now.to_rfc3339() });
    }
    let mut names = std::collections::HashSet::new();
    for f in &m.files {
        if f.name.is_empty() || f.name.contains('/') || f.name.contains('\\') || f.name.starts_with('.') || !names.insert(f.name.as_str()) {
            return Err(MaterialsError::Malformed(format!("недопустимое или повторное имя файла {:?}", f.name)));
        }
        // Checked: near u64::MAX the sum overflowed; a chunk is held in memory twice.
        let cipher_len =
            (f.chunk_size > 0).then(|| chunk_count(f.plain_len, f.chunk_size)).and_then(|n| n.checked_mul(TAG_LEN as u64)?.checked_add(f.plain_len));
        if f.chunk_size == 0 || f.chunk_size > MAX_CHUNK_SIZE || cipher_len != Some(f.cipher_len) {
            return Err(MaterialsError::Malformed(format!("файл {}: длины не согласованы с размером блока", f.name)));
        }
        if hex::decode(&f.nonce_prefix).map(|p| p.len()).unwrap_or(0) != NONCE_PREFIX_LEN
            || f.cipher_sha256.len() != 64
            || !f.cipher_sha256.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(MaterialsError::Malformed(format!("файл {}: неверный префикс nonce или хеш", f.name)));
        }
    }
    variants::check_manifest_variants(&m.files)
}

pub fn parse_time(text: &str) -> Result<DateTime<Utc>, MaterialsError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| MaterialsError::Malformed(format!("время {text:?}: {e}")))
}

/// Number of chunks for a plaintext length (an empty file still has one, authenticated, chunk).
pub fn chunk_count(plain_len: u64, chunk_size: u32) -> u64 {
    plain_len.div_ceil(u64::from(chunk_size)).max(1)
}

pub fn cipher_len_for(plain_len: u64, chunk_size: u32) -> u64 {
    plain_len + chunk_count(plain_len, chunk_size) * TAG_LEN as u64
}

/// The identity of a file bound into every chunk as AAD: moving a chunk or a file to another
/// file, package or version makes its tag fail.
pub fn file_aad(m: &Manifest, f: &FileEntry) -> Vec<u8> {
    canonical_json(&serde_json::json!([FORMAT, m.package_id, m.exam_id, m.ppe_code, m.version, f.name, f.plain_len, f.chunk_size]))
}

/// Per-file parameters of the STREAM construction.
pub struct StreamParams<'a> {
    pub key: &'a [u8; 32],
    pub nonce_prefix: [u8; NONCE_PREFIX_LEN],
    pub aad: &'a [u8],
    pub chunk_size: u32,
}

fn nonce_for(prefix: &[u8; NONCE_PREFIX_LEN], counter: u64, last: bool) -> Result<Nonce, MaterialsError> {
    let counter = u32::try_from(counter).map_err(|_| MaterialsError::Malformed("слишком много блоков".into()))?;
    let mut n = [0u8; 12];
    n[..NONCE_PREFIX_LEN].copy_from_slice(prefix);
    n[NONCE_PREFIX_LEN..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Ok(Nonce::assume_unique_for_key(n))
}

fn aead_key(key: &[u8; 32]) -> Result<LessSafeKey, MaterialsError> {
    UnboundKey::new(&AES_256_GCM, key).map(LessSafeKey::new).map_err(|_| MaterialsError::BadKey("не 32 байта".into()))
}

/// Totals of one pass over a file (both sides hash while they stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTotals {
    pub plain_len: u64,
    pub plain_sha256: String,
    pub cipher_len: u64,
    pub cipher_sha256: String,
}

/// Fills `buf` from `r` as far as the stream allows; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Encrypts a whole stream chunk by chunk, hashing plaintext and ciphertext in the same pass.
pub fn encrypt_stream(p: &StreamParams<'_>, mut input: impl Read, mut output: impl Write) -> Result<StreamTotals, MaterialsError> {
    let key = aead_key(p.key)?;
    let chunk = p.chunk_size as usize;
    let mut cur = vec![0u8; chunk + TAG_LEN];
    let mut next = vec![0u8; chunk + TAG_LEN];
    let (mut plain_hash, mut cipher_hash) = (Sha256::new(), Sha256::new());
    let (mut plain_len, mut cipher_len) = (0u64, 0u64);
    let mut cur_len = read_full(&mut input, &mut cur[..chunk])?;
    let mut counter = 0u64;
    loop {
        let next_len = if cur_len == chunk { read_full(&mut input, &mut next[..chunk])? } else { 0 };
        let last = next_len == 0;
        plain_hash.update(&cur[..cur_len]);
        plain_len += cur_len as u64;
        let mut buf = cur[..cur_len].to_vec();
        key.seal_in_place_append_tag(nonce_for(&p.nonce_prefix, counter, last)?, Aad::from(p.aad), &mut buf)
            .map_err(|_| MaterialsError::BadKey("шифрование не удалось".into()))?;
        cipher_hash.update(&buf);
        cipher_len += buf.len() as u64;
        output.write_all(&buf)?;
        if last {
            break;
        }
        std::mem::swap(&mut cur, &mut next);
        cur_len = next_len;
        counter += 1;
    }
    output.flush()?;
    Ok(StreamTotals {
        plain_len,
        plain_sha256: hex::encode(plain_hash.finalize()),
        cipher_len,
        cipher_sha256: hex::encode(cipher_hash.finalize()),
    })
}

/// Decrypts and authenticates a whole file against its manifest entry. Output is written
/// chunk by chunk as each chunk authenticates; the caller must discard the output unless this
/// returns `Ok` (the last chunk's flag and the plaintext hash are only known at the end).
pub fn decrypt_stream(m: &Manifest, f: &FileEntry, key_bytes: &[u8; 32], mut input: impl Read, mut output: impl Write) -> Result<u64, MaterialsError> {
    let key = aead_key(key_bytes)?;
    let prefix: [u8; NONCE_PREFIX_LEN] = hex::decode(&f.nonce_prefix)
        .ok()
        .and_then(|p| p.try_into().ok())
        .ok_or_else(|| MaterialsError::Malformed(format!("файл {}: префикс nonce", f.name)))?;
    let aad = file_aad(m, f);
    let full = f.chunk_size as usize + TAG_LEN;
    // Chunks are decrypted in place: wiped when dropped, like the caller's output.
    let mut cur = zeroize::Zeroizing::new(vec![0u8; full]);
    let mut next = zeroize::Zeroizing::new(vec![0u8; full]);
    let mut cur_len = read_full(&mut input, &mut cur)?;
    let mut plain_hash = Sha256::new();
    let mut plain_len = 0u64;
    let mut counter = 0u64;
    loop {
        let next_len = if cur_len == full { read_full(&mut input, &mut next)? } else { 0 };
        let last = next_len == 0;
        if plain_len + cur_len.saturating_sub(TAG_LEN) as u64 > f.plain_len {
            return Err(MaterialsError::TooLong { name: f.name.clone(), limit: f.cipher_len });
        }
        let plain = key
            .open_in_place(nonce_for(&prefix, counter, last)?, Aad::from(&aad), &mut cur[..cur_len])
            .map_err(|_| MaterialsError::ChunkRejected { name: f.name.clone(), chunk: counter })?;
        plain_hash.update(&*plain);
        plain_len += plain.len() as u64;
        output.write_all(plain)?;
        if last {
            break;
        }
        std::mem::swap(&mut cur, &mut next);
        cur_len = next_len;
        counter += 1;
    }
    if plain_len != f.plain_len {
        return Err(MaterialsError::LengthMismatch { name: f.name.clone(), expected: f.plain_len, found: plain_len });
    }
    if hex::encode(plain_hash.finalize()) != f.plain_sha256 {
        return Err(MaterialsError::HashMismatch { name: f.name.clone() });
    }
    Ok(plain_len)
}

/// A file's role from its name (informative: the printing side picks files by role).
pub fn role_for_file_name(name: &str) -> &'static str {
    let lower = name.to_lowercase();
    if lower.contains("kim") || lower.contains("ким") {
        "kim"
    } else if lower.contains("instr") || lower.contains("инструк") {
        "instruction"
    } else if lower.contains("templ") || lower.contains("бланк") || lower.contains("шаблон") {
        "template"
    } else {
        "other"
    }
}

/// Checks one downloaded ciphertext against its entry (length first: endless data).
pub fn verify_cipher_file(f: &FileEntry, len: u64, sha256_hex: &str) -> Result<(), MaterialsError> {
    if len > f.cipher_len {
        return Err(MaterialsError::TooLong { name: f.name.clone(), limit: f.cipher_len });
    }
    if len != f.cipher_len {
        return Err(MaterialsError::LengthMismatch { name: f.name.clone(), expected: f.cipher_len, found: len });
    }
    if sha256_hex != f.cipher_sha256 {
        return Err(MaterialsError::HashMismatch { name: f.name.clone() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn hub_key() -> ring::signature::Ed25519KeyPair {
        crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap()
    }

    fn package(files: &[(&str, Vec<u8>)], chunk: u32, key: &[u8; 32]) -> (Manifest, Vec<Vec<u8>>) {
        let mut m = Manifest {
            format: FORMAT.into(),
            package_id: "p1".into(),
            exam_id: "ege-02".into(),
            ppe_code: "0101".into(),
            version: 3,
            created: "2027-05-20T00:00:00Z".into(),
            expires: "2027-05-28T00:00:00Z".into(),
            window_open: "2027-05-27T02:00:00Z".into(),
            window_close: "2027-05-27T04:00:00Z".into(),
            kind: PackageKind::Kim,
            files: vec![],
        };
        let mut ciphers = vec![];
        for (i, (name, plain)) in files.iter().enumerate() {
            let mut f = FileEntry {
                name: (*name).into(),
                role: "kim".into(),
                variant: Some(i as u16 + 1),
                plain_len: plain.len() as u64,
                cipher_len: 0,
                plain_sha256: String::new(),
                cipher_sha256: String::new(),
                chunk_size: chunk,
                nonce_prefix: hex::encode([i as u8; NONCE_PREFIX_LEN]),
            };
            let aad = file_aad(&m, &f);
            let mut out = vec![];
            let t = encrypt_stream(&StreamParams { key, nonce_prefix: [i as u8; NONCE_PREFIX_LEN], aad: &aad, chunk_size: chunk }, &plain[..], &mut out).unwrap();
            f.cipher_len = t.cipher_len;
            f.cipher_sha256 = t.cipher_sha256;
            f.plain_sha256 = t.plain_sha256;
            m.files.push(f);
            ciphers.push(out);
        }
        (m, ciphers)
    }

    fn expect<'a>(public: &'a str) -> Expectation<'a> {
        Expectation {
            hub_public_key: public,
            exam_id: "ege-02",
            ppe_code: "0101",
            last_seen_version: Some(3),
            hub_now: parse_time("2027-05-27T02:30:00Z").unwrap(),
        }
    }

    #[test]
    fn manifest_checks_reject_each_attack_with_its_own_reason() {
        let key = hub_key();
        let public = crate::keys::ed25519_public_hex(&key);
        let (m, _) = package(&[("kim.pdf", b"hello".to_vec())], 4, &[7; 32]);
        let signed = sign_manifest(m.clone(), &key);
        verify_manifest(&signed, &expect(&public)).unwrap();

        let mut tampered = signed.clone();
        tampered.manifest.version = 9;
        assert!(matches!(verify_manifest(&tampered, &expect(&public)), Err(MaterialsError::BadSignature)));

        let mut other = m.clone();
        other.ppe_code = "0202".into();
        assert!(matches!(verify_manifest(&sign_manifest(other, &key), &expect(&public)), Err(MaterialsError::WrongExamPoint { .. })));

        let mut old = m.clone();
        old.version = 2;
        let err = verify_manifest(&sign_manifest(old, &key), &expect(&public)).unwrap_err();
        assert!(err.to_string().contains("rollback"), "{err}");

        let mut frozen = m.clone();
        frozen.expires = "2027-05-27T02:00:00Z".into();
        assert!(matches!(verify_manifest(&sign_manifest(frozen, &key), &expect(&public)), Err(MaterialsError::Expired { .. })));

        let mut traversal = m.clone();
        traversal.files[0].name = "../etc".into();
        assert!(matches!(verify_manifest(&sign_manifest(traversal, &key), &expect(&public)), Err(MaterialsError::Malformed(_))));
    }

    /// Found writing the package_manifest fuzz target: `plain_len` near u64::MAX overflowed
    /// the length check (a panic in a debug build, a wrapped sum in a release one), and a
    /// 4 GiB `chunk_size` made the box allocate two such buffers.
    #[test]
    fn manifest_lengths_near_the_limits_are_refused_not_overflowed() {
        let key = hub_key();
        let public = crate::keys::ed25519_public_hex(&key);
        let (m, _) = package(&[("kim.pdf", b"hello".to_vec())], 4, &[7; 32]);
        for (plain_len, chunk_size, cipher_len) in [(u64::MAX, 1, u64::MAX), (u64::MAX - 15, 1 << 20, 0), (0, u32::MAX, TAG_LEN as u64), (0, 0, 16)] {
            let mut big = m.clone();
            (big.files[0].plain_len, big.files[0].chunk_size, big.files[0].cipher_len) = (plain_len, chunk_size, cipher_len);
            let verdict = verify_manifest(&sign_manifest(big, &key), &expect(&public));
            assert!(matches!(verdict, Err(MaterialsError::Malformed(_))), "{plain_len} {chunk_size}: {verdict:?}");
        }
        let mut largest = m.clone();
        largest.files[0].chunk_size = MAX_CHUNK_SIZE;
        largest.files[0].cipher_len = cipher_len_for(5, MAX_CHUNK_SIZE);
        verify_manifest(&sign_manifest(largest, &key), &expect(&public)).unwrap();
    }

    #[test]
    fn truncated_reordered_swapped_and_flipped_chunks_fail() {
        let key = [9u8; 32];
        let a: Vec<u8> = (0..100u8).collect();
        let b: Vec<u8> = (100..200u8).collect();
        let (m, c) = package(&[("a.pdf", a.clone()), ("b.pdf", b)], 16, &key);
        let full = 16 + TAG_LEN;
        let mut out = vec![];
        decrypt_stream(&m, &m.files[0], &key, &c[0][..], &mut out).unwrap();
        assert_eq!(out, a);
        // Dropped tail at a chunk boundary: the new last chunk lacks the last flag.
        let cut = &c[0][..full * 3];
        assert!(matches!(decrypt_stream(&m, &m.files[0], &key, cut, vec![]), Err(MaterialsError::ChunkRejected { chunk: 2, .. })));
        // Reordered chunks.
        let mut re = c[0].clone();
        let (x, y) = re.split_at_mut(full);
        x.swap_with_slice(&mut y[..full]);
        assert!(matches!(decrypt_stream(&m, &m.files[0], &key, &re[..], vec![]), Err(MaterialsError::ChunkRejected { chunk: 0, .. })));
        // A chunk of file b placed into file a (same position).
        let mut swapped = c[0].clone();
        swapped[..full].copy_from_slice(&c[1][..full]);
        assert!(matches!(decrypt_stream(&m, &m.files[0], &key, &swapped[..], vec![]), Err(MaterialsError::ChunkRejected { chunk: 0, .. })));
        // Whole file b under a's entry.
        assert!(decrypt_stream(&m, &m.files[0], &key, &c[1][..], vec![]).is_err());
        // A flipped byte.
        let mut flipped = c[0].clone();
        flipped[40] ^= 1;
        assert!(matches!(decrypt_stream(&m, &m.files[0], &key, &flipped[..], vec![]), Err(MaterialsError::ChunkRejected { chunk: 1, .. })));
        // Appended data (endless).
        let mut longer = c[0].clone();
        longer.extend_from_slice(&c[0][..full]);
        assert!(decrypt_stream(&m, &m.files[0], &key, &longer[..], vec![]).is_err());
        assert!(matches!(verify_cipher_file(&m.files[0], longer.len() as u64, ""), Err(MaterialsError::TooLong { .. })));
    }

    #[test]
    fn file_of_another_version_fails_even_with_the_same_key() {
        let key = [1u8; 32];
        let (m, c) = package(&[("kim.pdf", vec![5; 50])], 16, &key);
        let mut m2 = m.clone();
        m2.version = 4;
        // The version is in every chunk's associated data: the very first chunk is refused
        // (not a length or hash check that would pass a re-versioned file of the same size).
        assert!(matches!(decrypt_stream(&m2, &m2.files[0], &key, &c[0][..], vec![]), Err(MaterialsError::ChunkRejected { chunk: 0, .. })));
        let mut same = vec![];
        decrypt_stream(&m, &m.files[0], &key, &c[0][..], &mut same).unwrap();
        assert_eq!(same, vec![5; 50], "the original version still opens");
    }

    /// JSON text of `v` with the keys of every object written in reverse order.
    fn json_with_reversed_keys(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Object(map) => {
                let fields: Vec<String> = map.iter().rev().map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), json_with_reversed_keys(v))).collect();
                format!("{{{}}}", fields.join(","))
            }
            serde_json::Value::Array(items) => format!("[{}]", items.iter().map(json_with_reversed_keys).collect::<Vec<_>>().join(",")),
            other => other.to_string(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn round_trip_any_length_and_chunk(plain in proptest::collection::vec(any::<u8>(), 0..600), chunk in 1u32..70, flip in any::<prop::sample::Index>()) {
            let key = [3u8; 32];
            let (m, c) = package(&[("f.pdf", plain.clone())], chunk, &key);
            prop_assert_eq!(c[0].len() as u64, cipher_len_for(plain.len() as u64, chunk));
            let mut out = vec![];
            decrypt_stream(&m, &m.files[0], &key, &c[0][..], &mut out).unwrap();
            prop_assert_eq!(&out, &plain);
            let mut bad = c[0].clone();
            let i = flip.index(bad.len());
            bad[i] ^= 0x80;
            prop_assert!(decrypt_stream(&m, &m.files[0], &key, &bad[..], vec![]).is_err());
            let cut = flip.index(c[0].len());
            prop_assert!(decrypt_stream(&m, &m.files[0], &key, &c[0][..cut], vec![]).is_err());
        }

        #[test]
        fn canonical_json_is_stable_under_field_order(version in 0u64..1000, name in "[a-z]{1,8}") {
            let (mut m, _) = package(&[("kim.pdf", vec![1; 20]), ("instr.pdf", vec![2; 5])], 8, &[0; 32]);
            m.version = version;
            m.package_id = name;
            let text = String::from_utf8(canonical_json(&m)).unwrap();
            // The same manifest written with every object's keys in reverse order (as another
            // producer might) reads back to the same canonical bytes.
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let reversed = json_with_reversed_keys(&value);
            prop_assert_ne!(&reversed, &text, "the permuted text differs from the canonical one");
            let back: Manifest = serde_json::from_str(&reversed).unwrap();
            prop_assert_eq!(canonical_json(&back), text.into_bytes());
        }
    }
}
