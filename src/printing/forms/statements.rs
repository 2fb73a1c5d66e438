//! What the statements share: the kit line, counts, sheet number runs, and the structured
//! record of a machine-read form for the bundle (ППЭ-13-02-МАШ's here; 12-04 and 18 are in
//! `machine`). The forms themselves: `protocol` (05-02), `acts` (20, 21, 22), `machine`
//! (12-04-МАШ, 18-МАШ), `point_statements` (13-02-МАШ, 14-01, 14-02, 19).

use super::*;

/// The heading line naming the exam's kit, when known.
pub(super) fn kit_line(kit: &str) -> Option<String> {
    (!kit.is_empty()).then(|| format!("Индивидуальный комплект: {kit}"))
}

/// A count that applies only to some kits: «—» where it does not.
pub(super) fn count_or_dash(count: Option<u32>) -> String {
    count.map_or_else(|| "—".to_string(), |n| n.to_string())
}

/// Sheet numbers as runs: `0000013–0000016, 0000020`.
pub fn number_runs(numbers: &[u32]) -> String {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for n in sorted {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    runs.iter().map(|(a, b)| if a == b { format!("{a:07}") } else { format!("{a:07}–{b:07}") }).collect::<Vec<_>>().join(", ")
}

pub(super) fn yes(flag: bool) -> String {
    if flag {
        "да".into()
    } else {
        String::new()
    }
}

/// The structured record of a machine-read form for the upload bundle: РЦОИ processes these
/// before the answer sheets, so the data travels as JSON beside the scanned images.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MachineRecord<T> {
    pub form: String,
    pub exam_id: String,
    pub ppe_code: String,
    pub first_sheet_number: u32,
    pub data: T,
}

pub fn summary_statement_record(input: &SummaryStatementInput) -> MachineRecord<&SummaryStatementInput> {
    MachineRecord {
        form: "ППЭ-13-02-МАШ".into(),
        exam_id: input.exam.exam_id.clone(),
        ppe_code: input.exam.ppe_code.clone(),
        first_sheet_number: input.first_sheet.number,
        data: input,
    }
}
