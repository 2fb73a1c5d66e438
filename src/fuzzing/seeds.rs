//! Seeds made by the production encoders (a package encrypted and signed, a bundle manifest
//! and its receipt, a key release, sheet codes, a page image with its QR code, a WAV, a key
//! file), so a mutation starts from bytes the other end really sends. `tests/it/fuzzsmoke.rs`
//! adds the committed fixtures; `fuzz/seed.sh` writes all of them, and a demo run's files,
//! under `fuzz/corpus/<target>/`.

use base64::Engine;

use super::{fuzz_keys, fuzz_now};
use crate::materials::{self, FileEntry, Manifest, StreamParams};
use crate::protocol::bundle;
use crate::sheet_code::{encode, encode_with_variant, SheetId, SheetKind};

/// The generated seeds of one target (empty for a name not in [`super::TARGETS`]).
pub fn generated(target: &str) -> Vec<Vec<u8>> {
    match target {
        "package_manifest" => vec![package_manifest(), b"{\"manifest\":{},\"signature\":\"\"}".to_vec()],
        "bundle_manifest" => bundle_manifest(),
        "tus_headers" => tus_headers(),
        "heartbeat" => {
            vec![heartbeat().into_bytes(), b"{\"ppe_code\":\"0101\",\"exam_id\":\"ege-02\",\"box_time\":\"x\",\"stage\":\"new\"}".to_vec()]
        }
        "key_release" => key_release(),
        "sheet_code" => sheet_codes().into_iter().map(String::into_bytes).collect(),
        "serial_lines" => {
            let codes = sheet_codes();
            vec![codes.join("\r\n").into_bytes(), codes.join("\n").into_bytes(), format!("{}\r\r\n\n{}", codes[0], "9".repeat(300)).into_bytes()]
        }
        "recording_name" => ["0101_12_3А_p-017", "{ppe}-{any}-{participant}\n0101-ауд12-p-017", "{room}{place}\n123", "x_{participant}\nx_"]
            .map(|s| s.as_bytes().to_vec())
            .to_vec(),
        "recording_audio" => vec![wav(8000, 400)],
        "scan_image" => vec![page_png(&sheet_codes()[1])],
        "gek_keyfile" => crate::gek::keyfile::generate("w-7", "fuzz-pin-2027").ok().and_then(|f| serde_json::to_vec(&f).ok()).into_iter().collect(),
        "config_toml" => vec![b"ppe_code = \"0101\"\n[hub]\nurl = \"https://hub\"\n".to_vec(), b"silent_after_secs = 600\n".to_vec()],
        _ => Vec::new(),
    }
}

fn package_manifest() -> Vec<u8> {
    let key = [7u8; 32];
    let Ok(mut m) = serde_json::from_value::<Manifest>(serde_json::json!({
        "format": materials::FORMAT, "package_id": "pkg-1", "exam_id": "ege-02", "ppe_code": "0101", "version": 3,
        "created": "2027-05-20T00:00:00Z", "expires": "2027-05-28T00:00:00Z",
        "window_open": "2027-05-27T02:00:00Z", "window_close": "2027-05-27T04:00:00Z", "files": [],
    })) else {
        return Vec::new();
    };
    for (i, (name, plain)) in [("kim-v1.pdf", &b"%PDF-1.7 variant 1"[..]), ("instruction.pdf", &b""[..])].into_iter().enumerate() {
        let mut f = FileEntry {
            name: name.into(),
            role: materials::role_for_file_name(name).into(),
            variant: (i == 0).then_some(1),
            plain_len: plain.len() as u64,
            cipher_len: 0,
            plain_sha256: String::new(),
            cipher_sha256: String::new(),
            chunk_size: 8,
            nonce_prefix: hex::encode([i as u8 + 1; materials::NONCE_PREFIX_LEN]),
        };
        let aad = materials::file_aad(&m, &f);
        let params = StreamParams { key: &key, nonce_prefix: [i as u8 + 1; materials::NONCE_PREFIX_LEN], aad: &aad, chunk_size: 8 };
        if let Ok(t) = materials::encrypt_stream(&params, plain, std::io::sink()) {
            (f.cipher_len, f.cipher_sha256, f.plain_sha256) = (t.cipher_len, t.cipher_sha256, t.plain_sha256);
        }
        m.files.push(f);
    }
    serde_json::to_vec(&materials::sign_manifest(m, &fuzz_keys().hub)).unwrap_or_default()
}

