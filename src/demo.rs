//! `ppe demo` and `ppe hub demo-plan`: a whole region on loopback from embedded defaults,
//! so a newcomer can play an exam day without any setup.

pub mod autopilot;
pub mod generate;
pub mod oralday;
pub mod print_fixtures;
pub mod readiness;

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;

use crate::clock::{self, Clock};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Folder for the demo hub and box (default: a new folder under the system temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Simulated time runs this many times faster.
    #[arg(long, default_value_t = 60.0)]
    pub speed: f64,
    /// Simulated start time (RFC 3339); default: 70 minutes before the day's exam starts (ИС-9: 50).
    #[arg(long, value_parser = clock::parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Exam points in the generated region.
    #[arg(long, default_value_t = 3)]
    pub points: usize,
    /// Participants in the generated region.
    #[arg(long, default_value_t = 600)]
    pub participants: usize,
    /// Stop after this many (wall) seconds instead of running until Ctrl-C.
    #[arg(long)]
    pub exit_after: Option<u64>,
    /// Exit (0) as soon as the exam day is played to the hub's receipt.
    #[arg(long)]
    pub until_done: bool,
    /// Play the day yourself in the browser: no autopilot, no accounts (the box UI, over HTTPS,
    /// asks for the printed setup code and the administrator's password first; the demo says
    /// how to trust its CA). Drop page images into the printed scanner inbox.
    #[arg(long, conflicts_with = "until_done")]
    pub manual: bool,
    /// The day to play: `ege` two written ЕГЭ at once; `is9` the итоговое собеседование
    /// (queues, recordings, the expert's protocols); `speaking` the ЕГЭ English oral part;
    /// `kege` the КЕГЭ on workstations.
    #[arg(long, value_enum, default_value_t = oralday::DemoDay::Ege)]
    pub day: oralday::DemoDay,
}

#[derive(Args, Debug)]
pub struct DemoPlanArgs {
    /// Output file; the format follows the extension (.csv, .xlsx, .json).
    #[arg(long)]
    pub out: PathBuf,
    /// Exam points in the plan.
    #[arg(long, default_value_t = 3)]
    pub points: usize,
    /// Participants in the plan.
    #[arg(long, default_value_t = 600)]
    pub participants: usize,
    /// Seed of the generator: the same seed gives the same plan.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Date of the ЕГЭ (the ОГЭ is the next day), ГГГГ.ММ.ДД or YYYY-MM-DD.
    #[arg(long)]
    pub date: Option<String>,
}

pub fn demo_plan(args: DemoPlanArgs) -> anyhow::Result<()> {
    let mut params = generate::RegionParams { points: args.points, participants: args.participants, seed: args.seed, ..Default::default() };
    if let Some(d) = &args.date {
        let norm = crate::validate::normalize_date(d).map_err(|e| anyhow::anyhow!("--date: {e}"))?;
        params.exam_date = NaiveDate::parse_from_str(&norm, "%Y.%m.%d")?;
    }
    let started = std::time::Instant::now();
    let plan = generate::generate_region(&params);
    crate::plan::write_plan_file(&plan, &args.out, crate::plan::csv::CsvEncoding::Utf8)?;
    println!("wrote {} in {:.2} s: {}", args.out.display(), started.elapsed().as_secs_f64(), plan.counts());
    Ok(())
}

/// The РЦОИ operator account the demo creates on its hub.
pub const DEMO_OPERATOR: &str = "rcoi";

/// Everything the demo set up, for the servers and the tests.
pub struct DemoRegion {
    pub dir: PathBuf,
    pub hub_config: PathBuf,
    pub box_config: PathBuf,
    pub plan: crate::model::Plan,
    pub ppe_code: String,
}

/// A small PDF standing in for the exam paper (КИМ) of one variant in the demo package; its
/// visible line names the variant, so a printed copy can be told apart (pdftotext).
pub fn demo_kim_pdf(exam_id: &str, variant: u16) -> Vec<u8> {
    demo_pdf(&format!("KIM demo variant {variant}, exam {exam_id}"))
}

