//! `ppe demo` and `ppe hub demo-plan`: a whole region on loopback from embedded defaults,
//! so a newcomer can play an exam day without any setup.

pub mod generate;

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
    /// Simulated start time (RFC 3339); default: 70 minutes before the demo ЕГЭ starts.
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
}

#[derive(Args, Debug)]
pub struct DemoPlanArgs {
    /// Output file; the format follows the extension (.csv, .xlsx, .json).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 3)]
    pub points: usize,
    #[arg(long, default_value_t = 600)]
    pub participants: usize,
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

/// Everything the demo set up, for the servers and the tests.
pub struct DemoRegion {
    pub dir: PathBuf,
    pub hub_config: PathBuf,
    pub plan: crate::model::Plan,
    pub ppe_code: String,
}

/// Creates a hub in `dir/hub` with the generated plan imported.
pub fn prepare(dir: &std::path::Path, params: &generate::RegionParams) -> anyhow::Result<DemoRegion> {
    let hub_dir = dir.join("hub");
    let hub_config = hub_dir.join("hub.toml");
    if !hub_config.exists() {
        crate::hub::cli::init(crate::hub::cli::InitArgs { dir: hub_dir.clone(), listen: "127.0.0.1:0".into(), public_url: None })?;
    }
    let plan = generate::generate_region(params);
    let plan_file = dir.join("plan.json");
    crate::plan::write_plan_file(&plan, &plan_file, crate::plan::csv::CsvEncoding::Utf8)?;
    crate::plan::cli::import(&hub_config, crate::plan::cli::ImportArgs { file: plan_file, check: false })?;
    let ppe_code = plan.exam_points.first().map(|p| p.ppe_code.clone()).context("the demo region has no exam point")?;
    Ok(DemoRegion { dir: dir.to_path_buf(), hub_config, plan, ppe_code })
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("ppe-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let params = generate::RegionParams { points: args.points, participants: args.participants, ..Default::default() };
    let region = prepare(&dir, &params)?;
    let ege = region.plan.exams.iter().find(|e| e.exam_id == generate::EGE_EXAM_ID).context("demo ЕГЭ")?;
    let start = ege.start_utc().context("demo exam start")?;
    let now = args.now.unwrap_or(start - chrono::Duration::minutes(70));
    let clock = Clock::simulated(now, args.speed);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let hub_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let box_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let hub_url = format!("http://{}/", hub_listener.local_addr()?);
        let box_url = format!("http://{}/", box_listener.local_addr()?);
        let hub_state = crate::hub::pages::HubPages::new(region.hub_config.clone(), clock.clone())?;
        let box_plan = region.plan.for_exam_point(&region.ppe_code);
        let box_state = crate::web::BoxPages::new(box_plan, region.ppe_code.clone(), clock.clone());
        println!("ppe demo: folder {}", dir.display());
        println!("  РЦОИ dashboard: {hub_url}");
        println!("  box of exam point {} (ППЭ): {box_url}", region.ppe_code);
        println!("  simulated time {} running {}x", clock.now_rfc3339(), clock.speed());
        let hub = axum::serve(hub_listener, crate::hub::pages::router(hub_state));
        let edge = axum::serve(box_listener, crate::web::router(box_state));
        let stop = async move {
            match args.exit_after {
                Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
                None => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        tokio::select! {
            r = hub => r.context("hub server")?,
            r = edge => r.context("box server")?,
            _ = stop => {}
        }
        anyhow::Ok(())
    })
}