fn bundle_manifest() -> Vec<Vec<u8>> {
    let file = |name: &str, kind: &str, participant: Option<&str>| bundle::ManifestFile {
        name: name.into(),
        kind: kind.into(),
        sha256: crate::util::sha256_hex(name.as_bytes()),
        size: name.len() as u64 * 1000,
        participant_id: participant.map(str::to_string),
    };
    let manifest = bundle::Manifest {
        format: bundle::MANIFEST_FORMAT.into(),
        exam_id: "ege-02".into(),
        ppe_code: "0101".into(),
        created_at: "2027-05-27T09:00:00+03:00".into(),
        files: vec![file("page-0001.png", "page", None), file("p-017.wav", "recording", Some("p-017")), file("records.json", "record", None)],
        counts: [("pages".to_string(), 1), ("participants_expected".to_string(), 1)].into_iter().collect(),
        audit_head: bundle::AuditHead { seq: 42, hash: crate::util::sha256_hex(b"audit") },
    };
    let signed = crate::upload::sign_manifest(manifest, &fuzz_keys().box_key);
    let receipt = crate::upload::make_receipt(&signed, "2027-05-27T06:10:00+00:00", "upload", &fuzz_keys().hub);
    [serde_json::to_vec(&signed), serde_json::to_vec(&receipt)].into_iter().filter_map(Result::ok).collect()
}

fn tus_headers() -> Vec<Vec<u8>> {
    let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
    let sha = crate::util::sha256_hex(b"page");
    let meta: Vec<String> = [("exam_id", "ege-02"), ("ppe_code", "0101"), ("file_name", "page-0001.png"), ("kind", "page"), ("sha256", sha.as_str())]
        .iter()
        .map(|(k, v)| format!("{k} {}", b64(v.as_bytes())))
        .collect();
    let digest = <sha2::Sha256 as sha2::Digest>::digest(b"page");
    vec![format!("{},empty\nsha256 {}\n", meta.join(","), b64(&digest)).into_bytes(), b"filename cGFnZS5wbmc=\nSHA256 AAAA\n4096".to_vec()]
}

fn heartbeat() -> String {
    let box_time = fuzz_now().to_rfc3339();
    format!(
        r#"{{"ppe_code":"0101","exam_id":"ege-02","box_time":"{box_time}","stage":"uploading","materials":{{"pulled":true,"verified":true,"manifest_version":3,"key_received":true,"printed":true}},"seating_done":true,"attendance":{{"planned":25,"present":24,"absent":1,"removed":0,"early":0,"closed":true}},"pages":{{"expected":96,"scanned":96,"missing":0}},"upload":{{"bytes_done":1000,"bytes_total":5000,"files_done":20,"files_total":96,"receipt_id":null}},"files":{{"kind":"recording","expected":24,"taken":24,"missing":0,"to_resolve":0}},"alarms":["медленная связь"],"last_error":null}}"#
    )
}

fn key_release() -> Vec<Vec<u8>> {
    let keys = fuzz_keys();
    let Ok(pending) = materials::wrap::key_request(&keys.box_key, "ege-02", "0101", "2027-05-27T06:00:00Z") else { return Vec::new() };
    let release = materials::wrap::wrap_for_box(&keys.hub, &pending.request, "pkg-1", 3, &[42; 32], "2027-05-27T06:00:01Z");
    [serde_json::to_vec(&pending.request).ok(), release.ok().and_then(|r| serde_json::to_vec(&r).ok())].into_iter().flatten().collect()
}

fn sheet_codes() -> Vec<String> {
    let key = &fuzz_keys().sheet;
    let id = |kind, number| SheetId { exam_id: "ege-02".into(), ppe_code: "0101".into(), kind, number };
    vec![
        encode(&id(SheetKind::Registration, 17), key),
        encode_with_variant(&id(SheetKind::Answers1, 18), Some(7), key),
        encode(&id(SheetKind::Statement, 9_999_999), key),
        "PPE1.ege-02.0101.X.0000001.8.00".into(),
    ]
}

/// A page as a scanner writes it: white, with the sheet's QR code (as intake's tests draw it).
fn page_png(code: &str) -> Vec<u8> {
    let Ok(qr) = qrcode::QrCode::new(code.as_bytes()) else { return Vec::new() };
    let symbol = qr.render::<image::Luma<u8>>().module_dimensions(2, 2).quiet_zone(true).build();
    let mut page = image::GrayImage::from_pixel(symbol.width() + 40, symbol.height() + 60, image::Luma([255]));
    image::imageops::overlay(&mut page, &symbol, 20, 30);
    let mut out = std::io::Cursor::new(Vec::new());
    let _ = page.write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

/// A mono 16-bit PCM WAV of `samples` samples of a tone.
fn wav(rate: u32, samples: u32) -> Vec<u8> {
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    for v in [16u32.to_le_bytes(), [1, 0, 1, 0], rate.to_le_bytes(), (rate * 2).to_le_bytes(), [2, 0, 16, 0]] {
        out.extend_from_slice(&v);
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let v = ((i as f32 * 0.3).sin() * 8000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}
