//! Throughput of the materials crypto as the box uses it (SHA-256 via sha2, the chunked
//! AES-256-GCM STREAM via ring), to set beside `openssl speed` in scripts/bench-pull.sh.
//! Runs only under `cargo bench`; under `cargo test --all-targets` it returns at once.

use std::time::Instant;

use ppe::materials::{Manifest, FileEntry, StreamParams};
use sha2::Digest;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let size: usize = 256 << 20;
    let data = vec![0x5au8; size];
    let mb = size as f64 / 1e6;

    let t = Instant::now();
    let digest = sha2::Sha256::digest(&data);
    let sha = mb / t.elapsed().as_secs_f64();
    std::hint::black_box(digest);

    let key = [7u8; 32];
    let chunk = ppe::materials::DEFAULT_CHUNK_SIZE;
    let mut entry = FileEntry {
        name: "bench.pdf".into(),
        role: "kim".into(),
        variant: None,
        plain_len: size as u64,
        cipher_len: ppe::materials::cipher_len_for(size as u64, chunk),
        plain_sha256: String::new(),
        cipher_sha256: String::new(),
        chunk_size: chunk,
        nonce_prefix: "00000000000000".into(),
    };
    let manifest = Manifest {
        format: ppe::materials::FORMAT.into(),
        package_id: "bench".into(),
        exam_id: "e".into(),
        ppe_code: "p".into(),
        version: 1,
        created: String::new(),
        expires: String::new(),
        window_open: String::new(),
        window_close: String::new(),
        kind: Default::default(),
        files: vec![],
    };
    let aad = ppe::materials::file_aad(&manifest, &entry);
    let mut cipher = Vec::with_capacity(entry.cipher_len as usize);
    let t = Instant::now();
    let totals = ppe::materials::encrypt_stream(&StreamParams { key: &key, nonce_prefix: [0; 7], aad: &aad, chunk_size: chunk }, &data[..], &mut cipher).unwrap();
    let enc = mb / t.elapsed().as_secs_f64();
    entry.plain_sha256 = totals.plain_sha256;
    entry.cipher_sha256 = totals.cipher_sha256;
    let t = Instant::now();
    ppe::materials::decrypt_stream(&manifest, &entry, &key, &cipher[..], std::io::sink()).unwrap();
    let dec = mb / t.elapsed().as_secs_f64();
    println!("ours_sha256_mb_s {sha:.0}");
    println!("ours_stream_encrypt_with_2x_sha256_mb_s {enc:.0}");
    println!("ours_stream_decrypt_with_sha256_mb_s {dec:.0}");
}
