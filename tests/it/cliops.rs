//! The command line and the daemons as an operator's script and a monitoring system see them:
//! exit codes by class (usage, failure, try later, a closed pipe), no progress drawing off a
//! terminal, `/healthz` and `/readyz` on both daemons, and the `/metrics` exposition checked
//! by a parser of the Prometheus text format.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{https_client, https_get, init_hub, ppe, ppe_bin, spawn_daemon, stderr, stdout};

const CODE: &str = "0101";

/// A hub with a small demo plan and one enrolled box (`DIR/box/ppe.toml`).
fn hub_with_box(dir: &Path, metrics: bool) -> std::path::PathBuf {
    let hub_toml = init_hub(dir);
    if metrics {
        let text = std::fs::read_to_string(&hub_toml).unwrap();
        let with = text.replace("metrics_listen = \"\"", "metrics_listen = \"127.0.0.1:0\"");
        assert_ne!(with, text, "hub.toml names metrics_listen");
        std::fs::write(&hub_toml, with).unwrap();
    }
    let plan = dir.join("region.json");
    for args in [
        vec!["hub", "demo-plan", "--out", plan.to_str().unwrap(), "--points", "2", "--participants", "40"],
        vec!["hub", "import-plan", plan.to_str().unwrap(), "--config", hub_toml.to_str().unwrap()],
        vec![
            "hub",
            "enroll",
            "--ppe",
            CODE,
            "--out",
            dir.join("box").to_str().unwrap(),
            "--run-dir",
            dir.join("box/run").to_str().unwrap(),
            "--config",
            hub_toml.to_str().unwrap(),
        ],
    ] {
        let o = ppe(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    hub_toml
}

/// The first exam of the hub's plan.
fn first_exam(hub_toml: &Path) -> String {
    let o = ppe(&["hub", "--config", hub_toml.to_str().unwrap(), "status", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    v["exam_id"].as_str().map(str::to_string).unwrap_or_else(|| panic!("no exam id in {v}"))
}

/// A plain-HTTP GET with its own small runtime: (status, body).
fn http_get(url: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let resp = reqwest::Client::new().get(url).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    })
}

fn url_after(line: &str, scheme: &str) -> Option<String> {
    let at = line.find(scheme)?;
    Some(line[at..].split(|c: char| c.is_whitespace() || c == ';').next()?.trim_end_matches('/').to_string())
}

#[test]
fn exit_codes_tell_usage_failure_try_later_and_a_closed_pipe_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hub_toml = hub_with_box(dir, false);
    let box_toml = dir.join("box/ppe.toml");

    // 2: a command line clap cannot parse.
    let o = ppe(&["edge", "pull", "--no-such-option"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // 1: a real failure, said in Russian.
    let o = ppe(&["hub", "--config", dir.join("nowhere/hub.toml").to_str().unwrap(), "status"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let said = stderr(&o);
    assert!(said.starts_with("ppe: ") && said.contains("конфигурация") && !said.contains("panicked"), "{said}");

    // 75: the hub cannot be reached (nobody listens on the port): the same command later may work.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let exam = first_exam(&hub_toml);
    let o = Command::new(ppe_bin())
        .args(["edge", "--config", box_toml.to_str().unwrap(), "pull", "--exam", &exam])
        .env("PPE_HUB_URL", format!("https://127.0.0.1:{port}"))
        .env("PPE_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(75), "hub unreachable is 'try again later': {}", stderr(&o));

    // 141 and nothing said: the reader of standard output left before the answer was written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(ppe_bin())
        .args(["hub", "--config", hub_toml.to_str().unwrap(), "status", "--json"])
        .env("PPE_LOG", "warn")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(141), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "a closed pipe is not an error to report: {}", stderr(&o));

    // The shell's own pipe: `ppe hub status --json | head -c 600` prints 600 bytes, no panic.
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!("\"$0\" hub --config \"$1\" status --json | head -c 600; echo; echo \"status=${{PIPESTATUS[0]}}\""))
        .arg(ppe_bin())
        .arg(&hub_toml)
        .env("PPE_LOG", "warn")
        .output()
        .unwrap();
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
    let status = out.lines().last().unwrap();
    assert!(status == "status=0" || status == "status=141", "{out}");
}

#[test]
fn progress_is_not_drawn_when_standard_error_is_not_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hub_toml = init_hub(dir);
    let plan = dir.join("region.csv");
    let o = ppe(&["hub", "demo-plan", "--out", plan.to_str().unwrap(), "--points", "2", "--participants", "40"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let log = std::fs::File::create(dir.join("stderr.txt")).unwrap();
    let o = Command::new(ppe_bin())
        .args(["hub", "--config", hub_toml.to_str().unwrap(), "import-plan", plan.to_str().unwrap()])
        .env("PPE_LOG", "warn")
        .stderr(log)
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = std::fs::read(dir.join("stderr.txt")).unwrap();
    assert!(!err.contains(&b'\r') && !err.contains(&0x1b), "no bar or escape in a file: {:?}", String::from_utf8_lossy(&err));
}

/// Prometheus text format 0.0.4, as a scraper reads it: every sample belongs to a family
/// announced by `# HELP` and `# TYPE`; counters end in `_total`; a histogram has cumulative
/// `_bucket{le=…}` ending at `+Inf` equal to `_count`, and `_sum`.
fn parse_exposition(text: &str) -> BTreeMap<String, (String, Vec<(String, f64)>)> {
    let mut families: BTreeMap<String, (String, Vec<(String, f64)>)> = BTreeMap::new();
    let mut helped = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or_else(|| panic!("HELP without text: {line}"));
            assert!(!help.trim().is_empty(), "{line}");
            helped.insert(name.to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(helped.contains(name), "TYPE before HELP: {line}");
            assert!(families.insert(name.to_string(), (kind.to_string(), Vec::new())).is_none(), "family twice: {name}");
        } else if !line.is_empty() {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
            let name = series.split('{').next().unwrap();
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line}");
            let family = families
                .iter_mut()
                .filter(|(f, (kind, _))| {
                    name == f.as_str() || kind == "histogram" && ["_bucket", "_sum", "_count"].iter().any(|s| name == format!("{f}{s}"))
                })
                .map(|(_, v)| v)
                .next()
                .unwrap_or_else(|| panic!("sample of no announced family: {line}"));
            family.1.push((series.to_string(), value));
        }
    }
    for (name, (kind, samples)) in &families {
        if kind == "counter" {
            assert!(name.ends_with("_total"), "counter {name} without _total");
        }
        if kind == "histogram" {
            let count: f64 = samples.iter().filter(|(s, _)| s.starts_with(&format!("{name}_count"))).map(|(_, v)| v).sum();
            let inf: f64 = samples.iter().filter(|(s, _)| s.contains("le=\"+Inf\"")).map(|(_, v)| v).sum();
            assert_eq!(count, inf, "{name}: +Inf bucket equals _count");
            assert!(samples.iter().any(|(s, _)| s.starts_with(&format!("{name}_sum"))), "{name}_sum");
            let mut last: BTreeMap<String, f64> = BTreeMap::new();
            for (s, v) in samples.iter().filter(|(s, _)| s.contains("_bucket{")) {
                let key = s.split(",le=").next().unwrap().to_string();
                assert!(*v >= *last.get(&key).unwrap_or(&0.0), "buckets are cumulative: {s}");
                last.insert(key, *v);
            }
        }
    }
    families
}

fn value(families: &BTreeMap<String, (String, Vec<(String, f64)>)>, series: &str) -> Option<f64> {
    families.values().flat_map(|(_, s)| s).find(|(s, _)| s == series).map(|(_, v)| *v)
}

#[test]
fn both_daemons_answer_healthz_and_readyz_and_the_hub_exposes_conventional_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hub_toml = hub_with_box(dir, true);
    let ca = dir.join("hub/keys/ca.crt");
    let client = https_client(&ca);

    let mut cmd = Command::new(ppe_bin());
    cmd.args(["hub", "serve", "--listen", "127.0.0.1:0", "--config", hub_toml.to_str().unwrap()]).env("PPE_LOG", "warn");
    let metrics_url = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let seen = metrics_url.clone();
    let hub = spawn_daemon(cmd, move |line| {
        if let Some(u) = line.strip_prefix("hub metrics on ").and_then(|l| url_after(l, "http://")) {
            *seen.lock().unwrap() = Some(u.trim_end_matches("/metrics").to_string());
        }
        line.starts_with("hub listening on ").then(|| url_after(line, "https://")).flatten()
    })
    .expect("hub serve");
    let metrics_base = metrics_url.lock().unwrap().clone().expect("the metrics listener is announced before the hub listens");

    let (status, _, body) = https_get(&client, &format!("{}/healthz", hub.url));
    assert_eq!((status, body.as_str()), (200, "ok\n"), "no login needed");
    let (status, _, body) = https_get(&client, &format!("{}/readyz", hub.url));
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, &ready["ready"]), (200, &serde_json::json!(true)), "{body}");
    assert_eq!(http_get(&format!("{metrics_base}/healthz")), (200, "ok\n".to_string()), "the metrics listener too");

    // From the enrolled box: a malformed heartbeat is refused 422 and counted under
    // `malformed`; a key request for an exam the hub does not know is counted as refused.
    let enrolled = {
        let mut pem = std::fs::read(dir.join("box/keys/client.crt")).unwrap();
        pem.extend(std::fs::read(dir.join("box/keys/client.key")).unwrap());
        let ca = reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap();
        reqwest::Client::builder().tls_certs_only([ca]).identity(reqwest::Identity::from_pem(&pem).unwrap()).build().unwrap()
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (heartbeat, key) = rt.block_on(async {
        let client = &enrolled;
        let h = client
            .post(format!("{}/v1/heartbeat", hub.url))
            .header("content-type", "application/json")
            .body("{не json")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        let k = client.post(format!("{}/v1/exams/no-such/key", hub.url)).json(&serde_json::json!({})).send().await.unwrap().status().as_u16();
        (h, k)
    });
    assert_eq!(heartbeat, 422);
    assert!((400..500).contains(&key), "{key}");

    let (status, text) = http_get(&format!("{metrics_base}/metrics"));
    assert_eq!(status, 200);
    let families = parse_exposition(&text);
    for (family, kind) in [
        ("ppe_build_info", "gauge"),
        ("ppe_upload_bytes_total", "counter"),
        ("ppe_key_releases_total", "counter"),
        ("ppe_http_request_duration_seconds", "histogram"),
        ("ppe_heartbeat_lag_seconds", "gauge"),
        ("ppe_monitoring_reports_refused_total", "counter"),
    ] {
        assert_eq!(families.get(family).map(|f| f.0.as_str()), Some(kind), "{family} in\n{text}");
    }
    let build = &families["ppe_build_info"].1[0].0;
    assert!(build.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))) && build.contains("commit=\""), "{build}");
    assert_eq!(value(&families, "ppe_monitoring_reports_refused_total{reason=\"malformed\"}"), Some(1.0), "{text}");
    assert!(
        value(&families, "ppe_key_releases_total{result=\"refused\"}").unwrap_or(0.0)
            + value(&families, "ppe_key_releases_total{result=\"failed\"}").unwrap_or(0.0)
            >= 1.0,
        "{text}"
    );
    assert!(value(&families, "ppe_http_request_duration_seconds_count{route=\"heartbeat\"}").unwrap_or(0.0) >= 1.0, "{text}");

    // The box: alive, and ready once enrolled.
    let mut cmd = Command::new(ppe_bin());
    cmd.args(["edge", "serve", "--listen", "127.0.0.1:0", "--config", dir.join("box/ppe.toml").to_str().unwrap()])
        .env("PPE_HUB_URL", &hub.url)
        .env("PPE_LOG", "warn");
    let edge = spawn_daemon(cmd, |line| line.contains(" UI on ").then(|| url_after(line, "https://")).flatten()).expect("edge serve");
    let (status, _, body) = https_get(&client, &format!("{}/healthz", edge.url));
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (status, _, body) = https_get(&client, &format!("{}/readyz", edge.url));
    assert_eq!(status, 200, "{body}");

    // Without its signing key the hub is alive but not ready, and says which check failed.
    std::fs::remove_file(dir.join("hub/keys/signing.pk8")).unwrap();
    let (status, _, body) = https_get(&client, &format!("{}/readyz", hub.url));
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 503, "{body}");
    let keys = ready["checks"].as_array().unwrap().iter().find(|c| c["name"] == "keys").unwrap();
    assert!(keys["ok"] == false && keys["detail"].as_str().unwrap().contains("ключ подписи РЦОИ"), "{body}");
    assert_eq!(https_get(&client, &format!("{}/healthz", hub.url)).0, 200);
}

