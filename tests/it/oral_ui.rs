//! The oral exam in the box UI (issue 18 items 2–3): the real router on 127.0.0.1 over the ИС-9
//! box of `oral.rs` with its roster — the head builds the queues; the собеседник of room 103
//! runs its queue (start, a refused second start shown as the page's message, finish, absent,
//! late, a move to room 102 with its reason) and is refused room 102 and the seating; the
//! expert of room 103 previews a protocol's total, saves it, sees it read-only with зачёт, and
//! a second one is refused; the expert of room 102, an organizer and an assistant are refused
//! the expert's page of room 103 (403).

use ppe::model::{ExamId, PpeCode, WorkerRole};
use ppe::oral::TurnState;
use ppe::roster::{Post, RosterEntry};

use crate::upload::PPE;
use crate::webui::{cookies_of, form_encode, hidden_csrf, serve_ui};

const IS9: &str = "is-9";
const PASSWORD: &str = "пароль-работника-1";

struct Ui {
    url: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Ui {
    /// A GET (no form) or a POST of `form`: (status, location, body).
    fn send(&self, path: &str, cookie: &str, form: Option<&[(&str, &str)]>) -> (u16, String, String) {
        let url = format!("{}{path}", self.url);
        let request = match form {
            None => self.http.get(url),
            Some(form) => self.http.post(url).header("content-type", "application/x-www-form-urlencoded").body(form_encode(form)),
        };
        self.rt.block_on(async {
            let resp = request.header("cookie", cookie).send().await.unwrap();
            let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            (resp.status().as_u16(), location, resp.text().await.unwrap())
        })
    }
    fn get(&self, path: &str, cookie: &str) -> (u16, String, String) {
        self.send(path, cookie, None)
    }
    fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        self.send(path, cookie, Some(form))
    }

    /// Logs in: (session cookie, the session's CSRF token).
    fn login(&self, login: &str) -> (String, String) {
        // `oral.rs`' box made the expert's account with its own password.
        let password = if login == "expert1" { "пароль-эксперта" } else { PASSWORD };
        let (csrf_cookie, csrf) = self.rt.block_on(async {
            let resp = self.http.get(format!("{}/login", self.url)).send().await.unwrap();
            let cookie = cookies_of(&resp).into_iter().find(|c| c.starts_with("ppe_box_login_csrf=")).expect("login CSRF cookie");
            (cookie, hidden_csrf(&resp.text().await.unwrap()))
        });
        let session = self.rt.block_on(async {
            let form = form_encode(&[("csrf", &csrf), ("login", login), ("password", password), ("next", "/")]);
            let resp = self
                .http
                .post(format!("{}/login", self.url))
                .header("cookie", &csrf_cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await
                .unwrap();
            cookies_of(&resp).into_iter().find(|c| c.starts_with("ppe_box_session=")).unwrap_or_else(|| panic!("{login} logs in"))
        });
        let (_, _, home) = self.get("/", &session);
        (session.clone(), hidden_csrf(&home))
    }

    /// A POST answered with a redirect, then the page it leads to (with the action's message).
    fn act(&self, path: &str, who: &(String, String), form: &[(&str, &str)]) -> String {
        let mut all = vec![("csrf", who.1.as_str())];
        all.extend_from_slice(form);
        let (status, location, body) = self.post(path, &who.0, &all);
        assert_eq!(status, 303, "POST {path} {form:?}: {body}");
        let (status, _, page) = self.get(&location, &who.0);
        assert_eq!(status, 200, "{location}: {page}");
        page
    }
}

/// The message an action left on the page.
fn message(page: &str) -> String {
    // The flash message's div, whatever attributes follow its id (role="status" for screen readers).
    page.split("<div class=\"ok\" id=\"msg\"").nth(1).and_then(|s| s.split_once('>')).and_then(|(_, s)| s.split("</div>").next()).unwrap_or("").to_string()
}

#[test]
fn examiners_run_their_rooms_queue_and_experts_enter_protocols_through_the_box_ui() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("box");
    let (config, _) = crate::oral::interview_box(&dir);
    let db_path = dir.join("state/ppe.db");
    {
        let mut db = ppe::store::open(&db_path).unwrap();
        let now = "2027-02-14T01:00:00Z";
        let roster = [
            RosterEntry { worker_id: "W900003".into(), post: Post::Examiner { auditorium: "103".into() } },
            RosterEntry { worker_id: "W900001".into(), post: Post::Expert { auditorium: "103".into() } },
            RosterEntry { worker_id: "W900002".into(), post: Post::Expert { auditorium: "102".into() } },
        ];
        let tx = db.transaction().unwrap();
        ppe::roster::store::roster_replace(&tx, IS9, PPE, &roster).unwrap();
        tx.commit().unwrap();
        for (login, worker, role) in [
            ("examiner1", "W900003", WorkerRole::Examiner),
            ("expert2", "W900002", WorkerRole::Expert),
            ("head1", "W000001", WorkerRole::Head),
            ("org1", "W000003", WorkerRole::OrganizerInRoom),
            ("assistant1", "W000004", WorkerRole::Assistant),
        ] {
            ppe::accounts::create_account(&mut db, login, worker, role, PASSWORD, now).unwrap();
        }
    }
    let (url, http, rt) = serve_ui(ppe::context::EdgeContext::open(&config).unwrap());
    let ui = Ui { url, http, rt };
    let queue = || ppe::oral::ops::queue(&ppe::store::open(&db_path).unwrap(), &ExamId::new(IS9), &PpeCode::new(PPE)).unwrap();

