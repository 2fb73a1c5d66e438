//! Attacks on the box UI from the exam point's LAN: first start claimed, plain HTTP, cookies.
//! Every test enrolls a box with the real `ppe hub enroll` and runs the real `ppe edge serve`
//! on its HTTPS listener, then looks at the box's database and audit log afterwards.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;

const PASSWORD: &str = "пароль-станции-1";

/// A hub and a box enrolled by it (UI certificate, setup code, ppe.toml), as an operator makes
/// them; no hub is running (the box's calls to it fail, which these tests do not need).
struct EnrolledBox {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    config: PathBuf,
    ca: PathBuf,
}

fn enrolled_box() -> EnrolledBox {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let hub = init_hub(&dir);
    let o = ppe(&["hub", "enroll", "--ppe", "0101", "--out", dir.join("box").to_str().unwrap(), "--run-dir", dir.join("box/run").to_str().unwrap(), "--config", hub.to_str().unwrap()]);
    assert!(o.status.success(), "enroll: {}", stderr(&o));
    assert!(stdout(&o).contains(&dir.join("box/setup-code").display().to_string()), "enroll says where the setup code is: {}", stdout(&o));
    for secret in ["box/setup-code", "box/keys/ui.key"] {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.join(secret)).unwrap().permissions().mode() & 0o777, 0o600, "{secret}");
    }
    EnrolledBox { config: dir.join("box/ppe.toml"), ca: dir.join("hub/keys/ca.crt"), dir, _tmp: tmp }
}

impl EnrolledBox {
    fn setup_code(&self) -> String {
        ppe::accounts::setup_code::read_code_file(&self.dir.join("box/setup-code")).unwrap().expect("enrollment wrote a setup code").display()
    }

    fn db(&self) -> ppe::store::Connection {
        ppe::store::open(&self.dir.join("box/state/ppe.db")).unwrap()
    }

    fn accounts(&self) -> u64 {
        ppe::accounts::store::account_count(&self.db()).unwrap()
    }

    fn audit_actions(&self) -> Vec<(String, String)> {
        ppe::audit::store::all(&self.db()).unwrap().into_iter().map(|e| (e.actor, e.action)).collect()
    }
}

/// Starts `ppe edge serve` and waits for the line with its UI address; the daemon's stderr
/// when it ends before printing one.
fn serve(config: &Path, listen: &str) -> Result<Daemon, String> {
    let mut cmd = Command::new(ppe_bin());
    cmd.args(["edge", "serve", "--listen", listen, "--config", config.to_str().unwrap()]).env("PPE_HUB_URL", "https://127.0.0.1:9").env("PPE_LOG", "warn");
    spawn_daemon(cmd, |line| line.find(" UI on ").map(|at| line[at + 7..].split(';').next().unwrap().trim().to_string()))
}

/// An HTTPS session with the box UI, trusting only the hub CA.
struct Browser {
    url: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

/// What one answer said.
struct Answer {
    status: u16,
    location: String,
    set_cookies: Vec<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies.iter().find(|c| c.starts_with(&format!("{name}="))).cloned()
    }
}

async fn answer(resp: reqwest::Response) -> Answer {
    let headers = resp.headers().clone();
    let set_cookies = headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let location = headers.get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    Answer { status: resp.status().as_u16(), location, set_cookies, body: resp.text().await.unwrap(), headers }
}

/// `name=value` of a `Set-Cookie` text.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_string()
}

fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).map(|s| s.split('"').next().unwrap().to_string()).unwrap_or_default()
}

const LOGIN_CSRF: &str = "__Host-ppe_box_login_csrf";
const SESSION: &str = "__Host-ppe_box_session";

/// One first-start form: its double-submit cookie and token.
struct SetupForm {
    cookie: String,
    csrf: String,
}