/// Every error text a person reads (`#[error("…")]` under `src/`) is Russian: a message with
/// Latin words and no Cyrillic fails, placeholders, `code`, `[section]` names and a few
/// names of things aside.
#[test]
fn error_messages_a_person_reads_are_in_russian() {
    const NAMES: [&str; 9] = ["HTTP", "HTTPS", "CUPS", "SHA-256", "tus", "JSON", "TLS", "SANE", "PDF"];
    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut depth = (0, false, false);
        for c in text.chars() {
            match c {
                '{' => depth.0 += 1,
                '}' if depth.0 > 0 => depth.0 -= 1,
                '`' => depth.1 = !depth.1,
                '[' => depth.2 = true,
                ']' => depth.2 = false,
                _ if depth.0 == 0 && !depth.1 && !depth.2 => out.push(c),
                _ => {}
            }
        }
        out.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !NAMES.contains(w)).collect::<Vec<_>>().join(" ")
    }
    fn walk(dir: &Path, found: &mut Vec<String>, seen: &mut usize) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found, seen);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let Some(rest) = line.trim_start().strip_prefix("#[error(\"") else { continue };
                    *seen += 1;
                    let message = rest.rsplit_once("\"").map(|(m, _)| m).unwrap_or(rest);
                    let words = strip(message);
                    let latin = words.chars().any(|c| c.is_ascii_alphabetic());
                    let cyrillic = words.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
                    if latin && !cyrillic {
                        found.push(format!("{}:{}: {message}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(strip("{path}: `key` [plan] HTTP {status}").trim().is_empty(), "the allowances");
    assert!(!strip("file {name} is missing").trim().is_empty(), "the check sees English");
    let (mut found, mut seen) = (Vec::new(), 0);
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found, &mut seen);
    assert!(seen > 100, "the scan sees the error texts ({seen})");
    assert!(found.is_empty(), "English error texts:\n{}", found.join("\n"));
}

/// The progress seam hears the real totals: publishing an exam reports every plaintext byte of
/// every point's package, once, against the total it announced.
#[test]
fn publishing_reports_every_byte_it_encrypts_to_the_progress_seam() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hub_toml = hub_with_box(dir, false);
    let exam = first_exam(&hub_toml);
    let materials = dir.join("materials");
    std::fs::create_dir_all(&materials).unwrap();
    std::fs::write(materials.join("instructions.pdf"), vec![7u8; 70_001]).unwrap();
    std::fs::write(materials.join("template.pdf"), vec![9u8; 1_234]).unwrap();
    let ctx = ppe::context::HubContext::open(&hub_toml).unwrap();
    let progress = ppe::cli_util::CountingProgress::default();
    let request = ppe::materials::hub_publish::PublishRequest { exam_id: exam.as_str().into(), materials_dir: materials, chunk_size: 16 << 10, kind: Default::default() };
    let published = ppe::materials::hub_publish::publish_with_progress(&ctx, &request, &progress).unwrap();
    assert!(!published.is_empty());
    let want = 71_235 * published.len() as u64;
    assert_eq!(progress.done.load(std::sync::atomic::Ordering::Relaxed), want);
    assert_eq!(progress.stages.lock().unwrap().as_slice(), &[("шифрование пакетов".to_string(), Some(want))]);

    // The box pulls the package (from media, the hub's published folder): every ciphertext
    // byte is reported, in one stage whose total is the package's size.
    let package = ppe::materials::hub_publish::publish_dir(&ctx.config).join(&exam).join(CODE);
    let cipher: u64 = std::fs::read_dir(&package).unwrap().map(|e| e.unwrap()).filter(|e| e.file_name().to_string_lossy().ends_with(".enc")).map(|e| e.metadata().unwrap().len()).sum();
    assert!(cipher > 71_235, "ciphertext carries tags: {cipher}");
    let edge = ppe::context::EdgeContext::open(&dir.join("box/ppe.toml")).unwrap();
    let pulled = ppe::cli_util::CountingProgress::default();
    let request = ppe::materials::ops::PullRequest { exam_id: exam.as_str().into(), from: Some(package), actor: "tech".into() };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let report = rt.block_on(ppe::materials::ops::pull_with_progress(&edge, &request, &pulled)).unwrap();
    assert_eq!(report.files_fetched, 2, "{report:?}");
    assert_eq!(pulled.done.load(std::sync::atomic::Ordering::Relaxed), cipher);
    let stages = pulled.stages.lock().unwrap().clone();
    assert_eq!(stages.len(), 1, "{stages:?}");
    assert!(stages[0].0.starts_with(&format!("пакет экзамена {exam}")) && stages[0].1 == Some(cipher), "{stages:?}");
}

