//! Plan import/export through the real binary: every format, round trips, all-or-nothing.

use crate::common::*;

#[test]
fn demo_plan_round_trips_through_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let hub = init_hub(dir.path());
    let hub = hub.to_str().unwrap();
    let csv = dir.path().join("region.csv");
    let o = ppe(&["hub", "demo-plan", "--out", csv.to_str().unwrap(), "--points", "2", "--participants", "300", "--seed", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ppe(&["hub", "import-plan", csv.to_str().unwrap(), "--config", hub]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut previous = std::fs::read(&csv).unwrap();
    for ext in ["json", "xlsx", "csv"] {
        let out = dir.path().join(format!("export.{ext}"));
        let o = ppe(&["hub", "export-plan", "--out", out.to_str().unwrap(), "--config", hub]);
        assert!(o.status.success(), "export {ext}: {}", stderr(&o));
        let o = ppe(&["hub", "import-plan", out.to_str().unwrap(), "--config", hub]);
        assert!(o.status.success(), "import {ext}: {}", stderr(&o));
        assert!(stdout(&o).contains("participants 300"), "{}", stdout(&o));
        if ext == "csv" {
            let now = std::fs::read(&out).unwrap();
            let a = ppe::plan::parse_plan(ppe::plan::PlanFormat::Csv, &previous, "a").unwrap().0;
            let b = ppe::plan::parse_plan(ppe::plan::PlanFormat::Csv, &now, "b").unwrap().0;
            assert_eq!(a.counts(), b.counts());
            previous = now;
        }
    }
    let _ = previous;
}
