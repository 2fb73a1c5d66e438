//! The ГЭК member's hardware security key end to end, with Chromium's virtual authenticator
//! (CTAP2, user verification) over WebDriver: РЦОИ's operator registers the member's key on the
//! dashboard's «Ключи членов ГЭК» page (the real operator router), the member touches it on the
//! box's activation page (the real box router) and the real `ppe hub serve` (mutual TLS)
//! releases the key only against that assertion. WebAuthn needs a secure context, so both
//! pages are opened as `http://localhost:PORT` (the hub's default `[gek]`: rp id `localhost`,
//! any port).

use std::sync::Arc;

use crate::attacks::gek::{code, s, Point, Ui, EXAM};
use crate::common::*;

const OPERATOR: &str = "rcoi";
const OPERATOR_PASSWORD: &str = "пароль-оператора-1";
const BOX_LOGIN: &str = "gek";
const BOX_PASSWORD: &str = "длинный-пароль-1";

/// The hub's dashboard on `http://localhost:PORT` with an operator account; its URL.
fn dashboard(p: &Point, rt: &tokio::runtime::Runtime) -> String {
    use ppe::monitoring::pages::{operator_router, MonitoringPages};
    let ctx = ppe::context::HubContext::open(&p.hub_toml).unwrap();
    ppe::monitoring::accounts::create_operator(&mut ctx.db().unwrap(), OPERATOR, ppe::monitoring::accounts::OperatorRole::Operator, OPERATOR_PASSWORD, &ctx.clock.now_rfc3339(), "test").unwrap();
    let hub = ppe::monitoring::live::MonitoringHub::from_context(&ctx).unwrap();
    let rp = Arc::new(ppe::gek::webauthn::relying_party(&ctx.config.gek).unwrap());
    let pages = MonitoringPages { secure_cookies: false, gek_rp: Some(rp), ..MonitoringPages::new(hub) };
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, operator_router(pages).into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap() });
    format!("http://localhost:{port}")
}

/// The box's UI (the real router) as `http://localhost:PORT`, with a ГЭК account for `worker`.
fn box_ui(p: &Point, worker: &str) -> (Ui, String) {
    let o = p.edge(&["account", "--login", BOX_LOGIN, "--role", "gek_member", "--worker", worker, "--password-file", s(&p.pin_file(BOX_PASSWORD))]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ui = Ui::start(&p.box_toml, &p.hub.url);
    let url = ui.url.replace("127.0.0.1", "localhost");
    (ui, url)
}

/// A virtual CTAP2 security key with user verification (a PIN the member enters); its id.
async fn plug_in_a_security_key(d: &Driver) -> String {
    let body = serde_json::json!({"protocol": "ctap2", "transport": "usb", "hasResidentKey": true, "hasUserVerification": true, "isUserConsenting": true, "isUserVerified": true});
    d.call(reqwest::Method::POST, "/webauthn/authenticator", body).await.as_str().unwrap().to_string()
}

async fn log_in(d: &Driver, base: &str, login: &str, password: &str) {
    d.goto(&format!("{base}/login")).await;
    d.type_into("#login", login).await;
    d.type_into("#password", password).await;
    d.click("#submit").await;
    d.wait_text("return String(!document.getElementById('password'));", "true").await;
}

/// The operator registers `worker`'s key on the dashboard, the member touching it; the page's status.
async fn register(d: &Driver, dash: &str, worker: &str) -> String {
    log_in(d, dash, OPERATOR, OPERATOR_PASSWORD).await;
    d.goto(&format!("{dash}/admin/gek")).await;
    d.click(&format!("button.gek-register[data-worker=\"{worker}\"]")).await;
    d.wait_text("return document.getElementById('gek-status').textContent;", "зарегистрирован").await
}

/// Keeps what the page posts to finish an activation across the page's navigation.
const CAPTURE_FINISH: &str = "const f=window.fetch;window.fetch=function(u,o){if(String(u).includes('finish'))sessionStorage.setItem('finish',o.body);return f.apply(this,arguments)};return true;";

/// The member activates on the box's page with the key; the text the page ends with
/// (the flash on success, `Ошибка: …` in the panel on a refusal).
async fn activate(d: &Driver, box_url: &str) -> String {
    log_in(d, box_url, BOX_LOGIN, BOX_PASSWORD).await;
    d.goto(&format!("{box_url}/materials?exam={EXAM}")).await;
    d.js(CAPTURE_FINISH).await;
    d.click("#activate-security-key").await;
    let script = "var st=document.querySelector('#gek-security-key .status');var t=(st&&st.textContent.startsWith('Ошибка'))?st.textContent:'';return t||(document.body.innerText.includes('ключ получен')?'ключ получен':'');";
    let started = std::time::Instant::now();
    loop {
        let text = d.js(script).await.as_str().unwrap_or("").to_string();
        if !text.is_empty() {
            return text;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the activation page never finished");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn stored_security_keys(p: &Point) -> Vec<ppe::gek::GekCredential> {
    ppe::gek::store::credential_list(&p.hub_db()).unwrap().into_iter().filter(|c| c.kind == ppe::gek::CredentialKind::WebAuthn).collect()
}

/// A security-key challenge as the box's own client gets one (what the specialist with root
/// on the box can ask for): (status, answer).
fn security_key_challenge(p: &Point, worker: &str, box_public: &str) -> (u16, serde_json::Value) {
    let client = ppe::hub_client::HubClient::from_context(&p.box_ctx()).unwrap();
    let body = serde_json::json!({"exam_id": EXAM, "security_key": {"worker_id": worker, "box_public": box_public}});
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let resp = client.http().post(client.url(ppe::protocol::paths::GEK_CHALLENGE)).json(&body).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or_default())
    })
}

