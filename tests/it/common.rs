//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod faulty_link;

/// The `ppe` binary built for these tests.
pub fn ppe_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ppe"))
}

/// Runs `ppe` with arguments; returns the output (never panics on failure exit).
pub fn ppe(args: &[&str]) -> Output {
    Command::new(ppe_bin()).args(args).env("PPE_LOG", "warn").output().expect("run ppe")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fresh hub folder (`ppe hub init`); returns the path of its hub.toml.
pub fn init_hub(dir: &Path) -> PathBuf {
    let hub = dir.join("hub");
    let o = ppe(&["hub", "init", "--dir", hub.to_str().unwrap()]);
    assert!(o.status.success(), "hub init: {}", stderr(&o));
    hub.join("hub.toml")
}

/// Whether a program is on PATH (tests that need a system part install it in .ci/run).
pub fn have(program: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {program}")).output().map(|o| o.status.success()).unwrap_or(false)
}

/// A cupsd of our own: its config, spool and logs in a temp folder, on a free port.
pub struct Cupsd {
    child: Child,
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub printer: String,
    pdf_conf: PathBuf,
}

impl Cupsd {
    pub fn start() -> Cupsd {
        for p in ["/usr/sbin/cupsd", "lpadmin", "lpstat", "cupsdisable", "cupsenable"] {
            assert!(have(p) || Path::new(p).exists(), "{p} missing: run scripts/install-deps.sh (cups cups-client printer-driver-cups-pdf)");
        }
        let dir = tempfile::Builder::new().prefix("ppe-cups").tempdir().unwrap();
        let root = dir.path();
        for sub in ["spool", "tmp", "cache", "state", "out"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        // cupsd runs filters as `lp`: they must reach the spool and write their temp files.
        chmod(root, 0o755);
        chmod(&root.join("tmp"), 0o1777);
        // Jobs of users unknown to the system are written as cups-pdf's anonymous user.
        chmod(&root.join("out"), 0o1777);
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let printer = format!("ppetest{}x{port}", std::process::id());
        let r = root.display();
        std::fs::write(
            root.join("cups-files.conf"),
            format!(
                "ServerRoot {r}\nRequestRoot {r}/spool\nTempDir {r}/tmp\nCacheDir {r}/cache\nStateDir {r}/state\nErrorLog {r}/error_log\n\
                 AccessLog {r}/access_log\nPageLog {r}/page_log\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\nUser lp\nGroup lp\n\
                 SystemGroup root lpadmin\nFileDevice No\nSandboxing Relaxed\n"
            ),
        )
        .unwrap();
        std::fs::write(root.join("cupsd.conf"), private_cupsd_conf(port)).unwrap();
        // cups-pdf reads /etc/cups/cups-pdf-<queue>.conf for `cups-pdf:/<queue>`: a per-test
        // file sends the output into our temp folder and leaves the system config alone.
        let pdf_conf = PathBuf::from(format!("/etc/cups/cups-pdf-{printer}.conf"));
        std::fs::write(&pdf_conf, format!("Out {r}/out\nAnonDirName {r}/out\nLabel 1\n")).unwrap();
        let child = Command::new("/usr/sbin/cupsd")
            .args(["-f", "-c"])
            .arg(root.join("cupsd.conf"))
            .arg("-s")
            .arg(root.join("cups-files.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let cups = Cupsd { child, dir, port, printer, pdf_conf };
        cups.wait_until(Duration::from_secs(20), "cupsd ready", || {
            Command::new("lpstat").args(["-h", &cups.host(), "-r"]).output().map(|o| String::from_utf8_lossy(&o.stdout).contains("is running")).unwrap_or(false)
        });
        let o = Command::new("lpadmin")
            .args(["-h", &cups.host(), "-p", &cups.printer, "-v", &format!("cups-pdf:/{}", cups.printer), "-E", "-P", "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"])
            .output()
            .unwrap();
        assert!(o.status.success(), "lpadmin: {}", String::from_utf8_lossy(&o.stderr));
        cups
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn admin(&self, program: &str) {
        let o = Command::new(program).args(["-h", &self.host(), &self.printer]).output().unwrap();
        assert!(o.status.success(), "{program}: {}", String::from_utf8_lossy(&o.stderr));
    }

    /// Polls a condition (a readiness probe, not a sleep to let things happen).
    pub fn wait_until(&self, limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
        let start = Instant::now();
        while !ready() {
            assert!(start.elapsed() < limit, "timed out waiting for {what}; cupsd log in {}", self.dir.path().display());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The cups-pdf output of a CUPS job, once it is written.
    pub fn output_of(&self, cups_job: i64) -> PathBuf {
        let out = self.dir.path().join("out");
        let suffix = format!("-job_{cups_job}.pdf");
        let mut found = None;
        self.wait_until(Duration::from_secs(60), &format!("cups-pdf output of job {cups_job}"), || {
            found = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.path()).find(|p| p.to_string_lossy().ends_with(&suffix));
            found.is_some()
        });
        found.unwrap()
    }
}

impl Drop for Cupsd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.pdf_conf);
    }
}

/// cupsd.conf of a private cupsd on 127.0.0.1:`port` that anyone on loopback may use.
pub fn private_cupsd_conf(port: u16) -> String {
    format!(
        "Listen 127.0.0.1:{port}\nLogLevel info\nBrowsing No\nWebInterface No\nDefaultAuthType None\n\
         <Location />\n  Order allow,deny\n  Allow from 127.0.0.1\n</Location>\n\
         <Policy default>\n  <Limit All>\n    AuthType None\n    Order deny,allow\n  </Limit>\n</Policy>\n"
    )
}

pub fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

// ---------- headless Chromium through chromedriver (plain WebDriver over HTTP) ----------

pub struct Driver {
    child: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Driver {
    pub async fn start() -> Driver {
        Driver::start_with(&[]).await
    }

    /// Chromium that trusts exactly the certificate of this key (base64 SHA-256 of its
    /// SubjectPublicKeyInfo, `ppe::hub::pki::spki_sha256_base64`) besides the usual roots:
    /// the box UI's HTTPS, without accepting any other invalid certificate.
    pub async fn start_trusting(spki_sha256_base64: &str) -> Driver {
        Driver::start_with(&[format!("--ignore-certificate-errors-spki-list={spki_sha256_base64}")]).await
    }

    pub async fn start_with(extra_args: &[String]) -> Driver {
        assert!(have("chromedriver") && have("chromium"), "chromium and chromium-driver are needed (scripts/packages.txt lists them)");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("chromedriver").arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.json::<serde_json::Value>().await.map(|v| v["value"]["ready"] == true).unwrap_or(false) {
                    break;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1500,900"]
            .into_iter()
            .map(str::to_string)
            .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra_args.iter().cloned());
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}});
        let v: serde_json::Value = http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session = v["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {v}")).to_string();
        Driver { child, base, session, http, _profile: profile }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if !body.is_null() {
            req = req.json(&body);
        }
        let v: serde_json::Value = req.send().await.unwrap().json().await.unwrap();
        assert!(v["value"].get("error").is_none(), "WebDriver {path}: {v}");
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", serde_json::json!({"url": url})).await;
    }

    pub async fn element(&self, css: &str) -> String {
        let v = self.call(reqwest::Method::POST, "/element", serde_json::json!({"using": "css selector", "value": css})).await;
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_string()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), serde_json::json!({"text": text})).await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/click"), serde_json::json!({})).await;
    }

    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.call(reqwest::Method::POST, "/execute/sync", serde_json::json!({"script": script, "args": []})).await
    }

    /// Waits until `script` returns a string containing `want`; returns it.
    pub async fn wait_text(&self, script: &str, want: &str) -> String {
        let started = Instant::now();
        loop {
            let v = self.js(script).await;
            let text = v.as_str().unwrap_or("").to_string();
            if text.contains(want) {
                return text;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "waited 30 s for {want:?}; last: {text:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let v = self.call(reqwest::Method::GET, "/screenshot", serde_json::Value::Null).await;
        base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap()
    }

    pub async fn quit(&self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
    }
}

// ---------- HTTPS to the box UI ----------

/// An HTTPS client that trusts only the CA in this PEM file (the hub's, which issues the box
/// UI's certificate) and follows no redirects.
pub fn https_client(ca_pem: &Path) -> reqwest::Client {
    use rustls_pki_types::pem::PemObject;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_file_iter(ca_pem).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    reqwest::Client::builder().use_preconfigured_tls(tls).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// One GET with its own small runtime: (status, headers, body).
pub fn https_get(client: &reqwest::Client, url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let resp = client.get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e:?}"));
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        (status, headers, resp.text().await.unwrap())
    })
}

