//! Attacks on the exam packages and the key, played against `ppe edge pull`/`prestage` and a
//! real `ppe hub serve` on its TLS listener: the hub's publish folder tampered with, removable
//! media damaged, or a hostile server put in front as the hub or as a mirror. Each asserts the
//! box's refusal with a one-line reason and an audit entry naming it, that nothing of the
//! package is usable or kept as complete on the box, and that the hub released no key.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::materials::{copy_dir, report, run_ok, s, start_nginx_with, World, AFTER_WINDOW, BEFORE_WINDOW, DAYS_BEFORE, EXAM, IN_WINDOW};

/// `ppe hub serve`, its clock started at `now`, on a free port.
fn hub_process(w: &World, now: &str) -> Daemon {
    let mut cmd = Command::new(ppe_bin());
    cmd.args(["hub", "serve", "--listen", "127.0.0.1:0", "--now", now, "--config", s(&w.hub_toml)]).env("PPE_LOG", "warn");
    spawn_daemon(cmd, |line| line.split_whitespace().find(|w| w.starts_with("https://")).map(str::to_string)).unwrap_or_else(|stderr| panic!("hub serve ended before it listened: {stderr}"))
}

fn box_db(w: &World) -> ppe::store::Connection {
    ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap()
}

/// The hub's record of key requests for the exam: (exam point, outcome, reason). None released.
fn assert_hub_released_nothing(w: &World) -> Vec<(String, String, String)> {
    let db = ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap();
    let rows = ppe::materials::store::hub_key_releases(&db, EXAM).unwrap();
    assert!(rows.iter().all(|(_, outcome, _)| outcome != "released"), "the hub released a key: {rows:?}");
    rows
}

/// Every ciphertext the box keeps is a complete `<sha256>.enc` whose bytes hash to its name:
/// no partial file is left of a refused one and nothing else is stored.
fn assert_no_unverified_ciphertext(w: &World) {
    let dir = w.dir.join("box/state/materials").join(EXAM);
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let stem = name.strip_suffix(".enc").unwrap_or_else(|| panic!("{name} left in the box's materials after a refusal"));
        assert_eq!(ppe::util::sha256_hex(&std::fs::read(e.path()).unwrap()), stem, "{name} kept with other bytes than its name");
    }
}

/// A refused run: its reason as the last line of its output and in the box's audit log, no
/// key and nothing decryptable on the box, no unverified ciphertext kept, no key released by
/// the hub. (Warnings logged before the reason, e.g. of a replayed time, may precede it.)
fn assert_refused_and_nothing_kept(w: &World, hub: &Daemon, o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected a refusal naming {needle:?}, got success: {}", stdout(o));
    let err = stderr(o);
    let reason = err.trim().lines().last().unwrap_or_default();
    assert!(reason.contains(needle), "expected {needle:?} in the reason: {err}");
    let audit = w.audit_actions();
    assert!(
        audit.iter().any(|a| (a.starts_with("materials.rejected") || a.starts_with("materials.key_refused")) && a.contains(needle)),
        "no audit entry naming {needle:?}: {audit:#?}"
    );
    w.assert_nothing_decrypted_at(&hub.url);
    assert_no_unverified_ciphertext(w);
    assert_hub_released_nothing(w);
}

/// The box holds no manifest of the exam: a refused one was not recorded.
fn assert_no_manifest_accepted(w: &World) {
    assert_eq!(ppe::materials::store::manifest_get(&box_db(w), EXAM).unwrap(), None, "a refused manifest was recorded");
}

/// File `name` of the package is not recorded as verified on the box.
fn assert_not_verified(w: &World, name: &str) {
    let package_id = w.manifest("0101").manifest.package_id;
    let verified = ppe::materials::store::files_verified(&box_db(w), EXAM, &package_id).unwrap();
    assert!(!verified.iter().any(|v| v == name), "{name} recorded as verified: {verified:?}");
}