fn runtime() -> tokio::runtime::Runtime {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn the_members_security_key_registered_by_rcoi_releases_the_key_on_the_box_page_and_its_replay_is_refused() {
    let p = Point::new();
    let member = p.member("0101");
    let rt = runtime();
    let dash = dashboard(&p, &rt);
    let (_ui, box_url) = box_ui(&p, &member);
    let d = rt.block_on(Driver::start());
    rt.block_on(plug_in_a_security_key(&d));
    rt.block_on(register(&d, &dash, &member));
    let keys = stored_security_keys(&p);
    assert_eq!(keys.len(), 1, "one security key registered");
    assert_eq!((keys[0].worker_id.as_str(), keys[0].enrolled_by.as_str()), (member.as_str(), OPERATOR));
    assert!(p.hub_audit().lines().any(|l| l.starts_with("rcoi gek.enrolled") && l.contains("webauthn")), "{}", p.hub_audit());
    let counter_before = keys[0].public_key.clone();
    // The specialist, with the box's certificate, asks a challenge for the member's key and
    // answers it with an assertion of his own making.
    let mut forged = p.box_request();
    let (status, answer) = security_key_challenge(&p, &member, &forged.request.box_public);
    assert_eq!(status, 200, "{answer}");
    let made_up = serde_json::json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
        "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": null}});
    forged.request.gek = Some(ppe::protocol::key::GekProof { worker_id: member.as_str().into(), challenge: answer["challenge"].as_str().unwrap().into(), signature: String::new(), webauthn: Some(made_up.to_string()) });
    let (status, body) = p.post_key(&forged.request);
    assert_eq!((status, code(&body).as_str()), (403, "gek_bad_proof"), "{body}");
    p.assert_no_key_anywhere();
    let done = rt.block_on(activate(&d, &box_url));
    assert_eq!(done, "ключ получен", "the member's own key on the box's page");
    assert_eq!(&*ppe::materials::open_decrypted(&p.box_ctx(), EXAM, "1-kim-variant.pdf").unwrap(), b"%PDF-1.4 the exam paper of the day");
    assert_eq!(ppe::materials::store::hub_keys_released(&p.hub_db(), EXAM).unwrap(), [("0101".to_string(), Some(member.clone()))], "who released to whom");
    assert!(p.hub_audit().lines().any(|l| l.starts_with("box:0101 materials.key_released") && l.contains(&member)), "{}", p.hub_audit());
    assert!(p.box_audit().lines().any(|l| l.contains("materials.activated") && l.contains(&member)), "{}", p.box_audit());
    assert_ne!(stored_security_keys(&p)[0].public_key, counter_before, "the key's counter is kept with the release");
    // The assertion the page posted, replayed: to the box (its waiting request is gone) and,
    // by the specialist with the box's certificate, to the hub in a new key request.
    let sent: serde_json::Value = serde_json::from_str(rt.block_on(d.js("return sessionStorage.getItem('finish');")).as_str().unwrap()).unwrap();
    let replay = format!("const r=await fetch('/materials/activate/security-key/finish',{{method:'POST',headers:{{'Content-Type':'application/json'}},body:{}}});return r.status+' '+await r.text();", serde_json::to_string(&sent.to_string()).unwrap());
    let answer = rt.block_on(d.call(reqwest::Method::POST, "/execute/async", serde_json::json!({"script": format!("const done=arguments[arguments.length-1];(async()=>{{{replay}}})().then(done);"), "args": []})));
    let answer = answer.as_str().unwrap_or("").to_string();
    assert!(!answer.starts_with("200") && answer.contains("устарел"), "the box takes an assertion once: {answer}");
    let mut pending = p.box_request();
    let challenge = sent["challenge"].as_str().unwrap().to_string();
    pending.request.gek = Some(ppe::protocol::key::GekProof { worker_id: member.as_str().into(), challenge, signature: String::new(), webauthn: Some(sent["credential"].to_string()) });
    let (status, body) = p.post_key(&pending.request);
    assert_eq!((status, code(&body).as_str()), (403, "gek_bad_proof"), "an assertion is bound to its own key request: {body}");
    assert_eq!(ppe::materials::store::hub_keys_released(&p.hub_db(), EXAM).unwrap().len(), 1, "released once, not twice");
    rt.block_on(d.quit());
}

