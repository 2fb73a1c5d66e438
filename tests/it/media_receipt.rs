//! A bundle carried on media comes back with the hub's receipt: `ppe edge import-receipt DIR`
//! verifies it (hub key, this point, this box's own bundle) and keeps it like a network
//! receipt, so the wipe of personal data is no longer blocked (issue 16 item 10).

use std::path::Path;

use crate::common::{ppe, stderr, stdout};
use crate::upload::{make_box, scan_pages, EXAM, PPE};

fn receipt_rows(box_dir: &Path) -> i64 {
    let db = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
    db.query_row("SELECT COUNT(*) FROM upload_receipt", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_receipt_brought_back_on_media_is_verified_kept_and_unblocks_the_wipe() {
    let t = tempfile::tempdir().unwrap();
    // The hub first: its signing key is what the box pins.
    let hub_config = crate::common::init_hub(&t.path().join("hub"));
    crate::upload::import_sample_plan(&hub_config);
    let hub_dir = hub_config.parent().unwrap().to_path_buf();
    let (der, hub_public) = crate::upload::key_pair();
    ppe::keys::write_secret(&hub_dir.join("keys/signing.pk8"), &der).unwrap();
    let box_dir = t.path().join("box");
    let (config, box_public) = make_box(&box_dir, "http://127.0.0.1:9", &hub_public);
    {
        let db = ppe::store::open(&hub_dir.join("state/hub.db")).unwrap();
        ppe::upload::store::register_box_key(&db, PPE, &box_public, "t").unwrap();
    }
    {
        let (plan, _) = ppe::plan::read_plan_file(&crate::common::fixture("plan-sample.json")).unwrap();
        std::fs::create_dir_all(box_dir.join("state")).unwrap();
        let mut db = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
        let tx = db.transaction().unwrap();
        ppe::plan::store::replace_plan(&tx, &plan.for_exam_point(PPE), "2027-05-20T00:00:00Z", "hub", "00").unwrap();
        tx.commit().unwrap();
    }
    scan_pages(&config, &box_dir, 3, 3000);
    let usb = t.path().join("usb");
    let o = ppe(&["edge", "export", "--config", config.to_str().unwrap(), "--exam", EXAM, "--to", usb.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let take_back = |dir: &Path| ppe(&["edge", "import-receipt", "--config", config.to_str().unwrap(), dir.to_str().unwrap()]);

    // No receipt on the media yet: refused, nothing kept.
    let o = take_back(&usb);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("квитанция не принята") && stderr(&o).contains("receipt.json"), "{}", stderr(&o));

    let o = ppe(&["hub", "import", "--config", hub_config.to_str().unwrap(), usb.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let good = std::fs::read_to_string(usb.join("receipt.json")).unwrap();

    // A receipt altered on the way (another point named, the signature no longer covers it).
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v["receipt"]["file_count"] = serde_json::json!(99);
    let forged = t.path().join("forged");
    std::fs::create_dir_all(&forged).unwrap();
    std::fs::write(forged.join("receipt.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let o = take_back(&forged);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("подпис"), "{}", stderr(&o));
    // A receipt for another exam point.
    v = serde_json::from_str(&good).unwrap();
    v["receipt"]["ppe_code"] = serde_json::json!("0999");
    std::fs::write(forged.join("receipt.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let o = take_back(&forged);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("ППЭ 0999"), "{}", stderr(&o));
    // Not JSON at all.
    std::fs::write(forged.join("receipt.json"), b"\xff\xfe garbage").unwrap();
    assert!(!take_back(&forged).status.success());
    assert_eq!(receipt_rows(&box_dir), 0, "a refused receipt was kept");
    assert!(!box_dir.join("state/receipts").exists() || std::fs::read_dir(box_dir.join("state/receipts")).unwrap().count() == 0);

    // Before: the wipe of personal data is blocked for want of a receipt.
    let wipe = || ppe(&["edge", "--config", config.to_str().unwrap(), "wipe", "--exam", EXAM, "--now", "2027-07-01T00:00:00Z"]);
    let before = wipe();
    assert!(before.status.success(), "{}", stderr(&before));
    assert!(stdout(&before).contains("нет квитанции РЦОИ"), "{}", stdout(&before));

    // The genuine receipt: accepted and kept like a network one.
    let o = take_back(&usb);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("квитанция РЦОИ принята") && stdout(&o).contains("media"), "{}", stdout(&o));
    assert_eq!(receipt_rows(&box_dir), 1);
    let db = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
    let audited: i64 = db.query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'upload.receipt_stored'", [], |r| r.get(0)).unwrap();
    assert_eq!(audited, 1);
    // Taking it back twice keeps one.
    assert!(take_back(&usb).status.success());
    assert_eq!(receipt_rows(&box_dir), 1);

    let after = wipe();
    assert!(after.status.success(), "{}", stderr(&after));
    assert!(!stdout(&after).contains("нет квитанции РЦОИ"), "{}", stdout(&after));
}
