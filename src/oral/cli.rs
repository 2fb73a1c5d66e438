//! `ppe edge oral`: the queues of an oral exam (build, show, start, finish, absent, late, move)
//! and the ИС-9 expert's protocols (score with the expert's own account, list).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::ops::{self, ExamRequest, MoveRequest, ScoreRequest, Step, StepRequest};
use super::Turn;
use crate::context::EdgeContext;
use crate::model::{ExamId, ParticipantId, PpeCode};

#[derive(Args, Debug)]
pub struct OralArgs {
    #[command(subcommand)]
    pub command: OralCommand,
    /// Print the result (the turn, the queue, the protocol or the list) as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Args, Debug, Clone)]
pub struct TurnArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// Participant id (from the plan).
    #[arg(long)]
    pub participant: String,
    /// When it happened (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Who records it (login or worker id), for the audit log.
    #[arg(long, default_value = "cli")]
    pub actor: String,
}

#[derive(Subcommand, Debug)]
pub enum OralCommand {
    /// The queues of the conducting rooms; `--build` places the seated participants into them.
    Queue {
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
        /// Place the seated participants into the queues (again: only those not placed yet).
        #[arg(long)]
        build: bool,
        /// Who records it (login or worker id), for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// A participant starts answering.
    Start(TurnArgs),
    /// A participant finishes answering.
    Finish(TurnArgs),
    /// A participant did not come to their turn.
    Absent(TurnArgs),
    /// A participant came late: back at the end of the queue.
    Late(TurnArgs),
    /// A waiting participant moves to another conducting room's queue.
    Move {
        #[command(flatten)]
        turn: TurnArgs,
        /// Auditorium whose queue the participant moves to.
        #[arg(long)]
        to: String,
        /// Why the participant moves (kept in the audit log).
        #[arg(long)]
        reason: String,
    },
    /// The expert enters a participant's protocol with their own account (ИС-9).
    Score {
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
        /// Participant id (from the plan).
        #[arg(long)]
        participant: String,
        /// The expert's box login.
        #[arg(long)]
        login: String,
        /// Password file (first line); default: standard input.
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// Criteria points, `ИЧ=1;ТЧ=1;П1=2;…` (every criterion).
        #[arg(long)]
        points: String,
    },
    /// The expert's protocols of an exam.
    Protocols {
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
    },
}

fn print_turns(turns: &[Turn]) -> anyhow::Result<()> {
    let mut room = "";
    for t in turns {
        if t.auditorium != room {
            room = &t.auditorium;
            crate::outln!("аудитория проведения {room}:");
        }
        let times = match (t.started_at(), t.finished_at()) {
            (Some(s), Some(f)) => format!("  {s} — {f}"),
            (Some(s), None) => format!("  с {s}"),
            _ => String::new(),
        };
        let late = if t.late { " (опоздал)" } else { "" };
        crate::outln!("  {:>3}. {}  {}{late}{times}", t.position, t.participant_id, t.state.title_ru());
    }
    Ok(())
}

pub fn oral(config: &Path, args: OralArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let now = ctx.clock.now_rfc3339();
    let ppe_code = PpeCode::new(ctx.config.ppe_code.clone());
    let step = |conn: &mut crate::store::Connection, t: &TurnArgs, step: Step| -> anyhow::Result<Turn> {
        let (exam, participant) = (ExamId::new(&t.exam), ParticipantId::new(&t.participant));
        let at = t.at.clone().unwrap_or_else(|| now.clone());
        Ok(ops::step(conn, &StepRequest { exam_id: &exam, ppe_code: &ppe_code, participant_id: &participant, step, at: &at, actor: &t.actor })?)
    };
    let json = args.json;
    match args.command {
        OralCommand::Queue { exam, build, actor } => {
            let exam = ExamId::new(exam);
            let turns = if build {
                ops::build(&mut conn, &ExamRequest { exam_id: &exam, ppe_code: &ppe_code, at: &now, actor: &actor })?
            } else {
                ops::queue(&conn, &exam, &ppe_code)?
            };
            if json {
                return crate::cli_util::print_json(&turns);
            }
            print_turns(&turns)?;
        }
        OralCommand::Start(t) => {
            let turn = step(&mut conn, &t, Step::Start)?;
            if json {
                return crate::cli_util::print_json(&turn);
            }
            crate::outln!("участник {} отвечает в аудитории {}", turn.participant_id, turn.auditorium);
        }
        OralCommand::Finish(t) => {
            let turn = step(&mut conn, &t, Step::Finish)?;
            if json {
                return crate::cli_util::print_json(&turn);
            }
            crate::outln!("участник {} закончил ответ в аудитории {}", turn.participant_id, turn.auditorium);
        }
        OralCommand::Absent(t) => {
            let turn = step(&mut conn, &t, Step::Absent)?;
            if json {
                return crate::cli_util::print_json(&turn);
            }
            crate::outln!("участник {} отмечен неявившимся", turn.participant_id);
        }
        OralCommand::Late(t) => {
            let turn = step(&mut conn, &t, Step::Late)?;
            if json {
                return crate::cli_util::print_json(&turn);
            }
            crate::outln!("участник {} опоздал: место в очереди {} аудитории {}", turn.participant_id, turn.position, turn.auditorium);
        }
        OralCommand::Move { turn, to, reason } => {
            let (exam, participant) = (ExamId::new(&turn.exam), ParticipantId::new(&turn.participant));
            let at = turn.at.clone().unwrap_or_else(|| now.clone());
            let request = MoveRequest {
                exam_id: &exam,
                ppe_code: &ppe_code,
                participant_id: &participant,
                to_auditorium: &to,
                reason: &reason,
                at: &at,
                actor: &turn.actor,
            };
            let moved = ops::move_to(&mut conn, &request)?;
            if json {
                return crate::cli_util::print_json(&moved);
            }
            crate::outln!("участник {} переведён в очередь аудитории {} (место {})", moved.participant_id, moved.auditorium, moved.position);
        }
        OralCommand::Score { exam, participant, login, password_file, points } => {
            let password = crate::cli_util::read_password(password_file.as_deref())?;
            crate::accounts::authenticate(&conn, &login, &password, ctx.clock.now())?;
            let points = super::criteria::parse_points(&super::CURRENT, &points)?;
            let (exam, participant) = (ExamId::new(exam), ParticipantId::new(participant));
            let request =
                ScoreRequest { exam_id: &exam, ppe_code: &ppe_code, participant_id: &participant, login: &login, points: &points, at: &now };
            let p = ops::score(&mut conn, &request)?;
            if json {
                return crate::cli_util::print_json(&p);
            }
            crate::outln!("протокол участника {}: {} из {} — {}", p.participant_id, p.score.total, super::CURRENT.max_points(), p.score.result_ru());
        }
        OralCommand::Protocols { exam } => {
            let protocols = ops::protocols(&conn, &ExamId::new(exam), &ppe_code)?;
            if json {
                return crate::cli_util::print_json(&protocols);
            }
            for p in protocols {
                crate::outln!(
                    "{}  ауд. {}  эксперт {}  {} б.  {}",
                    p.participant_id,
                    p.auditorium,
                    p.expert_worker_id,
                    p.score.total,
                    p.score.result_ru()
                );
            }
        }
    }
    Ok(())
}
