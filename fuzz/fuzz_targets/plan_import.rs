//! Fuzz target: any bytes through the CSV, XLSX and JSON plan importers and ФЛК; must return
//! a plan or an error, never panic. Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run plan_import`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ppe::plan::{parse_plan, PlanFormat};

fuzz_target!(|data: &[u8]| {
    for format in [PlanFormat::Csv, PlanFormat::Xlsx, PlanFormat::Json] {
        let _ = parse_plan(format, data, "fuzz");
    }
});
