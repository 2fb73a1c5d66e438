//! `ppe edge marks`: the fields of machine-read forms that wait for a person (ambiguous marks,
//! values that disagree with the box's record), and a person's value for one of them.

use std::path::Path;

use clap::Args;

use super::ops::{self, ResolveRequest};
use crate::context::EdgeContext;
use crate::model::ExamId;

#[derive(Args, Debug)]
pub struct MarksArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// The page (its id from the list) whose field a person decides.
    #[arg(long, requires_all = ["field", "value"])]
    pub page: Option<String>,
    /// The field's name from the list (`item7`, `row3.returned`, `from`, `page`).
    #[arg(long)]
    pub field: Option<String>,
    /// The value read off the sheet by a person: `да`, `нет`, `ЧЧ:ММ`, or "" to leave it empty.
    #[arg(long, allow_hyphen_values = true)]
    pub value: Option<String>,
    /// Who decides (the login of the person at the scanning station).
    #[arg(long, default_value = "operator")]
    pub actor: String,
    /// Print the fields still waiting (after the decision, if any) as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn marks(config: &Path, args: MarksArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let conn = ctx.db()?;
    if let (Some(page_id), Some(field), Some(value)) = (&args.page, &args.field, &args.value) {
        let request = ResolveRequest {
            exam_id: ExamId::from(&args.exam),
            page_id: page_id.clone(),
            field: field.clone(),
            value: value.clone(),
            actor: args.actor.clone(),
        };
        ops::resolve(&conn, &ctx.clock.now_rfc3339(), &request)?;
        if !args.json {
            crate::outln!("принято: страница {page_id}, поле {field} = «{}»", value.trim());
        }
    }
    let waiting = ops::waiting(&conn, &args.exam)?;
    if args.json {
        return crate::cli_util::print_json(&waiting);
    }
    if waiting.is_empty() {
        crate::outln!("отметки машиночитаемых форм: ничего не ждёт разбора");
    }
    for f in &waiting {
        crate::outln!("к разбору: страница {} ({} лист {}), поле {}: {}", f.page_id, f.form, f.page_index + 1, f.field, f.reason);
    }
    Ok(())
}
