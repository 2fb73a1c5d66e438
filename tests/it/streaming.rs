//! Streaming upload (issue 22): pages go up while the scanner is still feeding, and the bundle
//! at the end only references them. In-process: our hub's upload routes, the box's intake and
//! the daemon's streaming pass called as library functions; the hub counts what reaches it.

use std::sync::atomic::Ordering::SeqCst;

use ppe::context::{BoxIdentity, EdgeContext};
use ppe::hub_client::HubClient;
use ppe::upload::server::{CoreError, UploadCore};

use crate::upload::{make_box, page_bytes, start_hub, EXAM, PPE};

fn take_in(ctx: &EdgeContext, seeds: std::ops::Range<u64>) {
    let conn = ctx.db().unwrap();
    let key = ppe::scanning::ops::box_sheet_key(ctx).unwrap();
    let intake = ppe::scanning::intake::Intake::for_box(ctx, &conn, &key, EXAM, "test");
    for seed in seeds {
        intake.ingest_page(&page_bytes(seed, 60_000 + seed as usize * 1000), &format!("page-{seed}.png"), "png", 0).unwrap();
    }
}

fn stream(ctx: &EdgeContext, hub: &HubClient) -> ppe::upload::stream::ops::StreamPass {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let conn = ctx.db().unwrap();
    rt.block_on(ppe::upload::stream::ops::stream_pass(ctx, &conn, hub, &EXAM.into())).unwrap()
}

#[test]
fn pages_streamed_while_scanning_reassigned_and_rescanned_are_each_sent_once_and_the_receipt_covers_the_final_set() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &hub.url, &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    let ctx = EdgeContext::open(&config).unwrap();
    let client = HubClient::plain(&hub.url, PPE, &hub.hub_public_hex).unwrap();

    // The scanner feeds pages while a streaming pass runs on another thread.
    take_in(&ctx, 1..5);
    std::thread::scope(|s| {
        let pass = s.spawn(|| stream(&ctx, &client));
        take_in(&ctx, 5..9);
        assert!(pass.join().unwrap().files_sent >= 4, "the pages taken in before the pass went up");
    });
    let second = stream(&ctx, &client);
    assert!(second.files_sent <= 4, "{second:?}");
    assert!(ppe::upload::stream::ops::pending_files(&ctx.db().unwrap(), EXAM).unwrap().is_empty(), "every page taken in is on the hub");
    let link = ppe::upload::stream::ops::link_measure(&ctx.db().unwrap(), EXAM).unwrap().expect("the link is measured");
    assert!(link.bytes_per_second > 0.0);

    // A person assigns a page that already went up: only the manifest will change.
    let conn = ctx.db().unwrap();
    let key = ppe::scanning::ops::box_sheet_key(&ctx).unwrap();
    let page = ppe::scanning::store::pages_for_exam(&conn, EXAM).unwrap().remove(1);
    let sheet = ppe::sheet_code::SheetId { exam_id: EXAM.into(), ppe_code: PPE.into(), kind: ppe::sheet_code::SheetKind::Answers1, number: 3 };
    let code = ppe::sheet_code::encode(&sheet, &key);
    let request = ppe::scanning::ops::AssignRequest { exam_id: EXAM.into(), page_id: page.page_id.clone(), code, actor: "test".into() };
    ppe::scanning::ops::assign(&ctx, &conn, &key, None, &request).unwrap();
    assert_eq!(stream(&ctx, &client).files_sent, 0, "a reassigned page is not sent again");
    // A sheet scanned again: the new image goes up; the old one stays in the set.
    take_in(&ctx, 2..3);
    assert_eq!(stream(&ctx, &client).files_sent, 0, "the same bytes again are the same page");
    take_in(&ctx, 20..21);
    assert_eq!(stream(&ctx, &client).files_sent, 1, "the rescan goes up");

    let pages = ppe::scanning::store::pages_for_exam(&conn, EXAM).unwrap();
    let page_bytes_total: u64 = pages.iter().map(|p| p.size).sum();
    assert_eq!(hub.traffic.file_bytes.load(SeqCst), page_bytes_total, "every page's bytes reached the hub exactly once");
    let (creations, bytes) = (hub.traffic.creations.load(SeqCst), hub.traffic.file_bytes.load(SeqCst));

    // The end: the bundle references what is on the hub; only the day's record goes up.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let bundle = ppe::upload::ops::box_bundle(&ctx, &conn, &EXAM.into(), false).unwrap();
    let request = ppe::upload::ops::UploadRequest::default();
    let receipt = rt.block_on(ppe::upload::ops::upload_bundle(&ctx, &conn, &bundle.built, &client, &request, &|_: &str| {})).unwrap();
    let m = &bundle.built.signed.manifest;
    let not_pages: Vec<_> = m.files.iter().filter(|f| f.kind != "page").collect();
    assert!(not_pages.iter().all(|f| f.kind == "record" || f.kind == "statement_record"), "{not_pages:?}");
    assert_eq!(hub.traffic.creations.load(SeqCst) - creations, not_pages.len() as u64, "only the records were created at the end");
    assert_eq!(hub.traffic.file_bytes.load(SeqCst) - bytes, not_pages.iter().map(|f| f.size).sum::<u64>(), "and only their bytes sent");
    let mut in_manifest: Vec<&str> = m.files.iter().filter(|f| f.kind == "page").map(|f| f.sha256.as_str()).collect();
    let mut on_box: Vec<&str> = pages.iter().map(|p| p.sha256.as_str()).collect();
    in_manifest.sort();
    on_box.sort();
    assert_eq!(in_manifest, on_box, "the receipt covers exactly the pages on the box");
    assert_eq!(receipt.receipt.file_count, m.files.len() as u64);
    let record: serde_json::Value = serde_json::from_slice(&std::fs::read(bundle.built.file_path("record.json")).unwrap()).unwrap();
    let assigned = record["pages"].as_array().unwrap().iter().find(|p| p["page_id"] == page.page_id.as_str()).unwrap();
    assert_eq!((assigned["status"].as_str(), assigned["sheet_number"].as_u64()), (Some("matched"), Some(3)), "the reassignment is in the record");
    // Nothing on the hub twice: one completed upload per content.
    let uploads = ppe::upload::store::tus_for_point(&hub.db(), EXAM, PPE).unwrap();
    let mut hashes: Vec<&str> = uploads.iter().map(|u| u.declared_sha256.as_str()).collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), uploads.len(), "no content uploaded twice");
    assert_eq!(uploads.len(), m.files.len());

    // Finalize takes a manifest over blobs uploaded before it, and refuses one over a blob the
    // hub does not hold.
    let box_key = ppe::keys::load_ed25519(&box_dir.join("keys/signing.pk8")).unwrap();
    let mut missing = m.clone();
    missing.files.push(ppe::upload::ManifestFile {
        name: format!("{}.png", "ab".repeat(32)),
        kind: "page".into(),
        sha256: "ab".repeat(32),
        size: 10,
        participant_id: None,
    });
    let signed = ppe::upload::sign_manifest(missing, &box_key);
    match UploadCore::finalize(&hub.state, &signed, &BoxIdentity { ppe_code: PPE.into() }) {
        Err(CoreError::Refused(e)) => assert_eq!(e.code(), "missing_file"),
        other => panic!("a manifest over a blob the hub lacks was not refused: {:?}", other.map(|r| r.receipt.manifest_sha256)),
    }
}