/// A one-page PDF with one line of ASCII text (Helvetica, no embedded font).
pub fn demo_pdf(line: &str) -> Vec<u8> {
    let text = format!("BT /F1 18 Tf 72 760 Td ({line}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    out
}

/// Creates a hub in `dir/hub` (listening at `hub_addr`) with the region's plan imported,
/// the first exam point's box enrolled in `dir/box`, its ГЭК members' key files issued into
/// `dir/box/gek-keys`, and packages published for both exams.
pub fn prepare(dir: &std::path::Path, plan: crate::model::Plan, hub_addr: std::net::SocketAddr) -> anyhow::Result<DemoRegion> {
    let hub_dir = dir.join("hub");
    let hub_config = hub_dir.join("hub.toml");
    if hub_config.exists() {
        anyhow::bail!("{} holds a demo already: pass another --dir", dir.display());
    }
    crate::hub::setup::init_hub(&crate::hub::setup::NewHub { dir: hub_dir.clone(), listen: hub_addr.to_string(), public_url: None })?;
    let plan_file = dir.join("plan.json");
    crate::plan::write_plan_file(&plan, &plan_file, crate::plan::csv::CsvEncoding::Utf8)?;
    crate::plan::ops::import(&crate::context::HubContext::open(&hub_config)?, &crate::plan::ops::ImportRequest::whole(&plan_file, "cli"))?;
    let ppe_code = plan.exam_points.first().map(|p| p.ppe_code.clone()).context("the demo region has no exam point")?;
    // Decrypted material belongs in tmpfs: /dev/shm where there is one.
    let shm = std::path::Path::new("/dev/shm");
    let run_dir = if shm.is_dir() { shm.join(format!("ppe-demo-{}", std::process::id())) } else { dir.join("box/run") };
    let box_dir = dir.join("box");
    let hub_ctx = crate::context::HubContext::open(&hub_config)?;
    crate::hub::setup::enroll_box(
        &hub_ctx,
        &crate::hub::setup::NewBox { ppe_code: ppe_code.as_str().into(), out: box_dir.clone(), run_dir: Some(run_dir) },
    )?;
    // РЦОИ issues each ГЭК member of this point their own key file (the stick they bring).
    let members: std::collections::BTreeSet<&str> =
        plan.worker_assignments.iter().filter(|a| a.ppe_code == ppe_code).map(|a| a.worker_id.as_str()).collect();
    for worker in members.into_iter().filter(|w| crate::gek::is_plan_worker_with_role(&plan, w, crate::model::WorkerRole::GekMember)) {
        let request = crate::gek::ops::EnrollRequest {
            worker_id: worker.into(),
            pin: autopilot::DEMO_GEK_PIN.into(),
            out: autopilot::demo_gek_key_file(&box_dir, worker),
            enrolled_by: "demo".into(),
        };
        crate::gek::ops::enroll(&hub_ctx, &request)?;
    }
    for exam in &plan.exams {
        let materials = dir.join("materials").join(&exam.exam_id);
        std::fs::create_dir_all(&materials)?;
        // Two КИМ variants: neighbours in a room never get the same one.
        for variant in [1, 2] {
            crate::util::write_atomic(&materials.join(format!("1-kim-variant-{variant}.pdf")), &demo_kim_pdf(&exam.exam_id, variant))?;
        }
        crate::util::write_atomic(&materials.join("2-instruction.pdf"), &demo_pdf("Instruction for organizers in the auditorium (demo)"))?;
        let request = crate::materials::hub_publish::PublishRequest { exam_id: exam.exam_id.as_str().into(), materials_dir: materials, chunk_size: crate::materials::DEFAULT_CHUNK_SIZE, kind: Default::default() };
        crate::materials::hub_publish::publish(&hub_ctx, &request)?;
    }
    Ok(DemoRegion { dir: dir.to_path_buf(), hub_config, box_config: box_dir.join("ppe.toml"), plan, ppe_code })
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("ppe-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let params = generate::RegionParams { points: args.points, participants: args.participants, ..Default::default() };
    let hub_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let day = args.day;
    let region = prepare(&dir, oralday::region::day_region(day, &params), hub_listener.local_addr()?)?;
    if day != oralday::DemoDay::Ege {
        // The stations' recordings last seconds here, and name their room and turn.
        let mut toml = std::fs::read_to_string(&region.box_config)?;
        toml.push_str(oralday::DEMO_RECORDINGS_TOML);
        crate::util::write_atomic(&region.box_config, toml.as_bytes())?;
    }
    let ege = region.plan.exams.iter().find(|e| e.exam_id == oralday::region::exam_id(day)).context("demo exam")?.clone();
    // The demo's day: every exam of the ЕГЭ's date at this box, in start order (two at once).
    let here = |e: &&crate::model::Exam| {
        e.date == ege.date && region.plan.registrations.iter().any(|r| r.exam_id == e.exam_id && r.ppe_code == region.ppe_code)
    };
    let mut day_exams: Vec<crate::model::Exam> = region.plan.exams.iter().filter(here).cloned().collect();
    day_exams.sort_by(|a, b| (a.start_utc(), &a.exam_id).cmp(&(b.start_utc(), &b.exam_id)));
    let start = day_exams.first().unwrap_or(&ege).start_utc().context("demo exam start")?;
    // 70 minutes before the start, ten before the key's window opens; the ИС-9 (09:00, its
    // window from 07:30) at 08:10, once РЦОИ gives out the organizers' seed (08:00).
    let lead = if day == oralday::DemoDay::Is9 { 50 } else { 70 };
    let now = args.now.unwrap_or(start - chrono::Duration::minutes(lead));
    let clock = Clock::simulated(now, args.speed);
    let runtime = tokio::runtime::Runtime::new()?;
    let until_done = args.until_done;
    runtime.block_on(async move {
        hub_listener.set_nonblocking(true)?;
        let hub_tls_listener = tokio::net::TcpListener::from_std(hub_listener)?;
        let hub_ctx = crate::context::HubContext::open(&region.hub_config)?.with_clock(clock.clone());
        let hub_server = crate::hub::server::HubServer::from_context(&hub_ctx)?;
        let hub_tls = hub_server.tls_config()?;
        let hub_box_url = format!("https://{}", hub_tls_listener.local_addr()?);
        let dash_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let box_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let hub_url = format!("http://{}/", dash_listener.local_addr()?);
        // The box UI over HTTPS with the certificate the demo's enrollment issued.
        let box_url = format!("https://{}/", box_listener.local_addr()?);
        // The РЦОИ dashboard: boxes report over mutual TLS, operators watch on plain HTTP here
        // (the real hub serves both over HTTPS on one listener).
        let monitoring = crate::monitoring::live::MonitoringHub::from_context(&hub_ctx)?;
        let _ticker = monitoring.spawn_background();
        {
            let mut db = hub_ctx.db()?;
            crate::monitoring::accounts::create_operator(&mut db, DEMO_OPERATOR, crate::monitoring::accounts::OperatorRole::Admin, autopilot::DEMO_PASSWORD, &clock.now_rfc3339(), "demo")
                .map_err(|e| anyhow::anyhow!("demo operator: {e}"))?;
        }
        let mut dash_pages = crate::monitoring::pages::MonitoringPages::new(monitoring.clone());
        dash_pages.secure_cookies = false;
        dash_pages.gek_rp = hub_server.state.gek_rp.clone();
        println!("ppe demo: folder {}", dir.display());
        println!("  РЦОИ dashboard: {hub_url} (operator {DEMO_OPERATOR}, password {})", autopilot::DEMO_PASSWORD);
        println!("  box of exam point {} (ППЭ): {box_url}", region.ppe_code);
        println!("  hub for boxes (mutual TLS): {hub_box_url}");
        println!("  simulated time {} running {}x; accounts on the box: {} and {} (password {})", clock.now_rfc3339(), clock.speed(), autopilot::TECH_LOGIN, autopilot::GEK_LOGIN, autopilot::DEMO_PASSWORD);
        println!("  ГЭК members' key files: {} (PIN {})", dir.join("box").join(autopilot::GEK_KEYS_DIR).display(), autopilot::DEMO_GEK_PIN);
        let hub_router = hub_server.router().merge(crate::monitoring::pages::box_router(dash_pages.clone()));
        let hub = crate::hub::server::serve(hub_tls_listener, hub_tls, hub_server.state.clone(), hub_router);
        let dash = std::future::IntoFuture::into_future(axum::serve(dash_listener, crate::monitoring::pages::operator_router(dash_pages).into_make_service_with_connect_info::<std::net::SocketAddr>()));
        // The box is the real daemon (scheduler, heartbeat, scan inbox, automatic upload, UI);
        // the autopilot plays the people: the ГЭК member, the organizers, the scanner's paper.
        let mut box_ctx = crate::context::EdgeContext::open(&region.box_config)?.with_clock(clock.clone());
        box_ctx.config.scanner.inbox = Some(dir.join("box/scanner-inbox"));
        let ui_key = box_ctx.config.ui.tls_key_file.clone().context("the demo box has a UI certificate")?;
        let spki = crate::hub::pki::spki_sha256_base64(&std::fs::read_to_string(&ui_key)?)?;
        println!("  box UI certificate from the demo hub's CA {} (SPKI sha256 {spki})", hub_ctx.config.ca_cert_file.display());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let edge = crate::edge::serve::run(box_ctx.clone(), box_listener, async {
            let _ = stop_rx.await;
        });
        let manual = args.manual;
        if manual {
            let code_file = &box_ctx.config.ui.setup_code_file;
            let code = crate::accounts::setup_code::read_code_file(code_file)?.map(|c| c.display()).unwrap_or_default();
            println!("  trust the box UI in a browser: import {} as a certificate authority (Chromium: Settings, Privacy and security, Security, Manage certificates, Authorities, Import; Firefox: Settings, Privacy & Security, View Certificates, Authorities, Import), or start Chromium with --ignore-certificate-errors-spki-list={spki}", hub_ctx.config.ca_cert_file.display());
            println!("  first-start setup code: {code} (from {})", code_file.display());
            println!("  manual day: the box UI asks for the setup code and the administrator password; scanner inbox {}", box_ctx.config.scanner.inbox.as_ref().map(|p| p.join(&ege.exam_id).display().to_string()).unwrap_or_default());
        }
        let day = async {
            if manual {
                std::future::pending::<()>().await;
            }
            if day == oralday::DemoDay::Ege {
                autopilot::play_day(&box_ctx, &day_exams).await
            } else {
                oralday::play::play_day(&box_ctx, &ege).await
            }
        };
        let stop = async move {
            match args.exit_after {
                Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
                None => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        let played = async {
            let receipts = day.await.context("exam day")?;
            let ids: Vec<String> = day_exams.iter().zip(&receipts).map(|(e, r)| format!("{} {}", e.exam_id, r.receipt.manifest_sha256)).collect();
            println!("ppe demo: exam day played to {} receipts ({}); servers keep running (Ctrl-C to stop)", receipts.len(), ids.join(", "));
            anyhow::Ok(())
        };
        tokio::pin!(played, hub, dash, edge, stop);
        let mut played_done = false;
        loop {
            tokio::select! {
                r = &mut hub => return r.context("hub server"),
                r = &mut dash => return r.context("dashboard server"),
                r = &mut edge => return r.context("box daemon"),
                r = &mut played, if !played_done => {
                    r?;
                    played_done = true;
                    if until_done {
                        return Ok(());
                    }
                }
                _ = &mut stop => {
                    let _ = stop_tx.send(());
                    return Ok(());
                }
            }
        }
    })
}