#[test]
fn a_member_without_a_registered_key_and_an_unregistered_key_get_nothing_on_either_side() {
    let p = Point::new();
    let member = p.member("0101");
    let rt = runtime();
    let dash = dashboard(&p, &rt);
    let (_ui, box_url) = box_ui(&p, &member);
    // The member's box account, a key РЦОИ never registered, and nothing registered yet.
    let stranger = rt.block_on(Driver::start());
    rt.block_on(plug_in_a_security_key(&stranger));
    let done = rt.block_on(activate(&stranger, &box_url));
    assert!(done.starts_with("Ошибка") && done.contains("нет действующего ключа"), "{done}");
    assert!(p.box_audit().lines().any(|l| l.contains("materials.key_refused") && l.contains(&member)), "{}", p.box_audit());
    assert!(p.hub.log().contains("gek_unknown"), "the hub's log: {}", p.hub.log());
    // РЦОИ registers the member's real key (another browser, another authenticator): the
    // stranger's key still answers nothing the hub accepts.
    let real = rt.block_on(Driver::start());
    rt.block_on(plug_in_a_security_key(&real));
    rt.block_on(register(&real, &dash, &member));
    rt.block_on(real.quit());
    let done = rt.block_on(activate(&stranger, &box_url));
    assert!(done.starts_with("Ошибка"), "{done}");
    let sent = rt.block_on(stranger.js("return sessionStorage.getItem('finish');"));
    assert!(sent.is_null(), "a key that is not the registered one makes no assertion the page could send: {sent}");
    rt.block_on(stranger.quit());
    p.assert_no_key_anywhere();
    assert!(!p.hub_key_log().iter().any(|(_, outcome, _)| outcome == "released"), "{:?}", p.hub_key_log());
}
