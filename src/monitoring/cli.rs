//! `ppe hub status [--exam ID] [--ate CODE] [--json]` (the dashboard as a terminal table) and
//! `ppe hub user add|list` (РЦОИ operator accounts; passwords from a file or standard input).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use super::accounts::{self, OperatorRole};
use super::live::{MonitoringHub, StatusView};
use super::{clock_offset_text, parse_time, seen_ago_text, time_left_text, Health};
use crate::context::HubContext;

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Exam to show (default: the one whose start is nearest to now).
    #[arg(long = "exam")]
    pub exam_id: Option<String>,
    /// Only the exam points of this АТЕ code.
    #[arg(long = "ate")]
    pub ate_code: Option<String>,
    /// JSON (the same as `GET /v1/status`).
    #[arg(long)]
    pub json: bool,
    /// Judge at this simulated time (RFC 3339) instead of now.
    #[arg(long, value_parser = crate::clock::parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn status(config: &Path, args: StatusArgs) -> anyhow::Result<()> {
    let ctx = HubContext::open(config)?.with_clock(crate::clock::Clock::from_flags(args.now, None));
    let hub = MonitoringHub::from_context(&ctx)?;
    let exam = args.exam_id.clone().or_else(|| hub.default_exam()).context("в плане нет экзаменов: загрузите план командой `ppe hub import-plan`")?;
    if !hub.exams().iter().any(|e| e.exam_id == exam) {
        anyhow::bail!("экзамена {exam} нет в плане (см. `ppe hub export-plan`)");
    }
    let view = hub.status(Some(&exam), args.ate_code.as_deref());
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        crate::out!("{}", status_table(&view));
    }
    Ok(())
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        if n > width {
            t.push('…');
        } else {
            t = s.to_string();
        }
        t
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}

/// The terminal table: totals, the funnel, then a row per exam point, worst first.
pub fn status_table(view: &StatusView) -> String {
    let now = parse_time(&view.hub_time).unwrap_or_else(chrono::Utc::now);
    let t = &view.summary.totals;
    let f = &view.summary.funnel;
    let mut out = format!(
        "Экзамен {} · время РЦОИ {} · ППЭ {}: выгружено и проверено {}, в графике {}, под угрозой {}, нет движения {}, срок пропущен {}, нет связи {}, не начато {}\n\
         Страницы: ожидается {} → отсканировано {} → получено {} → проверено {}\n",
        view.exam_id.as_deref().unwrap_or("—"),
        view.hub_time,
        t.points,
        t.done,
        t.on_track,
        t.at_risk,
        t.stalled,
        t.late,
        t.silent,
        t.not_started,
        f.expected,
        f.scanned,
        f.received,
        f.verified
    );
    let widths = [22, 8, 18, 20, 16, 10, 12, 16, 12];
    let header = ["СОСТОЯНИЕ", "ППЭ", "АТЕ", "ЭТАП", "ВЫГРУЗКА", "СТРАНИЦЫ", "ДО СРОКА", "СВЯЗЬ", "ЧАСЫ"];
    let line = |cells: &[String]| -> String {
        let mut l: String = cells.iter().zip(widths).map(|(c, w)| pad(c, w)).collect::<Vec<_>>().join(" ");
        l = l.trim_end().to_string();
        l.push('\n');
        l
    };
    out.push_str(&line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>()));
    for r in &view.rows {
        let upload = match r.upload_percent() {
            Some(p) => format!("{p}% {}/{}", r.files_done, r.files_total),
            None if r.receipt_id.is_some() => "квитанция".into(),
            None => "—".into(),
        };
        let mut cells = vec![
            r.health.title_ru().to_string(),
            r.ppe_code.clone(),
            r.ate_name.clone(),
            r.stage.title_ru().to_string(),
            upload,
            format!("{}/{}", r.pages_verified, r.pages_expected),
            parse_time(&r.deadline).map(|d| time_left_text(d, now)).unwrap_or_default(),
            r.last_seen_at.as_deref().and_then(parse_time).map(|s| seen_ago_text(s, now)).unwrap_or_else(|| "никогда".into()),
            r.clock_offset_ms.map(clock_offset_text).unwrap_or_default(),
        ];
        let mut l = line(&cells);
        if let Some(e) = &r.last_error {
            l.pop();
            l.push_str(&format!("  ! {e}\n"));
        } else if r.health != Health::Done && r.health != Health::OnTrack && r.health != Health::NotStarted {
            l.pop();
            l.push_str(&format!("  ({})\n", r.reason));
        }
        cells.clear();
        out.push_str(&l);
    }
    out
}

#[derive(Args, Debug)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an operator account (password from --password-file or one line of standard input).
    Add(UserAddArgs),
    /// List operator accounts.
    List {
        /// Print the result as JSON (docs/cli.md).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct UserAddArgs {
    /// Login of the operator account.
    #[arg(long)]
    pub login: String,
    /// viewer, operator or admin
    #[arg(long, value_parser = parse_role)]
    pub role: OperatorRole,
    /// File holding the password (default: read one line from standard input).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

fn parse_role(s: &str) -> Result<OperatorRole, String> {
    OperatorRole::parse(s).ok_or_else(|| format!("неизвестная роль {s:?}: viewer, operator или admin"))
}

pub fn user(config: &Path, args: UserArgs) -> anyhow::Result<()> {
    let ctx = HubContext::open(config)?;
    let mut conn = ctx.db()?;
    match args.command {
        UserCommand::Add(a) => {
            let password = crate::cli_util::read_password(a.password_file.as_deref())?;
            accounts::create_operator(&mut conn, &a.login, a.role, &password, &ctx.clock.now_rfc3339(), "cli")?;
            if a.json {
                return crate::cli_util::print_json(&serde_json::json!({ "login": a.login, "role": a.role.code() }));
            }
            crate::outln!("оператор {} создан ({})", a.login, a.role.title_ru());
        }
        UserCommand::List { json } => {
            let operators = super::accounts_store::operator_list(&conn)?;
            if json {
                let rows: Vec<_> = operators
                    .iter()
                    .map(|(login, role, failed)| serde_json::json!({ "login": login, "role": role, "failed_logins": failed }))
                    .collect();
                return crate::cli_util::print_json(&rows);
            }
            for (login, role, failed) in operators {
                crate::outln!("{login}\t{role}{}", if failed > 0 { format!("\tнеудачных входов подряд: {failed}") } else { String::new() });
            }
        }
    }
    Ok(())
}