    // The head builds the queues from the seating: 2 in room 102, 4 in room 103.
    let head = ui.login("head1");
    let page = ui.act("/oral/build", &head, &[("exam", IS9)]);
    assert!(message(&page).contains("очереди построены: участников 6"), "{page}");
    let room = |r: &str| queue().into_iter().filter(|t| t.auditorium == r).map(|t| t.participant_id).collect::<Vec<_>>();
    let r103 = room("103");
    assert_eq!((room("102").len(), r103.len()), (2, 4));
    // The head runs every room and prints its ведомость and protocols from the page.
    let (_, _, page) = ui.get(&format!("/oral?exam={IS9}&auditorium=102"), &head.0);
    assert!(page.contains("id=\"print-oral\"") && page.contains("id=\"room-103\"") && page.contains("data-kind=\"start\""), "{page}");

    // The собеседник of room 103 sees their room only, and none of seating, printing, accounts.
    let examiner = ui.login("examiner1");
    let (status, _, page) = ui.get(&format!("/oral?exam={IS9}"), &examiner.0);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Очередь аудитории 103") && page.contains(&format!("id=\"t-{}\"", r103[0])), "{page}");
    assert!(
        !page.contains("id=\"room-102\"") && !page.contains("href=\"/seating\"") && !page.contains("href=\"/print\"") && !page.contains("print-oral"),
        "{page}"
    );
    for path in [format!("/oral?exam={IS9}&auditorium=102"), format!("/seating?exam={IS9}"), format!("/oral/protocols?exam={IS9}")] {
        assert_eq!(ui.get(&path, &examiner.0).0, 403, "{path}");
    }
    let step = |who: &(String, String), p: &str, kind: &str, room: &str| {
        ui.act("/oral/step", who, &[("exam", IS9), ("auditorium", room), ("participant", p), ("kind", kind)])
    };
    let page = step(&examiner, &r103[0], "start", "103");
    assert!(message(&page).contains("отвечает"), "{page}");
    // A second start while the first answers: the rule's reason as the page's message, nothing changed.
    let page = step(&examiner, &r103[1], "start", "103");
    assert!(message(&page).contains("отказано") && message(&page).contains("уже отвечает"), "{page}");
    assert_eq!(queue().iter().filter(|t| matches!(t.state, TurnState::Answering { .. })).count(), 1);
    step(&examiner, &r103[0], "finish", "103");
    step(&examiner, &r103[1], "absent", "103");
    let page = step(&examiner, &r103[1], "late", "103");
    assert!(message(&page).contains("опоздал"), "{page}");
    let moved = |reason: &str| {
        ui.act("/oral/move", &examiner, &[("exam", IS9), ("auditorium", "103"), ("participant", &r103[3]), ("to", "102"), ("reason", reason)])
    };
    assert!(message(&moved(" ")).contains("укажите причину"), "a move needs its reason");
    moved("плохо слышно, перевод в 102");
    let turns = queue();
    let turn = |p: &str| turns.iter().find(|t| t.participant_id == p).unwrap().clone();
    assert!(matches!(turn(&r103[0]).state, TurnState::Done { .. }));
    assert!(turn(&r103[1]).late && turn(&r103[1]).state == TurnState::Waiting && turn(&r103[1]).position == 5);
    assert_eq!((turn(&r103[3]).auditorium.as_str(), turn(&r103[3]).moved_from.as_slice()), ("102", ["103".to_string()].as_slice()));
    // Room 102 is not theirs: refused whether the form names it or names their own room.
    let (status, _, _) = ui.post(
        "/oral/step",
        &examiner.0,
        &[("csrf", &examiner.1), ("exam", IS9), ("auditorium", "102"), ("participant", &r103[3]), ("kind", "start")],
    );
    assert_eq!(status, 403);
    assert!(message(&step(&examiner, &r103[3], "start", "103")).contains("стоит в очереди аудитории 102"));
    let (_, _, page) = ui.get(&format!("/oral?exam={IS9}&auditorium=103"), &examiner.0);
    assert!(page.contains("переведён") || page.contains("опоздал"), "the queue shows the late one: {page}");

    // The expert of room 103: the form of the one who answered, a preview, the protocol saved once.
    let expert = ui.login("expert1");
    let (status, _, page) = ui.get(&format!("/oral/protocols?exam={IS9}&auditorium=103"), &expert.0);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("data-score=\"{}\"", r103[0])) && !page.contains(&format!("data-score=\"{}\"", r103[2])),
        "only the answered: {page}"
    );
    let criteria: Vec<(String, String)> = ppe::oral::CURRENT.criteria().map(|c| (format!("pt:{}", c.code), c.max.to_string())).collect();
    let mut form: Vec<(&str, &str)> = vec![("csrf", &expert.1), ("exam", IS9), ("auditorium", "103"), ("participant", &r103[0])];
    form.extend(criteria.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (status, _, page) = ui.post("/oral/score", &expert.0, &[form.as_slice(), &[("do", "preview")]].concat());
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Итог: 20 из 20 — зачёт"), "the total before saving: {page}");
    assert!(
        ppe::oral::ops::protocols(&ppe::store::open(&db_path).unwrap(), &ExamId::new(IS9), &PpeCode::new(PPE)).unwrap().is_empty(),
        "a preview stores nothing"
    );
    let save = [form.as_slice(), &[("do", "save")]].concat();
    let (status, location, _) = ui.post("/oral/score", &expert.0, &save);
    assert_eq!(status, 303);
    let (_, _, page) = ui.get(&location, &expert.0);
    assert!(message(&page).contains("20 из 20 — зачёт"), "{page}");
    assert!(page.contains("class=\"result\">20 из 20") && !page.contains(&format!("data-score=\"{}\"", r103[0])), "read-only once entered: {page}");
    let (_, location, _) = ui.post("/oral/score", &expert.0, &save);
    let (_, _, page) = ui.get(&location, &expert.0);
    assert!(message(&page).contains("уже заполнен"), "a second protocol is refused: {page}");

    // Refused the expert's page of room 103: the expert of room 102, an organizer, an assistant.
    let other = ui.login("expert2");
    assert_eq!(ui.get(&format!("/oral/protocols?exam={IS9}&auditorium=103"), &other.0).0, 403);
    assert_eq!(
        ui.post(
            "/oral/score",
            &other.0,
            &[form.as_slice(), &[("do", "save")]]
                .concat()
                .iter()
                .map(|(k, v)| if *k == "csrf" { (*k, other.1.as_str()) } else { (*k, *v) })
                .collect::<Vec<_>>()
        )
        .0,
        403
    );
    for login in ["org1", "assistant1"] {
        let who = ui.login(login);
        assert_eq!(ui.get(&format!("/oral/protocols?exam={IS9}&auditorium=103"), &who.0).0, 403, "{login}");
    }
    chromium_screenshot_of_the_queue(&ui, &r103[1]);
    // Rights follow the roster on every request: the собеседник taken off room 103 (the same
    // session) is refused its queue at once.
    let mut db = ppe::store::open(&db_path).unwrap();
    let tx = db.transaction().unwrap();
    ppe::roster::store::roster_replace(
        &tx,
        IS9,
        PPE,
        &[RosterEntry { worker_id: "W900003".into(), post: Post::Examiner { auditorium: "102".into() } }],
    )
    .unwrap();
    tx.commit().unwrap();
    assert_eq!(ui.get(&format!("/oral?exam={IS9}&auditorium=103"), &examiner.0).0, 403);
    let (status, _, _) = ui.post(
        "/oral/step",
        &examiner.0,
        &[("csrf", &examiner.1), ("exam", IS9), ("auditorium", "103"), ("participant", &r103[2]), ("kind", "absent")],
    );
    assert_eq!(status, 403);
    assert_eq!(ui.get(&format!("/oral?exam={IS9}&auditorium=102"), &examiner.0).0, 200, "room 102 is theirs now");
    let scored: Vec<String> = db
        .prepare("SELECT actor FROM audit_log WHERE action = 'oral.scored'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(scored, ["expert1"], "one protocol, audited with the expert's login");
}

/// Headless Chromium: the собеседник logs in, opens their room's queue and starts the late
/// participant with «Начать»; the page is kept as `target/screenshots/box-oral-queue.png`.
fn chromium_screenshot_of_the_queue(ui: &Ui, late: &str) {
    ui.rt.block_on(async {
        let driver = crate::common::Driver::start().await;
        driver.goto(&format!("{}/login", ui.url)).await;
        driver.type_into("#login", "examiner1").await;
        driver.type_into("#password", PASSWORD).await;
        driver.click("#submit").await;
        driver.wait_text("return document.querySelector('.user')?document.querySelector('.user').textContent:'';", "examiner1").await;
        driver.goto(&format!("{}/oral?exam={IS9}&auditorium=103", ui.url)).await;
        driver.click(&format!("button[data-kind=start][data-participant={late}]")).await;
        let said = driver.wait_text("return (document.getElementById('msg')||{textContent:''}).textContent;", "отвечает").await;
        assert!(said.contains(late), "{said}");
        let png = driver.screenshot().await;
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("box-oral-queue.png"), png).unwrap();
    });
}
