//! `ppe hub key-code` (the РЦОИ operator dictates a code) and `ppe edge key-code` (the code
//! typed at the box's terminal): CLI glue over `phone_code::ops`.

use std::path::Path;

use clap::Args;

use super::ops::{activate_by_phone, disclose, KeyCodeRequest, PhoneActivateRequest};
use crate::context::{EdgeContext, HubContext};

#[derive(Args, Debug)]
pub struct HubKeyCodeArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// The exam point whose box lost its uplink.
    #[arg(long)]
    pub ppe: String,
    /// The ГЭК member (worker id) the code is dictated to.
    #[arg(long)]
    pub gek: String,
    /// The РЦОИ operator disclosing it (an operator or admin account).
    #[arg(long)]
    pub operator: String,
}

/// Prints the code to dictate (and, as JSON on standard output, what it carries).
pub fn hub_key_code(config: &Path, args: HubKeyCodeArgs) -> anyhow::Result<()> {
    let ctx = HubContext::open(config)?;
    let request = KeyCodeRequest {
        exam_id: args.exam.as_str().into(),
        ppe_code: args.ppe.as_str().into(),
        gek_worker_id: args.gek.as_str().into(),
        operator: args.operator,
    };
    let code = disclose(&ctx, &request).map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::outln!("{}", serde_json::to_string(&code)?);
    eprintln!(
        "код для ППЭ {} (экзамен {}, член ГЭК {}; время РЦОИ {}): продиктуйте по группам, называя номер группы\n\n    {}\n",
        code.ppe_code, code.exam_id, code.gek_worker_id, code.code_hub_time, code.code
    );
    Ok(())
}

#[derive(Args, Debug)]
pub struct EdgeKeyCodeArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// The code dictated by РЦОИ: six groups of five digits (spaces or dashes between groups).
    #[arg(long)]
    pub code: String,
}

/// Opens the pre-staged package key with the code, without the network.
pub fn edge_key_code(config: &Path, args: EdgeKeyCodeArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let request = PhoneActivateRequest { exam_id: args.exam.as_str().into(), code: args.code, actor: "cli".into(), worker_id: None };
    let report = activate_by_phone(&ctx, &request).map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::outln!("{}", serde_json::to_string(&report)?);
    eprintln!("ключ экзамена {} активирован по коду РЦОИ (время РЦОИ {})", report.exam_id, report.code_hub_time);
    Ok(())
}
