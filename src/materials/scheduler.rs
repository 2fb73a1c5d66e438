//! The box's materials scheduler (the heart of `ppe edge serve` for now): keeps the plan in
//! sync, pre-stages ciphertext as soon as it is published, checks for a newer version while
//! the window is open by the hub's clock, retries with backoff and jitter until the exam
//! starts, and then raises an alarm recorded in the database if no ГЭК member activated the
//! key by then. It never asks for the key: only a ГЭК member's credential obtains it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::pull::{self, PullOptions, Source};
use super::store as mstore;
use crate::context::EdgeContext;

/// What the scheduler should do for one exam at a given hub time (pure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Key held: nothing to do.
    Done,
    /// Before the window: fetch ciphertext only.
    Prestage,
    /// Window open, exam not started: fetch what is missing (the ГЭК member activates).
    Pull,
    /// The exam started without materials: alarm.
    Alarm,
    /// The window has closed (exam over).
    Over,
}

pub fn next_step(has_key: bool, window: (DateTime<Utc>, DateTime<Utc>), start: DateTime<Utc>, hub_now: DateTime<Utc>) -> Step {
    if has_key {
        Step::Done
    } else if hub_now < window.0 {
        Step::Prestage
    } else if hub_now < start {
        Step::Pull
    } else if hub_now < window.1 {
        // Keys are still released until the window closes; keep trying, but the alarm is up.
        Step::Alarm
    } else {
        Step::Over
    }
}

struct Retry {
    attempt: u32,
    not_before: Instant,
    prestaged: bool,
}