/// A socat pty pair: `reader` is what the box opens, `feeder` plays the barcode reader.
pub struct PtyPair {
    child: std::process::Child,
}

impl PtyPair {
    /// Starts socat and waits until it reports the data loop (both links exist then).
    pub fn start(reader: &Path, feeder: &Path) -> Self {
        use std::io::BufRead;
        let mut child = Command::new("socat")
            .args(["-d", "-d", &format!("pty,raw,echo=0,link={}", reader.display()), &format!("pty,raw,echo=0,link={}", feeder.display())])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("socat (Debian package socat) is installed");
        let stderr = child.stderr.take().unwrap();
        let mut lines = std::io::BufReader::new(stderr).lines();
        loop {
            let line = lines.next().expect("socat ended before its data loop").unwrap();
            if line.contains("starting data transfer loop") {
                break;
            }
        }
        // Keep draining socat's log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        PtyPair { child }
    }

    /// Pulls the plug: the ptys and their links go away.
    pub fn unplug(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

pub fn feed(feeder: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().write(true).open(feeder).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.flush().unwrap();
}

// ---------- CUPS settings made by the project's own firmware-config ----------

/// Runs firmware-config/cups-setup.sh with `args` (never against /etc/cups: callers pass
/// `--conf-dir` and `--no-restart`).
pub fn cups_setup(args: &[&str]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("firmware-config/cups-setup.sh");
    Command::new("bash").arg(script).args(args).output().unwrap()
}

/// A CUPS configuration folder (for `CUPS_SERVERROOT`) whose spool and temp folder are on
/// tmpfs with `PreserveJobFiles No`, as cups-setup.sh makes it: what `check-config` accepts.
pub fn memory_cups_conf() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("ppe-cups-conf").tempdir_in("/dev/shm").expect("/dev/shm (tmpfs) for a CUPS spool");
    let root = dir.path().to_str().unwrap();
    let o = cups_setup(&["--spool-only", "--no-restart", "--conf-dir", root, "--spool", &format!("{root}/spool")]);
    assert!(o.status.success(), "cups-setup.sh: {}", String::from_utf8_lossy(&o.stderr));
    dir
}

// ---------- a daemon of ours (`ppe … serve`), killed when dropped ----------

/// A `ppe` daemon started by a test, killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub url: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `cmd` (stderr piped) and reads its stderr until `url_in` finds the address in a
/// line; then the rest of stderr is drained in the background. `Err(stderr so far)` when the
/// program ends before printing one.
pub fn spawn_daemon(mut cmd: Command, url_in: impl Fn(&str) -> Option<String>) -> Result<Daemon, String> {
    use std::io::BufRead;
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let url = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.wait();
            return Err(seen);
        };
        seen.push_str(&line);
        seen.push('\n');
        if let Some(url) = url_in(&line) {
            break url;
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok(Daemon { child, url })
}

/// Plants РЦОИ's seed of `purpose` for `exam` in a box database, as the box keeps it after
/// fetching (signed by a hub key made here: the box's store keeps the seed it accepted).
pub fn plant_seed(conn: &mut ppe::store::Connection, exam_id: &str, ppe_code: &str, purpose: ppe::distribution::Purpose, seed: u64) {
    let hub_key = ppe::keys::ed25519_from_pkcs8(&ppe::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
    let hub_public = ppe::keys::ed25519_public_hex(&hub_key);
    let (seed, release_at) = (seed.to_string(), "2027-05-26T00:00:00+07:00".to_string());
    let signature = ppe::keys::sign_hex(&hub_key, &ppe::distribution::seed_signature_message(exam_id, ppe_code, purpose, &seed, &release_at));
    let signed = ppe::distribution::SignedSeed { exam_id: exam_id.into(), ppe_code: ppe_code.into(), purpose, seed, release_at, signature };
    ppe::distribution::ops::accept_seed(conn, &hub_public, &signed, &exam_id.into(), &ppe_code.into(), purpose, "2027-05-26T01:00:00Z").unwrap();
}

/// РЦОИ's organizers' seed of `exam`, planted (see [`plant_seed`]).
pub fn plant_organizers_seed(conn: &mut ppe::store::Connection, exam_id: &str, ppe_code: &str, seed: u64) {
    plant_seed(conn, exam_id, ppe_code, ppe::distribution::Purpose::Organizers, seed);
}