#[test]
fn a_manifest_with_a_bad_signature_is_refused_and_nothing_is_fetched() {
    let w = World::new(&[20_000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    // A field changed after signing: here the expiry, to outlive the freeze check.
    let mut forged = w.manifest("0101");
    forged.manifest.expires = "2099-01-01T00:00:00Z".into();
    std::fs::write(w.package_dir("0101").join("manifest.json"), serde_json::to_vec(&forged).unwrap()).unwrap();
    let o = w.edge_at(&hub.url, &["pull", "--exam", EXAM]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "подпись манифеста неверна");
    assert_no_manifest_accepted(&w);
    assert!(!w.dir.join("box/state/materials").join(EXAM).exists(), "files fetched for an unsigned manifest");
}

#[test]
fn another_exam_points_package_is_refused() {
    let w = World::new(&[20_000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    // Point 0102's validly signed manifest served as 0101's.
    std::fs::copy(w.package_dir("0102").join("manifest.json"), w.package_dir("0101").join("manifest.json")).unwrap();
    let o = w.edge_at(&hub.url, &["pull", "--exam", EXAM]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "предназначен для ППЭ 0102");
    assert_no_manifest_accepted(&w);
}

#[test]
fn a_rollback_to_an_older_version_than_seen_is_refused() {
    let w = World::new(&[20_000], 4096);
    let v1 = std::fs::read(w.package_dir("0101").join("manifest.json")).unwrap();
    let hub = hub_process(&w, DAYS_BEFORE);
    assert_eq!(report(&w.edge_at(&hub.url, &["prestage", "--exam", EXAM])).version, 1);
    w.publish(4096);
    assert_eq!(report(&w.edge_at(&hub.url, &["prestage", "--exam", EXAM])).version, 2);
    // The hub (or a mirror) serves version 1 again, still validly signed.
    std::fs::write(w.package_dir("0101").join("manifest.json"), &v1).unwrap();
    let o = w.edge_at(&hub.url, &["prestage", "--exam", EXAM]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "rollback refused");
    let (version, _) = ppe::materials::store::manifest_get(&box_db(&w), EXAM).unwrap().unwrap();
    assert_eq!(version, 2, "the box still holds the newest version it saw");
}

#[test]
fn an_expired_manifest_from_a_frozen_mirror_is_refused() {
    let w = World::new(&[20_000], 4096);
    // After the window by the hub's clock; the mirror keeps serving the old package.
    let hub = hub_process(&w, AFTER_WINDOW);
    let mirror = start_nginx_with(&w, "location / { }");
    w.set_mirror(&format!("https://127.0.0.1:{}", mirror.port));
    let o = w.edge_at(&hub.url, &["prestage", "--exam", EXAM]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "срок действия манифеста истёк");
    assert_no_manifest_accepted(&w);
    let log = std::fs::read_to_string(mirror.dir.join("nonce.log")).unwrap();
    assert!(log.contains("manifest.json") && !log.contains(".enc"), "only the manifest was asked for: {log}");
}

/// Which answer a [`HostileMirror`] gives to a path.
enum Answer {
    Bytes(Vec<u8>),
    /// Zeros until the box hangs up; `stated` a `Content-Length` to claim (else none).
    Endless { stated: Option<u64> },
}

/// A hostile plain-HTTP mirror (a mirror is untrusted, so plain HTTP is allowed): one answer per
/// connection, chosen by path; counts the bytes of endless answers it managed to send.
struct HostileMirror {
    port: u16,
    sent: Arc<AtomicU64>,
}

impl HostileMirror {
    fn start(answer: impl Fn(&str) -> Answer + Send + Sync + 'static) -> HostileMirror {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sent = Arc::new(AtomicU64::new(0));
        let (answer, counter) = (Arc::new(answer), sent.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (answer, counter) = (answer.clone(), counter.clone());
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if conn.read(&mut byte).unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let path = String::from_utf8_lossy(&head).split_whitespace().nth(1).unwrap_or_default().to_string();
                    match answer(&path) {
                        Answer::Bytes(body) => {
                            let _ = conn.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).as_bytes());
                            let _ = conn.write_all(&body);
                        }
                        Answer::Endless { stated } => {
                            let length = stated.map(|n| format!("Content-Length: {n}\r\n")).unwrap_or_default();
                            let _ = conn.write_all(format!("HTTP/1.1 200 OK\r\n{length}Connection: close\r\n\r\n").as_bytes());
                            let zeros = vec![0u8; 64 << 10];
                            while conn.write_all(&zeros).is_ok() {
                                counter.fetch_add(zeros.len() as u64, Ordering::SeqCst);
                            }
                        }
                    }
                });
            }
        });
        HostileMirror { port, sent }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Runs `ppe edge ARGS` against `hub_url`, sampling its peak RSS (VmHWM, KiB) until it ends;