/// Runs until `stop` resolves.
pub async fn run(ctx: &EdgeContext, stop: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    tokio::pin!(stop);
    let mut retries: HashMap<String, Retry> = HashMap::new();
    let mut rng = rand::thread_rng();
    let mut last_plan_sync: Option<Instant> = None;
    loop {
        if last_plan_sync.is_none_or(|t| t.elapsed() > Duration::from_secs(300)) {
            match pull::sync_plan_now(ctx, "scheduler").await {
                Ok(()) => last_plan_sync = Some(Instant::now()),
                Err(e) => tracing::warn!("plan sync: {e:#}"),
            }
        }
        let (exams, point) = {
            let db = ctx.db()?;
            (crate::plan::store::exam_list(&db)?, crate::plan::store::exam_point_get(&db, &ctx.config.ppe_code)?)
        };
        for exam in exams {
            // The window by this point's own time zone, as the hub judges it.
            let exam = point.as_ref().map_or_else(|| exam.clone(), |p| exam.at_point(p));
            documents(ctx, &exam, &mut retries, &mut rng).await?;
            let (Some(window), Some(start)) = (exam.materials_window(), exam.start_utc()) else { continue };
            let (has_key, hub_now) = {
                let db = ctx.db()?;
                let key = mstore::key_get(&db, &exam.exam_id)?;
                let manifest = mstore::manifest_get(&db, &exam.exam_id)?;
                let current = match (&key, &manifest) {
                    (Some(k), Some((_, json))) => serde_json::from_str::<super::SignedManifest>(json).map(|m| m.manifest.package_id == *k).unwrap_or(false),
                    _ => false,
                };
                (current, pull::hub_now(ctx, &db))
            };
            let step = next_step(has_key, window, start, hub_now);
            let r = retries.entry(exam.exam_id.clone()).or_insert(Retry { attempt: 0, not_before: Instant::now(), prestaged: false });
            if matches!(step, Step::Done | Step::Over) || Instant::now() < r.not_before || (step == Step::Prestage && r.prestaged) {
                continue;
            }
            if step == Step::Alarm {
                let db = ctx.db()?;
                let now = ctx.clock.now_rfc3339();
                let tx = db.unchecked_transaction()?;
                let message = format!("материалы экзамена {} не получены к началу экзамена", exam.exam_id);
                if mstore::alarm_raise(&tx, &exam.exam_id, "materials_missing", &message, &now)? {
                    crate::audit::store::append(&tx, &now, crate::audit::NewEntry {
                        actor: "scheduler",
                        action: "materials.alarm",
                        object: &exam.exam_id,
                        details: serde_json::json!({"kind": "materials_missing"}),
                    })?;
                    tracing::error!(exam = %exam.exam_id, "ALARM: materials not received by the exam start");
                }
                tx.commit()?;
            }
            // Ciphertext only: the key comes when a ГЭК member activates with their credential.
            let opts = PullOptions { source: Source::Network, max_attempts: 2, actor: "scheduler".into() };
            match pull::pull(ctx, &exam.exam_id, &opts).await {
                Ok(report) => {
                    tracing::info!(exam = %exam.exam_id, bytes = report.bytes_downloaded, "materials pre-staged");
                    r.attempt = 0;
                    r.prestaged = true;
                    // In the window, look for a newer version once a minute until activation.
                    r.not_before = Instant::now() + if step == Step::Prestage { Duration::ZERO } else { Duration::from_secs(60) };
                }
                Err(e) => {
                    let wait = pull::backoff_delay(r.attempt, &mut rng);
                    tracing::warn!(exam = %exam.exam_id, attempt = r.attempt, "materials: {e}; retry in {wait:?}");
                    r.attempt += 1;
                    r.not_before = Instant::now() + wait;
                }
            }
        }
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Whether the scheduler fetches an exam's documents package now: it has one, its key is not
/// held, and the hub's clock is inside its window (pure).
pub fn documents_due(has_key: bool, window: Option<(DateTime<Utc>, DateTime<Utc>)>, hub_now: DateTime<Utc>) -> bool {
    !has_key && window.is_some_and(|(open, close)| open <= hub_now && hub_now < close)
}

/// The documents package of an exam (ИС-9): pulled, verified and its key obtained once its
/// window opens by the hub's clock (no ГЭК member needed), retried with backoff and jitter.
async fn documents(ctx: &EdgeContext, exam: &crate::model::Exam, retries: &mut HashMap<String, Retry>, rng: &mut impl rand::Rng) -> anyhow::Result<()> {
    let window = exam.documents_window();
    if window.is_none() {
        return Ok(());
    }
    let scope = super::PackageKind::Documents.scope(&exam.exam_id);
    let (has_key, hub_now) = {
        let db = ctx.db()?;
        (mstore::key_get(&db, &scope)?.is_some(), pull::hub_now(ctx, &db))
    };
    let r = retries.entry(scope.clone()).or_insert(Retry { attempt: 0, not_before: Instant::now(), prestaged: false });
    if !documents_due(has_key, window, hub_now) || Instant::now() < r.not_before {
        return Ok(());
    }
    match super::documents::pull_documents(ctx, &exam.exam_id.as_str().into(), "scheduler").await {
        Ok(report) => {
            tracing::info!(exam = %exam.exam_id, files = report.files.len(), "documents package received");
            r.attempt = 0;
        }
        Err(e) => {
            let wait = pull::backoff_delay(r.attempt, rng);
            tracing::warn!(exam = %exam.exam_id, attempt = r.attempt, "documents package: {e}; retry in {wait:?}");
            r.attempt += 1;
            r.not_before = Instant::now() + wait;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_the_hub_clock() {
        let t = |s: &str| crate::materials::parse_time(s).unwrap();
        let w = (t("2027-05-27T02:00:00Z"), t("2027-05-27T04:00:00Z"));
        let s = t("2027-05-27T03:00:00Z");
        assert_eq!(next_step(false, w, s, t("2027-05-26T00:00:00Z")), Step::Prestage);
        assert_eq!(next_step(false, w, s, t("2027-05-27T02:00:00Z")), Step::Pull);
        assert_eq!(next_step(false, w, s, t("2027-05-27T03:00:00Z")), Step::Alarm);
        assert_eq!(next_step(false, w, s, t("2027-05-27T04:00:00Z")), Step::Over);
        assert_eq!(next_step(true, w, s, t("2027-05-27T02:30:00Z")), Step::Done);
    }

    #[test]
    fn the_documents_package_is_fetched_inside_its_window_until_its_key_is_held() {
        let t = |s: &str| crate::materials::parse_time(s).unwrap();
        let w = Some((t("2027-02-07T03:00:00Z"), t("2027-02-14T10:30:00Z")));
        assert!(!documents_due(false, w, t("2027-02-07T02:59:59Z")), "before its moment");
        assert!(documents_due(false, w, t("2027-02-07T03:00:00Z")));
        assert!(!documents_due(true, w, t("2027-02-08T00:00:00Z")), "key held");
        assert!(!documents_due(false, w, t("2027-02-14T10:30:00Z")), "after the exam's end");
        assert!(!documents_due(false, None, t("2027-02-08T00:00:00Z")), "an exam without a documents package");
    }
}