impl Browser {
    fn new(daemon: &Daemon, ca: &Path) -> Browser {
        assert!(daemon.url.starts_with("https://"), "the enrolled box serves HTTPS: {}", daemon.url);
        Browser { url: daemon.url.trim_end_matches('/').to_string(), http: https_client(ca), rt: tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap() }
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        self.rt.block_on(async {
            let mut req = self.http.get(format!("{}{path}", self.url));
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            answer(req.send().await.unwrap()).await
        })
    }

    fn setup_form(&self) -> (SetupForm, Answer) {
        let page = self.get("/setup", None);
        assert_eq!(page.status, 200, "{}", page.body);
        let cookie = pair(&page.cookie(LOGIN_CSRF).expect("the setup form's CSRF cookie"));
        (SetupForm { cookie, csrf: hidden_csrf(&page.body) }, page)
    }

    async fn post_setup_async(&self, form: &SetupForm, code: Option<&str>, login: &str) -> Answer {
        let mut fields = vec![("csrf", form.csrf.as_str()), ("login", login), ("password", PASSWORD), ("password2", PASSWORD)];
        if let Some(code) = code {
            fields.push(("setup_code", code));
        }
        let body = fields.iter().map(|(k, v)| format!("{k}={}", ppe::http::url_encode(v))).collect::<Vec<_>>().join("&");
        let resp = self.http.post(format!("{}/setup", self.url)).header("cookie", &form.cookie).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
        answer(resp).await
    }

    fn post_setup(&self, code: Option<&str>, login: &str) -> Answer {
        let (form, _) = self.setup_form();
        self.rt.block_on(self.post_setup_async(&form, code, login))
    }
}