/// killed (and the test failed) after `limit`.
fn edge_with_peak_rss(w: &World, hub_url: &str, args: &[&str], limit: Duration) -> (Output, u64) {
    let mut all = vec!["edge"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--config", s(&w.box_toml)]);
    let child = Command::new(ppe_bin()).args(&all).env("PPE_LOG", "warn").env("PPE_HUB_URL", hub_url).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let started = Instant::now();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0u64;
            while !done.load(Ordering::SeqCst) {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
                peak = peak.max(hwm.unwrap_or(0));
                if started.elapsed() > limit {
                    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    let out = child.wait_with_output().unwrap();
    done.store(true, Ordering::SeqCst);
    let peak = watcher.join().unwrap();
    assert!(started.elapsed() < limit, "ppe edge {args:?} ran past {limit:?} (killed)");
    (out, peak)
}

#[test]
fn a_file_longer_than_stated_is_refused_as_endless_data() {
    let w = World::new(&[20_000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    let name = w.files[0].0.clone();
    // The hub's copy padded: its stated length already gives it away.
    let cipher = w.cipher_path("0101", 0);
    let good = std::fs::read(&cipher).unwrap();
    let mut longer = good.clone();
    longer.extend_from_slice(&[0u8; 100_000]);
    std::fs::write(&cipher, &longer).unwrap();
    let o = w.edge_at(&hub.url, &["pull", "--exam", EXAM]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "данных больше, чем указано");
    assert_not_verified(&w, &name);
    std::fs::write(&cipher, &good).unwrap();

    // A hostile mirror: the genuine manifest, then the file as an endless stream with no
    // length. The box stops at the manifest's length.
    let manifest = std::fs::read(w.package_dir("0101").join("manifest.json")).unwrap();
    let mirror = HostileMirror::start(move |path| if path.ends_with("/manifest.json") { Answer::Bytes(manifest.clone()) } else { Answer::Endless { stated: None } });
    w.set_mirror(&mirror.url());
    let (o, peak_kib) = edge_with_peak_rss(&w, &hub.url, &["pull", "--exam", EXAM], Duration::from_secs(60));
    assert_refused_and_nothing_kept(&w, &hub, &o, "данных больше, чем указано");
    assert_not_verified(&w, &name);
    let sent = mirror.sent.load(Ordering::SeqCst);
    eprintln!("endless file: mirror sent {sent} bytes before the box hung up; box peak RSS {peak_kib} KiB");
    assert!(sent < 64 << 20, "the box kept reading an endless file: {sent} bytes");
}

#[test]
fn an_endless_or_oversized_manifest_from_a_mirror_is_refused_after_a_bounded_read() {
    let w = World::new(&[20_000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    let limit = ppe::materials::MANIFEST_MAX_BYTES;
    for stated in [None, Some(1u64 << 40)] {
        let mirror = HostileMirror::start(move |_| Answer::Endless { stated });
        w.set_mirror(&mirror.url());
        let (o, peak_kib) = edge_with_peak_rss(&w, &hub.url, &["prestage", "--exam", EXAM], Duration::from_secs(60));
        assert_refused_and_nothing_kept(&w, &hub, &o, &format!("манифест длиннее {limit} байт"));
        assert_no_manifest_accepted(&w);
        let sent = mirror.sent.load(Ordering::SeqCst);
        eprintln!("manifest stated {stated:?}: mirror sent {sent} bytes before the box hung up; box peak RSS {peak_kib} KiB");
        // At most the bound plus what the sockets buffer on loopback.
        assert!(sent < limit + (32 << 20), "the box kept reading an endless manifest: {sent} bytes");
        assert!(peak_kib < 200 << 10, "the box buffered the endless manifest: peak RSS {peak_kib} KiB");
    }
}

#[test]
fn a_flipped_byte_is_refused() {
    let w = World::new(&[50_000, 3_000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    let cipher = w.cipher_path("0101", 0);
    let mut flipped = std::fs::read(&cipher).unwrap();
    flipped[5000] ^= 0x01;
    std::fs::write(&cipher, &flipped).unwrap();
    let o = w.edge_at(&hub.url, &["pull", "--exam", EXAM]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "SHA-256 не совпадает");
    assert_not_verified(&w, &w.files[0].0);
}

/// Damages file 0's ciphertext on a copy of the package as removable media, then in the hub's
/// publish folder: both pulls are refused (media first, the network after), nothing kept.
fn refused_from_media_and_over_the_network(w: &World, hub: &Daemon, damage: impl Fn(&Path), needle: &str) {
    let m = w.manifest("0101").manifest;
    let media = w.dir.join("usb");
    copy_dir(&w.package_dir("0101"), &media);
    damage(&media.join(m.files[0].cipher_file_name()));
    let o = w.edge_at(&hub.url, &["pull", "--exam", EXAM, "--from", s(&media)]);
    assert_refused_and_nothing_kept(w, hub, &o, needle);
    assert_not_verified(w, &m.files[0].name);
    damage(&w.package_dir("0101").join(m.files[0].cipher_file_name()));
    let o = w.edge_at(&hub.url, &["pull", "--exam", EXAM]);
    assert_refused_and_nothing_kept(w, hub, &o, needle);
    assert_not_verified(w, &m.files[0].name);
}

/// Bytes of one whole chunk on the wire at the tests' chunk size.
const CHUNK: usize = 4096 + 16;

#[test]
fn a_truncated_file_is_refused() {
    let w = World::new(&[40_000, 40_000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    // The last whole chunk dropped: every remaining chunk still authenticates on its own.
    let cut = |p: &Path| {
        let b = std::fs::read(p).unwrap();
        std::fs::write(p, &b[..b.len() - CHUNK]).unwrap();
    };
    refused_from_media_and_over_the_network(&w, &hub, cut, "в манифесте");
}

#[test]
fn reordered_chunks_are_refused() {
    let w = World::new(&[40_000, 40_000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    let reorder = |p: &Path| {
        let mut b = std::fs::read(p).unwrap();
        let first = b[..CHUNK].to_vec();
        b.copy_within(CHUNK..2 * CHUNK, 0);
        b[CHUNK..2 * CHUNK].copy_from_slice(&first);
        std::fs::write(p, &b).unwrap();
    };
    refused_from_media_and_over_the_network(&w, &hub, reorder, "SHA-256 не совпадает");
}

#[test]
fn a_chunk_swapped_in_from_another_file_is_refused() {
    let w = World::new(&[40_000, 40_000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    let other = w.cipher_path("0101", 1);
    let other_bytes = std::fs::read(&other).unwrap();
    // Chunk 1 of file 1 put in place of chunk 1 of file 0: same key, same position.
    let swap = move |p: &Path| {
        let mut b = std::fs::read(p).unwrap();
        b[CHUNK..2 * CHUNK].copy_from_slice(&other_bytes[CHUNK..2 * CHUNK]);
        std::fs::write(p, &b).unwrap();
    };
    refused_from_media_and_over_the_network(&w, &hub, swap, "SHA-256 не совпадает");
}

#[test]
fn files_mixed_from_two_manifests_are_refused() {
    let w = World::new(&[40_000, 40_000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    let v1_file = std::fs::read(w.cipher_path("0101", 0)).unwrap();
    w.publish(4096);
    assert_eq!(w.manifest("0101").manifest.version, 2);
    // Version 1's file 0 under version 2's manifest (same length, same exam and point).
    let mix = move |p: &Path| std::fs::write(p, &v1_file).unwrap();
    refused_from_media_and_over_the_network(&w, &hub, mix, "из другого пакета");
}

/// Asks the hub at `hub_url` for the key directly, as box `ctx` (its certificate and signing
/// key), in the name of `as_ppe`.
fn ask_key(ctx: &ppe::context::EdgeContext, hub_url: &str, as_ppe: &str) -> (u16, String) {
    let client = ppe::hub_client::HubClient::from_context(ctx).unwrap();
    let key = ppe::keys::load_ed25519(&ctx.config.keys.signing_key_file).unwrap();
    let pending = ppe::materials::wrap::key_request(&key, EXAM, as_ppe, "2026-01-01T00:00:00Z").unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let resp = client.http().post(format!("{hub_url}{}", ppe::protocol::paths::key(EXAM))).json(&pending.request).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    })
}

#[test]
fn the_key_is_refused_before_the_window() {
    let w = World::new(&[20_000], 4096);
    let hub = hub_process(&w, BEFORE_WINDOW);
    // The ciphertext may come early; the ГЭК member's activation asks for the key too soon.
    let o = w.edge_at(&hub.url, &["pull", "--exam", EXAM]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (key, pin) = w.enroll_gek(&w.gek_member("0101"));
    let o = w.edge_at(&hub.url, &["activate", "--exam", EXAM, "--gek-key", s(&key), "--pin-file", s(&pin)]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "окно выдачи ключей ещё не открыто");
    assert_eq!(ppe::materials::store::key_get(&box_db(&w), EXAM).unwrap(), None);
    let rows = assert_hub_released_nothing(&w);
    assert_eq!(rows, vec![("0101".to_string(), "refused".to_string(), "window_not_open".to_string())]);
}

#[test]
fn the_key_is_refused_after_the_window() {
    let w = World::new(&[20_000], 4096);
    let hub = hub_process(&w, AFTER_WINDOW);
    // The box itself stops at the expired manifest and does not even ask…
    let o = w.edge_at(&hub.url, &["pull", "--exam", EXAM]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "срок действия манифеста истёк");
    assert!(assert_hub_released_nothing(&w).is_empty());
    // …and asked directly, the hub refuses by its own clock.
    let (status, body) = ask_key(&w.edge_ctx_at(&hub.url), &hub.url, "0101");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("window_closed"), "{body}");
    let rows = assert_hub_released_nothing(&w);
    assert_eq!(rows, vec![("0101".to_string(), "refused".to_string(), "window_closed".to_string())]);
    w.assert_nothing_decrypted_at(&hub.url);
}

#[test]
fn the_key_is_refused_to_a_box_not_assigned_and_to_one_asking_in_anothers_name() {
    let w = World::new(&[20_000], 4096);
    let other = w.dir.join("box-0103");
    run_ok(&["hub", "enroll", "--ppe", "0103", "--out", s(&other), "--run-dir", s(&other.join("run")), "--config", s(&w.hub_toml)]);
    let hub = hub_process(&w, IN_WINDOW);
    let mut ctx = ppe::context::EdgeContext::open(&other.join("ppe.toml")).unwrap();
    ctx.config.hub.url = hub.url.clone();
    let (status, body) = ask_key(&ctx, &hub.url, "0103");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("не назначен"), "{body}");
    let (status, body) = ask_key(&ctx, &hub.url, "0101");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("other_exam_point"), "{body}");
    // Both refusals are the caller's: nothing is recorded against the victim 0101.
    let rows = assert_hub_released_nothing(&w);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|(ppe, _, _)| ppe == "0103"), "a refusal blamed on another point: {rows:?}");
    let reasons: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    assert_eq!(reasons, ["not_assigned", "other_exam_point"]);
    // The wrong box cannot use 0101's package either.
    assert!(!other.join("run").join(EXAM).join("package.key").exists());
}

#[test]
fn a_client_without_a_certificate_gets_no_package_no_plan_and_no_key() {
    let w = World::new(&[1000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(w.dir.join("hub/keys/ca.crt")).unwrap()).unwrap();
    let anonymous = reqwest::Client::builder().tls_certs_only([ca]).build().unwrap();
    let box_key = ppe::keys::load_ed25519(&w.dir.join("box/keys/signing.pk8")).unwrap();
    let request = ppe::materials::wrap::key_request(&box_key, EXAM, "0101", "2026-01-01T00:00:00Z").unwrap().request;
    let manifest = w.manifest("0101");
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (what, req) in [
        ("manifest", anonymous.get(format!("{}{}/{EXAM}/0101/manifest.json", hub.url, ppe::protocol::paths::PACKAGES))),
        ("ciphertext", anonymous.get(format!("{}{}/{EXAM}/0101/{}", hub.url, ppe::protocol::paths::PACKAGES, manifest.manifest.files[0].cipher_file_name()))),
        ("plan", anonymous.get(format!("{}{}", hub.url, ppe::protocol::paths::PLAN))),
        // A genuine box's signed request replayed without its certificate.
        ("key", anonymous.post(format!("{}{}", hub.url, ppe::protocol::paths::key(EXAM))).json(&request)),
    ] {
        // Refused as an answer, or (a listener demanding certificates) at the handshake.
        if let Ok(resp) = rt.block_on(req.send()) {
            let status = resp.status().as_u16();
            let body = rt.block_on(resp.bytes()).unwrap_or_default();
            assert!(status == 401 || status == 403, "{what} without a certificate: HTTP {status}");
            let text = String::from_utf8_lossy(&body);
            assert!(!text.contains(&manifest.manifest.package_id) && !text.contains("wrapped"), "{what} leaked: {text}");
        }
    }
    assert!(assert_hub_released_nothing(&w).is_empty(), "a key request without a certificate reached the rule");
}

#[test]
fn a_certificate_from_a_foreign_ca_fails_the_handshake() {
    let w = World::new(&[1000], 4096);
    let hub = hub_process(&w, IN_WINDOW);
    // A box enrolled by another hub (another CA) for the same point code.
    let other_hub = w.dir.join("other");
    std::fs::create_dir_all(&other_hub).unwrap();
    let other_toml = init_hub(&other_hub);
    let stranger = w.dir.join("stranger");
    run_ok(&["hub", "enroll", "--ppe", "0101", "--out", s(&stranger), "--config", s(&other_toml)]);
    let mut ctx = ppe::context::EdgeContext::open(&stranger.join("ppe.toml")).unwrap();
    ctx.config.hub.ca_file = w.dir.join("hub/keys/ca.crt");
    ctx.config.hub.url = hub.url.clone();
    let client = ppe::hub_client::HubClient::from_context(&ctx).unwrap();
    let url = format!("{}{}/{EXAM}/0101/manifest.json", hub.url, ppe::protocol::paths::PACKAGES);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = rt.block_on(async { client.http().get(&url).send().await.and_then(|r| r.error_for_status()) }).unwrap_err();
    // TLS 1.3 reports the server's refusal of the certificate on the first read, as an alert
    // or a closed stream; what matters is that no HTTP answer came back.
    assert!(err.status().is_none(), "an HTTP answer reached a foreign certificate: {err:?}");
    let text = format!("{err:?}").to_lowercase();
    assert!(["certificate", "alert", "broken pipe", "reset", "closed", "eof"].iter().any(|w| text.contains(w)), "{text}");
    // The stranger's own box, pinning this hub's CA and key, gets nothing either.
    let stranger_toml = stranger.join("ppe.toml");
    let mut v: toml::Value = toml::from_str(&std::fs::read_to_string(&stranger_toml).unwrap()).unwrap();
    let pinned = toml::from_str::<toml::Value>(&std::fs::read_to_string(&w.box_toml).unwrap()).unwrap()["hub"]["signing_public_key"].clone();
    let hub_table = v["hub"].as_table_mut().unwrap();
    hub_table.insert("ca_file".into(), toml::Value::String(s(&w.dir.join("hub/keys/ca.crt")).into()));
    hub_table.insert("signing_public_key".into(), pinned);
    std::fs::write(&stranger_toml, toml::to_string(&v).unwrap()).unwrap();
    let o = Command::new(ppe_bin()).args(["edge", "pull", "--exam", EXAM, "--config", s(&stranger_toml)]).env("PPE_LOG", "warn").env("PPE_HUB_URL", &hub.url).output().unwrap();
    assert!(!o.status.success(), "a foreign box pulled: {}", stdout(&o));
    assert!(!stranger.join("state/materials").join(EXAM).exists(), "a foreign box stored ciphertext");
    assert!(assert_hub_released_nothing(&w).is_empty());
}

/// A genuine signed time of the hub at `hub_url`, answered to `nonce`: what an eavesdropper on
/// an earlier exchange (or a mirror, or a box) could record and replay later.
fn record_signed_time(w: &World, hub_url: &str, nonce: &str) -> (String, String) {
    let client = ppe::hub_client::HubClient::from_context(&w.edge_ctx_at(hub_url)).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let resp = client.http().get(format!("{hub_url}{}", ppe::protocol::paths::TIME)).header(ppe::protocol::TIME_NONCE_HEADER, nonce).send().await.unwrap();
        let header = |name: &str| resp.headers().get(name).unwrap_or_else(|| panic!("hub answered without {name}")).to_str().unwrap().to_string();
        (header(ppe::protocol::HUB_TIME_HEADER), header(ppe::protocol::HUB_TIME_SIGNATURE_HEADER))
    })
}

/// nginx headers putting a recorded signed time on every answer.
fn replayed_time_headers(time: &str, signature: &str) -> String {
    format!("add_header {} \"{time}\" always; add_header {} \"{signature}\" always;", ppe::protocol::HUB_TIME_HEADER, ppe::protocol::HUB_TIME_SIGNATURE_HEADER)
}

#[test]
fn a_replayed_signed_hub_time_is_refused_and_cannot_unfreeze_an_expired_manifest() {
    let w = World::new(&[20_000], 4096);
    let nonce = "5e".repeat(32);
    // Days before the exam, the hub's genuine signed time is recorded…
    let (old_time, old_signature) = {
        let early = hub_process(&w, DAYS_BEFORE);
        record_signed_time(&w, &early.url, &nonce)
    };
    // …and replayed after the window by a server in the hub's place (holding a certificate
    // the box trusts), serving the expired package beside it.
    let hub = hub_process(&w, AFTER_WINDOW);
    let publish = w.dir.join("hub/state/publish");
    let time_body = format!("{{\"hub_time\":\"{old_time}\",\"nonce\":\"{nonce}\",\"signature\":\"{old_signature}\"}}");
    let impostor = start_nginx_with(
        &w,
        &format!(
            "{} location = {} {{ default_type application/json; return 200 '{time_body}'; }} location {}/ {{ alias {}/; }}",
            replayed_time_headers(&old_time, &old_signature),
            ppe::protocol::paths::TIME,
            ppe::protocol::paths::PACKAGES,
            publish.display()
        ),
    );
    let impostor_url = format!("https://127.0.0.1:{}", impostor.port);
    let o = w.edge_at(&impostor_url, &["prestage", "--exam", EXAM]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "время РЦОИ не подтверждено");
    assert_no_manifest_accepted(&w);
    assert_eq!(ppe::materials::store::clock_offset_latest(&box_db(&w)).unwrap(), None, "the replayed time moved the box's clock");
    let log = std::fs::read_to_string(impostor.dir.join("nonce.log")).unwrap();
    assert!(log.lines().any(|l| l.contains(ppe::protocol::paths::TIME) && !l.ends_with("nonce=-") && !l.contains(&nonce)), "the box asked with a fresh nonce: {log}");
    // By the hub's own time the package has expired: that is what the replay tried to hide.
    let o = w.edge_at(&hub.url, &["prestage", "--exam", EXAM]);
    assert_refused_and_nothing_kept(&w, &hub, &o, "срок действия манифеста истёк");
}

#[test]
fn a_mirror_is_never_asked_for_time_and_its_signed_time_is_ignored() {
    let w = World::new(&[20_000], 4096);
    // A genuine signed time from years later, put on every answer of the mirror: believed, it
    // would make the box refuse its package as expired.
    let (late_time, late_signature) = {
        let late = hub_process(&w, "2031-01-01T00:00:00Z");
        record_signed_time(&w, &late.url, &"7a".repeat(32))
    };
    let hub = hub_process(&w, IN_WINDOW);
    let mirror = start_nginx_with(&w, &format!("{} location / {{ }}", replayed_time_headers(&late_time, &late_signature)));
    w.set_mirror(&format!("https://127.0.0.1:{}", mirror.port));
    let r = report(&w.edge_at(&hub.url, &["pull", "--exam", EXAM]));
    assert!(r.bytes_downloaded > 0, "{r:?}");
    let log = std::fs::read_to_string(mirror.dir.join("nonce.log")).unwrap();
    assert!(log.contains("manifest.json") && log.contains(".enc"), "the package came from the mirror: {log}");
    assert!(log.lines().all(|l| l.ends_with("nonce=-")), "the mirror was sent a time nonce: {log}");
    let ctx = w.edge_ctx_at(&hub.url);
    let hub_now = ppe::materials::pull::hub_now(&ctx, &box_db(&w));
    let in_window = chrono::DateTime::parse_from_rfc3339(IN_WINDOW).unwrap();
    assert!((hub_now - in_window.with_timezone(&chrono::Utc)).num_minutes().abs() < 10, "the box's idea of hub time came from the mirror: {hub_now}");
}