#[test]
fn every_command_that_reports_a_result_answers_in_json() {
    // The commands docs/cli.md lists with `--json`: each one's help names the flag.
    let with_json: &[&[&str]] = &[
        &["hub", "init"],
        &["hub", "status"],
        &["hub", "publish"],
        &["hub", "user", "add"],
        &["hub", "user", "list"],
        &["hub", "cert", "server"],
        &["hub", "cert", "box"],
        &["edge", "seat"],
        &["edge", "roster"],
        &["edge", "attendance"],
        &["edge", "appeal", "file"],
        &["edge", "appeal", "list"],
        &["edge", "oral", "queue"],
        &["edge", "oral", "score"],
        &["edge", "marks"],
        &["edge", "account"],
        &["edge", "readiness", "run"],
        &["edge", "readiness", "scan"],
        &["edge", "readiness", "report"],
        &["edge", "status"],
        &["edge", "check-config"],
    ];
    for path in with_json {
        let mut args = path.to_vec();
        args.push("--help");
        let o = ppe(&args);
        assert!(o.status.success() && stdout(&o).contains("--json"), "{path:?} has no --json:\n{}{}", stdout(&o), stderr(&o));
    }

    // And the answers parse: an operator account made by a script, then listed.
    let dir = tempfile::tempdir().unwrap();
    let hub_toml = init_hub(dir.path());
    let password = dir.path().join("password");
    std::fs::write(&password, "длинный-пароль-оператора-42\n").unwrap();
    let config = hub_toml.to_str().unwrap();
    let o = ppe(&["hub", "--config", config, "user", "add", "--login", "ivanova", "--role", "operator", "--password-file", password.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let added: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
    assert_eq!(added, serde_json::json!({ "login": "ivanova", "role": "operator" }));
    let o = ppe(&["hub", "--config", config, "user", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(listed.as_array().unwrap().iter().any(|u| u["login"] == "ivanova" && u["role"] == "operator"), "{listed}");
}