/// The code a wrong guess uses: same shape, one character off.
fn wrong_code(right: &str) -> String {
    let mut chars: Vec<char> = right.chars().collect();
    chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[test]
fn first_start_without_the_setup_code_or_with_a_wrong_one_is_refused_and_creates_no_account() {
    let b = enrolled_box();
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let ui = Browser::new(&daemon, &b.ca);
    let code = b.setup_code();
    let (_, page) = ui.setup_form();
    assert!(page.body.contains("setup_code") && !page.body.contains(&code), "the page asks for the code and never shows it");

    for (what, sent) in [("no code", None), ("an empty code", Some(String::new())), ("a wrong code", Some(wrong_code(&code)))] {
        let refused = ui.post_setup(sent.as_deref(), "intruder");
        assert_eq!(refused.status, 403, "{what}: {}", refused.body);
        assert!(refused.body.contains("неверный код первого запуска"), "{what}: {}", refused.body);
        assert!(refused.cookie(SESSION).is_none(), "{what}: no session");
    }
    assert_eq!(b.accounts(), 0, "no account was made");
    let audit = b.audit_actions();
    let refusals: Vec<_> = audit.iter().filter(|(_, a)| a == "ui.setup_refused").collect();
    assert_eq!(refusals.len(), 3, "{audit:?}");
    assert!(refusals.iter().all(|(actor, _)| actor == "anonymous"), "refusals are nobody's: {audit:?}");
    assert!(!audit.iter().any(|(_, a)| a == "account.create" || a == "ui.setup"), "{audit:?}");
    // Still closed to everyone: the pages lead to the first start, not in.
    assert_eq!(ui.get("/", None).location, "/setup");
}

#[test]
fn the_setup_code_opens_the_first_start_once() {
    let b = enrolled_box();
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let ui = Browser::new(&daemon, &b.ca);
    let code = b.setup_code();
    // Someone else has the form open too, and learns the code over a shoulder.
    let (open_form, _) = ui.setup_form();
    let first = ui.post_setup(Some(&code.to_lowercase()), "tech");
    assert_eq!((first.status, first.location.as_str()), (303, "/"), "{}", first.body);
    let session = pair(&first.cookie(SESSION).expect("the first account is logged in"));
    assert_eq!(ui.get("/", Some(&session)).status, 200);
    assert!(!b.dir.join("box/setup-code").exists(), "the spent code's file is removed");
    assert!(ppe::accounts::setup_code_store::setup_code_get(&b.db()).unwrap().is_none(), "the code is spent");

    // The same code again from that form: the first start is over.
    let again = ui.rt.block_on(ui.post_setup_async(&open_form, Some(&code), "intruder"));
    assert_eq!((again.status, again.location.as_str()), (303, "/login"), "{}", again.body);
    assert!(again.cookie(SESSION).is_none());
    assert_eq!(ui.get("/setup", None).location, "/login", "the setup page is closed");
    assert_eq!(b.accounts(), 1);
    let logins: Vec<String> = ppe::accounts::store::account_list(&b.db()).unwrap().into_iter().map(|(login, _, role)| format!("{login}:{role}")).collect();
    assert_eq!(logins, ["tech:tech_specialist"]);
    let audit = b.audit_actions();
    assert!(audit.contains(&("tech".into(), "ui.setup".into())) && audit.iter().filter(|(_, a)| a == "account.create").count() == 1, "{audit:?}");

    // A restart does not arm a new code once an account exists.
    drop(daemon);
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let ui = Browser::new(&daemon, &b.ca);
    assert_eq!(ui.get("/setup", None).location, "/login");
    assert!(ppe::accounts::setup_code_store::setup_code_get(&b.db()).unwrap().is_none());
}

#[test]
fn two_concurrent_first_starts_with_the_code_make_exactly_one_account() {
    let b = enrolled_box();
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let ui = Browser::new(&daemon, &b.ca);
    let code = b.setup_code();
    let forms: Vec<SetupForm> = (0..6).map(|_| ui.setup_form().0).collect();
    let ui = &ui;
    let answers = ui.rt.block_on(async {
        let posts = forms.iter().enumerate().map(|(i, f)| {
            let login = format!("admin{i}");
            let code = code.clone();
            async move { (login.clone(), ui.post_setup_async(f, Some(&code), &login).await) }
        });
        futures_util::future::join_all(posts).await
    });
    let winners: Vec<&String> = answers.iter().filter(|(_, a)| a.location == "/" && a.cookie(SESSION).is_some()).map(|(l, _)| l).collect();
    assert_eq!(winners.len(), 1, "exactly one first start wins: {:?}", answers.iter().map(|(l, a)| (l, a.status, &a.location)).collect::<Vec<_>>());
    for (login, a) in &answers {
        if login != winners[0] {
            assert_eq!((a.status, a.location.as_str()), (303, "/login"), "{login}: {}", a.body);
            assert!(a.cookie(SESSION).is_none(), "{login}");
        }
    }
    let accounts = ppe::accounts::store::account_list(&b.db()).unwrap();
    assert_eq!(accounts.iter().map(|(l, _, _)| l).collect::<Vec<_>>(), [winners[0]]);
}

#[test]
fn guessing_the_setup_code_locks_the_first_start_until_the_box_restarts() {
    let b = enrolled_box();
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let ui = Browser::new(&daemon, &b.ca);
    let code = b.setup_code();
    let max = ppe::accounts::setup_code::MAX_SETUP_ATTEMPTS;
    for n in 1..=max {
        let refused = ui.post_setup(Some(&wrong_code(&code)), "intruder");
        assert_eq!(refused.status, 403, "{}", refused.body);
        if n == max {
            assert!(refused.body.contains("слишком много неверных кодов"), "{}", refused.body);
        }
    }
    // Now even the right code waits: guessing 75 bits five at a time per lock is hopeless.
    let locked = ui.post_setup(Some(&code), "intruder");
    assert_eq!(locked.status, 403);
    assert!(locked.body.contains("слишком много неверных кодов") && locked.cookie(SESSION).is_none(), "{}", locked.body);
    assert_eq!(b.accounts(), 0);
    assert_eq!(b.audit_actions().iter().filter(|(_, a)| a == "ui.setup_refused").count() as u32, max);

    // The specialist at the box restarts the service: the code is armed again and works.
    drop(daemon);
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let ui = Browser::new(&daemon, &b.ca);
    let ok = ui.post_setup(Some(&code), "tech");
    assert_eq!((ok.status, ok.location.as_str()), (303, "/"), "{}", ok.body);
    assert_eq!(b.accounts(), 1);
}

#[test]
fn edge_serve_on_a_lan_address_without_a_certificate_refuses_to_start() {
    let b = enrolled_box();
    let text = std::fs::read_to_string(&b.config).unwrap();
    let plain: String = text.lines().filter(|l| !l.starts_with("tls_cert_file = \"keys/ui") && !l.starts_with("tls_key_file = \"keys/ui")).map(|l| format!("{l}\n")).collect();
    assert_ne!(plain, text, "the enrolled config names the UI certificate");
    std::fs::write(&b.config, plain.replacen("state_dir = ", "listen = \"0.0.0.0:8080\"\nstate_dir = ", 1)).unwrap();

    let refused = serve(&b.config, "0.0.0.0:0").err().expect("edge serve must not start on a LAN address over plain HTTP");
    assert!(refused.contains("plain HTTP") && refused.contains("tls_cert_file") && refused.contains(&b.config.display().to_string()), "{refused}");
    let audit = b.audit_actions();
    assert!(!audit.iter().any(|(_, a)| a == "ui.setup_code_armed"), "refused before the first start was armed: {audit:?}");
    // check-config says the same about the same key.
    let o = ppe(&["edge", "--config", b.config.to_str().unwrap(), "check-config"]);
    let out = stdout(&o);
    assert!(!o.status.success() && out.contains("ключ `listen`") && out.contains("plain HTTP"), "{out}");

    // The rule is "plain HTTP only on loopback", not "never": on 127.0.0.1 it serves.
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    assert!(daemon.url.starts_with("http://127.0.0.1:"), "{}", daemon.url);
    let (status, head) = crate::demo::http_get(&format!("{}/", daemon.url));
    assert_eq!(status, 303, "{head}");
    assert!(!head.contains("Strict-Transport-Security") && !head.contains("__Host-"), "no HSTS or Secure names over plain HTTP: {head}");
}

#[test]
fn over_https_the_cookies_are_secure_host_only_and_http_only_and_every_answer_has_hsts() {
    let b = enrolled_box();
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let ui = Browser::new(&daemon, &b.ca);
    let (_, page) = ui.setup_form();
    let strict = |a: &Answer, what: &str| assert_eq!(a.headers.get("strict-transport-security").map(|v| v.to_str().unwrap()), Some("max-age=31536000"), "{what}");
    strict(&page, "the setup page");
    let csrf = page.cookie(LOGIN_CSRF).unwrap();
    for attribute in ["; Path=/", "; HttpOnly", "; SameSite=Strict", "; Secure"] {
        assert!(csrf.contains(attribute), "{csrf} lacks {attribute}");
    }
    assert!(!csrf.contains("Domain="), "{csrf}");
    assert!(page.set_cookies.iter().all(|c| c.starts_with("__Host-")), "no cookie without the __Host- prefix over HTTPS: {:?}", page.set_cookies);

    let signed_in = ui.post_setup(Some(&b.setup_code()), "tech");
    strict(&signed_in, "the redirect after the first start");
    let session = signed_in.cookie(SESSION).expect("session cookie");
    for attribute in ["; Path=/", "; HttpOnly", "; SameSite=Strict", "; Secure"] {
        assert!(session.contains(attribute), "{session} lacks {attribute}");
    }
    let cookie = pair(&session);
    for (path, want) in [("/", 200), ("/static/app.css", 200), ("/login", 200), ("/no-such-page", 404)] {
        let a = ui.get(path, Some(&cookie));
        assert_eq!(a.status, want, "{path}: {}", a.body);
        strict(&a, path);
    }
    // A session cookie under the plain name (planted over HTTP, say) opens nothing.
    let token = cookie.split_once('=').unwrap().1;
    assert_eq!(ui.get("/", Some(&format!("ppe_box_session={token}"))).status, 303);
}

#[test]
fn plain_http_to_the_https_port_gets_no_page() {
    let b = enrolled_box();
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let host = daemon.url.trim_start_matches("https://").trim_end_matches('/').to_string();
    let mut s = std::net::TcpStream::connect(&host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET /setup HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let started = Instant::now();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(started.elapsed() < Duration::from_secs(20), "the connection is closed, not left hanging");
    let text = String::from_utf8_lossy(&got);
    assert!(!text.contains("HTTP/1") && !text.contains("<html") && !text.contains("setup") && !text.to_lowercase().contains("set-cookie"), "plain HTTP got an answer: {text:?}");
    // The same port answers HTTPS (so the silence above is the TLS listener's, not a dead port).
    let (status, _, _) = https_get(&https_client(&b.ca), &format!("{}/setup", daemon.url));
    assert_eq!(status, 200);
    assert!(ppe::accounts::setup_code_store::setup_code_get(&b.db()).unwrap().is_some_and(|c| c.failed_attempts == 0), "nothing counted against the code");
}

/// The certificate a TLS client trusting only `ca` is served at `addr` for `server_name`; `Err`
/// when the handshake fails (e.g. the name is not in the certificate).
fn served_cert(addr: &str, ca: &Path, server_name: &str) -> Result<Vec<u8>, String> {
    use rustls_pki_types::pem::PemObject;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = std::sync::Arc::new(rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth());
    let mut conn = rustls::ClientConnection::new(config, rustls_pki_types::ServerName::try_from(server_name.to_string()).unwrap()).unwrap();
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    rustls::Stream::new(&mut conn, &mut sock).write_all(b"GET / HTTP/1.1\r\nHost: box\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    Ok(conn.peer_certificates().unwrap()[0].to_vec())
}

#[test]
fn the_hub_renews_the_box_ui_certificate_for_the_boxs_lan_names_and_only_for_an_enrolled_box() {
    let b = enrolled_box();
    let hub = b.dir.join("hub/hub.toml");
    let cert_der = || ppe::hub::pki::first_cert_der(&std::fs::read_to_string(b.dir.join("box/keys/ui.crt")).unwrap()).unwrap();
    let enrolled = cert_der();
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let addr = daemon.url.trim_start_matches("https://").trim_end_matches('/').to_string();
    assert_eq!(served_cert(&addr, &b.ca, "127.0.0.1").unwrap(), enrolled);
    assert_eq!(served_cert(&addr, &b.ca, "ppe-0101.local").unwrap(), enrolled, "the default name is the box's code-based one");
    assert!(served_cert(&addr, &b.ca, "192.168.10.2").is_err(), "an address not named at enrollment is not vouched for");
    drop(daemon);

    let o = ppe(&["hub", "cert", "ui", "--ppe", "0101", "--out", b.dir.join("box").to_str().unwrap(), "--ui-ip", "192.168.10.2", "--config", hub.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let renewed = cert_der();
    assert_ne!(renewed, enrolled);
    let daemon = serve(&b.config, "127.0.0.1:0").unwrap();
    let addr = daemon.url.trim_start_matches("https://").trim_end_matches('/').to_string();
    assert_eq!(served_cert(&addr, &b.ca, "192.168.10.2").unwrap(), renewed, "after a restart the box serves the renewed certificate for its LAN address");
    assert_eq!(served_cert(&addr, &b.ca, "127.0.0.1").unwrap(), renewed, "and still for this machine");
    let hub_audit = ppe::audit::store::all(&ppe::store::open(&b.dir.join("hub/state/hub.db")).unwrap()).unwrap();
    assert!(hub_audit.iter().any(|e| e.action == "hub.box_ui_cert_renew" && e.object == "0101"), "the renewal is audited on the hub");

    // A code the hub never enrolled gets no certificate and no files.
    let other = b.dir.join("other");
    let o = ppe(&["hub", "cert", "ui", "--ppe", "9999", "--out", other.to_str().unwrap(), "--config", hub.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("не зарегистрирован"), "{}", stderr(&o));
    assert!(!other.exists(), "no files for an unenrolled code");
}
