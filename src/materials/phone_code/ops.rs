//! The key by phone as use cases. Hub: seal a package key for the box asking at prestage
//! ([`seal_for_box`]), and the РЦОИ operator's disclosure of a code ([`disclose`], `ppe hub
//! key-code`): judged like the online release by the hub's clock, recorded as a release row
//! marked `phone` and in the audit chain (who told which member of which point, when). Box:
//! fetch the seal while pre-staging ([`fetch_seal`]), and the offline activation by a typed
//! code ([`activate_by_phone`], the box UI and `ppe edge key-code`): one transaction with its
//! audit entries; wrong codes counted and the page locked at [`MAX_WRONG_CODES`].

use ring::signature::Ed25519KeyPair;
use serde::Serialize;

use super::store::{self as pstore, BoxSeal, HubSeal, PhoneActivationRow};
use super::{
    identify, issue, judge_code_time, minutes_in_window, random_secret, seal, unseal, PhoneCode, PhoneRefusal, SealBinding, SealFacts,
    MAX_ITERATIONS, MAX_WRONG_CODES, SEAL_ITERATIONS,
};
use crate::context::{EdgeContext, HubContext};
use crate::hub_client::{read_bounded, HubClient};
use crate::materials::hub_meta::{MaterialsMeta, SqliteMaterialsMeta};
use crate::materials::pull::{key_file, materials_dir, net, refused, KeyFile, PullError};
use crate::materials::release::KeyRefusal;
use crate::materials::store as mstore;
use crate::materials::{PackageKind, SignedManifest};
use crate::model::{ExamId, PpeCode, WorkerId};
use crate::protocol::key::{phone_seal_message, KeyRequest, PhoneSeal};
use crate::protocol::paths;

#[derive(Debug, thiserror::Error)]
pub enum PhoneCodeError {
    #[error("{0}")]
    Refused(PhoneRefusal),
    /// A wrong code, counted: how many tries are left before the lock.
    #[error("{refusal} (осталось попыток до блокировки: {left})")]
    Wrong { refusal: PhoneRefusal, left: u32 },
    #[error(transparent)]
    Pull(#[from] PullError),
    #[error(transparent)]
    Db(#[from] crate::store::SqlError),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl PhoneCodeError {
    /// The refusal's stable code, if the rule refused.
    pub fn refusal(&self) -> Option<&PhoneRefusal> {
        match self {
            Self::Refused(r) | Self::Wrong { refusal: r, .. } => Some(r),
            _ => None,
        }
    }
}

fn other(e: impl std::fmt::Display) -> PhoneCodeError {
    PhoneCodeError::Other(anyhow::anyhow!("{e}"))
}

fn secret_of(hex_text: &str) -> Option<[u8; 32]> {
    hex::decode(hex_text).ok()?.try_into().ok()
}

fn random_box_secret() -> Result<zeroize::Zeroizing<[u8; 32]>, PhoneCodeError> {
    use ring::rand::SecureRandom;
    let mut b = zeroize::Zeroizing::new([0u8; 32]);
    ring::rand::SystemRandom::new().fill(&mut *b).map_err(|_| other("random"))?;
    Ok(b)
}

/// Hub: a box pre-staging an exam's package asks for its sealed key with a [`KeyRequest`]
/// signed by its enrolled key (no ГЭК proof: nothing opens without the code). Refused for
/// another point, an exam not in the plan or not assigned, a documents package, a bad
/// signature, no package. One seal per package: asked again, the same secrets answer. Blocks.
pub fn seal_for_box(
    ctx: &HubContext,
    signing_key: &Ed25519KeyPair,
    caller: &PpeCode,
    exam_id: &ExamId,
    request: &KeyRequest,
) -> Result<PhoneSeal, PhoneCodeError> {
    let refuse = |r: PhoneRefusal| {
        tracing::warn!(exam = %exam_id, ppe = %caller, reason = r.code(), "sealed key for the phone code refused");
        PhoneCodeError::Refused(r)
    };
    let key = |k: KeyRefusal| refuse(PhoneRefusal::Key(k));
    if request.exam_id != *exam_id {
        return Err(key(KeyRefusal::UnknownExam));
    }
    if request.ppe_code != *caller {
        return Err(key(KeyRefusal::OtherExamPoint { caller: caller.clone(), asked: request.ppe_code.clone() }));
    }
    if !PackageKind::of_scope(exam_id).1.needs_gek() {
        return Err(refuse(PhoneRefusal::Documents));
    }
    let facts = SqliteMaterialsMeta::from_context(ctx).key_facts(exam_id, caller, None).map_err(other)?;
    facts.exam.as_ref().ok_or_else(|| key(KeyRefusal::UnknownExam))?;
    if !facts.assigned {
        return Err(key(KeyRefusal::NotAssigned));
    }
    let registered = facts.registered.ok_or_else(|| key(KeyRefusal::BadRequestSignature))?;
    if !request.verify(&registered.signing_public_key) {
        return Err(key(KeyRefusal::BadRequestSignature));
    }
    let package = facts.package.ok_or_else(|| key(KeyRefusal::NotPublished))?;
    let package_key: zeroize::Zeroizing<[u8; 32]> = zeroize::Zeroizing::new(
        hex::decode(&package.package_key_hex).ok().and_then(|k| k.try_into().ok()).ok_or_else(|| other("stored package key is not 32 bytes"))?,
    );
    let fresh = HubSeal {
        exam_id: exam_id.to_string(),
        ppe_code: caller.to_string(),
        package_id: package.package_id.clone(),
        version: package.version,
        box_secret_hex: hex::encode(*random_box_secret()?),
        code_secret: random_secret().ok_or_else(|| other("random"))?,
        iterations: SEAL_ITERATIONS,
    };
    let now = ctx.clock.now_rfc3339();
    let mut db = ctx.db()?;
    let tx = db.transaction()?;
    let kept = pstore::hub_seal_put(&tx, &fresh, &now)?;
    crate::audit::store::append(
        &tx,
        &now,
        crate::audit::NewEntry {
            actor: &format!("box:{caller}"),
            action: "materials.phone_sealed",
            object: exam_id.as_str(),
            details: serde_json::json!({"ppe_code": caller, "package_id": kept.package_id, "version": kept.version}),
        },
    )?;
    tx.commit()?;
    let box_secret = zeroize::Zeroizing::new(secret_of(&kept.box_secret_hex).ok_or_else(|| other("stored box secret"))?);
    let binding = SealBinding { exam_id: exam_id.as_str(), ppe_code: caller.as_str(), package_id: &kept.package_id };
    let sealed = seal(&package_key, &box_secret, kept.code_secret, &binding, kept.iterations).ok_or_else(|| other("seal"))?;
    let release = crate::materials::wrap::wrap_for_box(signing_key, request, &kept.package_id, kept.version, &box_secret, &now).map_err(other)?;
    let sealed_key = hex::encode(sealed);
    let signature = crate::keys::sign_hex(signing_key, &phone_seal_message(&release.signature, &sealed_key, kept.iterations));
    tracing::info!(exam = %exam_id, ppe = %caller, package = %kept.package_id, "sealed key for the phone code issued");
    Ok(PhoneSeal { release, sealed_key, iterations: kept.iterations, signature })
}

/// The РЦОИ operator discloses a code to a ГЭК member of an exam point.
#[derive(Debug, Clone)]
pub struct KeyCodeRequest {
    pub exam_id: ExamId,
    pub ppe_code: PpeCode,
    /// The ГЭК member the code is dictated to (assigned to the point on the exam's date).
    pub gek_worker_id: WorkerId,
    /// The operator's login (an operator or admin account of the dashboard).
    pub operator: String,
}

/// The code and what it carries; printed by `ppe hub key-code`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DisclosedCode {
    pub exam_id: String,
    pub ppe_code: String,
    pub gek_worker_id: String,
    pub package_id: String,
    pub version: u64,
    /// The hub's time the code carries (whole minutes).
    pub code_hub_time: String,
    /// Six groups of five digits, as dictated.
    pub code: String,
}

/// Hub: the code for a point's sealed key, inside the window by the hub's clock, for a ГЭК
/// member assigned to the point, the operator named; recorded (disclosure, release row marked
/// `phone`, audit) in one transaction. A refusal is audited too. Blocks.
pub fn disclose(ctx: &HubContext, request: &KeyCodeRequest) -> Result<DisclosedCode, PhoneCodeError> {
    let result = disclose_judged(ctx, request);
    if let Err(PhoneCodeError::Refused(r)) = &result {
        let entry = crate::audit::NewEntry {
            actor: &request.operator,
            action: "materials.key_code_refused",
            object: request.exam_id.as_str(),
            details: serde_json::json!({"ppe_code": request.ppe_code, "gek_worker_id": request.gek_worker_id, "reason": r.code()}),
        };
        if let Err(e) = ctx.db().map_err(other).and_then(|db| crate::audit::store::append(&db, &ctx.clock.now_rfc3339(), entry).map_err(other)) {
            tracing::error!("audit materials.key_code_refused: {e}");
        }
    }
    result
}

fn disclose_judged(ctx: &HubContext, request: &KeyCodeRequest) -> Result<DisclosedCode, PhoneCodeError> {
    let refuse = PhoneCodeError::Refused;
    let key = |k: KeyRefusal| PhoneCodeError::Refused(PhoneRefusal::Key(k));
    let (exam_id, ppe_code) = (&request.exam_id, &request.ppe_code);
    let now = ctx.clock.now();
    {
        let db = ctx.db()?;
        if !pstore::hub_operator_role(&db, &request.operator)?.is_some_and(|r| r == "operator" || r == "admin") {
            return Err(refuse(PhoneRefusal::UnknownOperator));
        }
        if crate::plan::store::exam_point_get(&db, ppe_code)?.is_none() {
            return Err(refuse(PhoneRefusal::PointNotInPlan));
        }
    }
    if !PackageKind::of_scope(exam_id).1.needs_gek() {
        return Err(refuse(PhoneRefusal::Documents));
    }
    let facts = SqliteMaterialsMeta::from_context(ctx).key_facts(exam_id, ppe_code, Some((&request.gek_worker_id, ""))).map_err(other)?;
    let exam = facts.exam.ok_or_else(|| key(KeyRefusal::UnknownExam))?;
    if !facts.assigned {
        return Err(key(KeyRefusal::NotAssigned));
    }
    let window = PackageKind::Kim.window(&exam).ok_or_else(|| key(KeyRefusal::UnknownExam))?;
    let minutes = minutes_in_window(window, now).map_err(refuse)?;
    if !facts.gek_assigned {
        return Err(key(KeyRefusal::GekNotAssigned));
    }
    let db = ctx.db()?;
    let seal_row = pstore::hub_seal_of(&db, exam_id, ppe_code, None)?.ok_or_else(|| refuse(PhoneRefusal::NeverSealed))?;
    drop(db);
    let box_secret = zeroize::Zeroizing::new(secret_of(&seal_row.box_secret_hex).ok_or_else(|| other("stored box secret"))?);
    let binding = SealBinding { exam_id: exam_id.as_str(), ppe_code: ppe_code.as_str(), package_id: &seal_row.package_id };
    let code = issue(&box_secret, &binding, minutes, seal_row.code_secret);
    let code_hub_time = crate::clock::rfc3339(window.0 + chrono::Duration::minutes(i64::from(minutes)));
    let at = crate::clock::rfc3339(now);
    let mut db = ctx.db()?;
    let tx = db.transaction()?;
    pstore::hub_disclosure_insert(&tx, exam_id, ppe_code, &seal_row.package_id, &request.gek_worker_id, &request.operator, &code_hub_time, minutes)?;
    mstore::hub_key_release_log(&tx, &at, exam_id, ppe_code, Some(&seal_row.package_id), true, "phone", Some(request.gek_worker_id.as_str()))?;
    // The code itself is never written down: it opens the package on that box.
    crate::audit::store::append(
        &tx,
        &at,
        crate::audit::NewEntry {
            actor: &request.operator,
            action: "materials.key_disclosed_by_phone",
            object: exam_id.as_str(),
            details: serde_json::json!({
                "ppe_code": ppe_code, "gek_worker_id": request.gek_worker_id, "package_id": seal_row.package_id,
                "version": seal_row.version, "code_hub_time": code_hub_time,
            }),
        },
    )?;
    tx.commit()?;
    tracing::info!(exam = %exam_id, ppe = %ppe_code, gek_worker = %request.gek_worker_id, operator = %request.operator, "package key disclosed by phone");
    Ok(DisclosedCode {
        exam_id: exam_id.to_string(),
        ppe_code: ppe_code.to_string(),
        gek_worker_id: request.gek_worker_id.to_string(),
        package_id: seal_row.package_id,
        version: seal_row.version,
        code_hub_time,
        code: code.format(),
    })
}

/// Largest answer of the seal route read.
const SEAL_ANSWER_MAX: u64 = 64 << 10;

/// Box, while pre-staging with the network: the sealed key of the package just verified, kept
/// with the box's secret (once per package; a КИМ package only). Returns whether a seal was
/// fetched now.
pub async fn fetch_seal(ctx: &EdgeContext, client: &HubClient, signed: &SignedManifest, actor: &str) -> Result<bool, PullError> {
    let m = &signed.manifest;
    let exam_id = m.exam_id.as_str();
    if !PackageKind::of_scope(exam_id).1.needs_gek()
        || pstore::seal_get(&*ctx.db()?, exam_id).map_err(|e| PullError::Other(e.into()))?.is_some_and(|s| s.package_id == m.package_id)
    {
        return Ok(false);
    }
    let box_key = crate::keys::load_ed25519(&ctx.config.keys.signing_key_file).map_err(|e| PullError::Other(e.into()))?;
    let pending = crate::materials::wrap::key_request(&box_key, exam_id, &ctx.config.ppe_code, &ctx.clock.now_rfc3339())?;
    let resp = client.http().post(client.url(&paths::phone_seal(exam_id))).json(&pending.request).send().await.map_err(net)?;
    if !resp.status().is_success() {
        return Err(refused(resp).await);
    }
    let body = read_bounded(resp, SEAL_ANSWER_MAX).await.map_err(|e| PullError::Network(e.to_string()))?;
    let answer: PhoneSeal = serde_json::from_slice(&body).map_err(|e| crate::materials::MaterialsError::Malformed(e.to_string()))?;
    let hub_key = &ctx.config.hub.signing_public_key;
    let bad = |why: &str| PullError::Rejected(crate::materials::MaterialsError::BadKey(format!("запечатанный ключ: {why}")));
    if !crate::keys::verify_ed25519(hub_key, &phone_seal_message(&answer.release.signature, &answer.sealed_key, answer.iterations), &answer.signature)
    {
        return Err(bad("подпись РЦОИ неверна"));
    }
    if answer.release.package_id != m.package_id
        || answer.release.version != m.version
        || answer.iterations == 0
        || answer.iterations > MAX_ITERATIONS
    {
        return Err(bad("относится к другому пакету"));
    }
    let box_secret = zeroize::Zeroizing::new(pending.open(&answer.release, hub_key)?);
    let row = BoxSeal {
        exam_id: exam_id.into(),
        package_id: m.package_id.clone(),
        version: m.version,
        box_secret_hex: hex::encode(*box_secret),
        sealed_key_hex: answer.sealed_key,
        iterations: answer.iterations,
        wrong_codes: 0,
        locked_at: None,
    };
    let now = ctx.clock.now_rfc3339();
    let write = || -> anyhow::Result<()> {
        let mut db = ctx.db()?;
        let tx = db.transaction()?;
        pstore::seal_put(&tx, &row, &now)?;
        crate::audit::store::append(
            &tx,
            &now,
            crate::audit::NewEntry {
                actor,
                action: "materials.phone_sealed",
                object: exam_id,
                details: serde_json::json!({"package_id": m.package_id, "version": m.version}),
            },
        )?;
        tx.commit()?;
        Ok(())
    };
    write()?;
    Ok(true)
}

/// A code typed at the box.
#[derive(Debug, Clone)]
pub struct PhoneActivateRequest {
    pub exam_id: ExamId,
    pub code: String,
    /// The box login typing it (`cli` from the terminal).
    pub actor: String,
    /// That account's worker id (the ГЭК member or the head of the point), from the UI.
    pub worker_id: Option<String>,
}

/// What an offline activation did; printed as JSON by the CLI.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PhoneActivationReport {
    pub exam_id: String,
    pub package_id: String,
    pub version: u64,
    pub code_hub_time: String,
    pub typed_by: String,
}

/// Box, without the network: the typed code checked group by group, matched to this box's
/// seals, its hub time judged against the window, the sealed key opened and checked against
/// every file like an online key, kept in tmpfs, and the activation recorded in one
/// transaction with its audit entries. A wrong code is counted and audited; at
/// [`MAX_WRONG_CODES`] the seal locks.
pub fn activate_by_phone(ctx: &EdgeContext, request: &PhoneActivateRequest) -> Result<PhoneActivationReport, PhoneCodeError> {
    let exam_id = request.exam_id.as_str();
    let who = request.worker_id.as_deref().unwrap_or("");
    let refuse = |r: PhoneRefusal| {
        crate::materials::activation::audit_refusal(ctx, exam_id, &request.actor, who, r.code());
        PhoneCodeError::Refused(r)
    };
    let code = PhoneCode::parse(&request.code).map_err(refuse)?;
    let mut db = ctx.db()?;
    let all = pstore::seals(&db)?;
    let this = all.iter().find(|s| s.exam_id == exam_id).cloned().ok_or_else(|| refuse(PhoneRefusal::NoSeal))?;
    if this.locked_at.is_some() {
        return Err(refuse(PhoneRefusal::Locked));
    }
    let facts: Vec<SealFacts> = all
        .iter()
        .filter_map(|s| Some(SealFacts { exam_id: s.exam_id.clone(), package_id: s.package_id.clone(), box_secret: secret_of(&s.box_secret_hex)? }))
        .collect();
    let ppe_code = ctx.config.ppe_code.clone();
    let found = match identify(&code, exam_id, &ppe_code, &facts) {
        Ok(found) => found.clone(),
        Err(r) if r.counts_as_wrong() => return Err(count_wrong(ctx, &mut db, request, r)?),
        Err(r) => return Err(refuse(r)),
    };
    let window = crate::plan::store::exam_get(&db, exam_id)?
        .and_then(|e| e.materials_window())
        .ok_or_else(|| refuse(PhoneRefusal::Key(KeyRefusal::UnknownExam)))?;
    let code_time = judge_code_time(window, code.minutes).map_err(refuse)?;
    let signed = crate::materials::activation::staged_manifest(ctx, exam_id)?;
    let m = &signed.manifest;
    if m.package_id != this.package_id {
        return Err(refuse(PhoneRefusal::OtherPackage));
    }
    let binding = SealBinding { exam_id, ppe_code: &ppe_code, package_id: &this.package_id };
    let sealed = hex::decode(&this.sealed_key_hex).map_err(other)?;
    let Some(key) = unseal(&sealed, &found.box_secret, code.secret, &binding, this.iterations) else {
        return Err(count_wrong(ctx, &mut db, request, PhoneRefusal::WrongCode)?);
    };
    let dir = materials_dir(ctx, exam_id);
    for f in &m.files {
        crate::materials::activation::check_key_opens_first_chunk(&signed, f, &key, &dir.join(f.cipher_file_name()))?;
    }
    let kf = KeyFile { package_id: m.package_id.clone(), key: hex::encode(*key) };
    crate::keys::write_secret(&key_file(ctx, exam_id)?, &zeroize::Zeroizing::new(serde_json::to_vec(&kf).map_err(other)?)).map_err(other)?;
    let pulled_by = crate::materials::ops::last_puller(ctx, &request.exam_id)?;
    let now = ctx.clock.now_rfc3339();
    let code_hub_time = crate::clock::rfc3339(code_time);
    let row = PhoneActivationRow {
        exam_id: exam_id.into(),
        package_id: m.package_id.clone(),
        version: m.version,
        typed_by: request.actor.clone(),
        worker_id: request.worker_id.clone(),
        code_hub_time: code_hub_time.clone(),
        box_time: now.clone(),
    };
    let activated_by = request.worker_id.clone().unwrap_or_else(|| request.actor.clone());
    let tx = db.transaction()?;
    mstore::key_received(&tx, exam_id, &m.package_id, m.version, &now, &code_hub_time)?;
    mstore::activation_insert(&tx, exam_id, &m.package_id, &activated_by, &request.actor, &pulled_by, &now)?;
    pstore::activation_insert(&tx, &row)?;
    let details = serde_json::json!({
        "via": "phone", "package_id": m.package_id, "version": m.version, "code_hub_time": code_hub_time,
        "typed_by": request.actor, "worker_id": request.worker_id, "pulled_by": pulled_by,
    });
    for action in ["materials.key_received", "materials.activated"] {
        crate::audit::store::append(&tx, &now, crate::audit::NewEntry { actor: &request.actor, action, object: exam_id, details: details.clone() })?;
    }
    tx.commit()?;
    tracing::info!(exam = exam_id, package = %m.package_id, "package key activated by a phone code");
    Ok(PhoneActivationReport {
        exam_id: exam_id.into(),
        package_id: m.package_id.clone(),
        version: m.version,
        code_hub_time,
        typed_by: request.actor.clone(),
    })
}

/// Counts a wrong code with its audit entry (and the lock's, when it locks), in one
/// transaction; the error to answer.
fn count_wrong(
    ctx: &EdgeContext,
    db: &mut crate::context::PooledConnection,
    request: &PhoneActivateRequest,
    refusal: PhoneRefusal,
) -> Result<PhoneCodeError, PhoneCodeError> {
    let exam_id = request.exam_id.as_str();
    let now = ctx.clock.now_rfc3339();
    let tx = db.transaction()?;
    let (wrong, locked) = pstore::wrong_code(&tx, exam_id, MAX_WRONG_CODES, &now)?;
    let details = serde_json::json!({"via": "phone", "reason": refusal.code(), "wrong_codes": wrong, "worker_id": request.worker_id});
    crate::audit::store::append(
        &tx,
        &now,
        crate::audit::NewEntry { actor: &request.actor, action: "materials.key_refused", object: exam_id, details: details.clone() },
    )?;
    if locked {
        crate::audit::store::append(
            &tx,
            &now,
            crate::audit::NewEntry { actor: &request.actor, action: "materials.phone_code_locked", object: exam_id, details },
        )?;
    }
    tx.commit()?;
    tracing::warn!(exam = exam_id, wrong_codes = wrong, locked, "wrong phone code");
    Ok(if wrong >= MAX_WRONG_CODES {
        PhoneCodeError::Refused(PhoneRefusal::Locked)
    } else {
        PhoneCodeError::Wrong { refusal, left: MAX_WRONG_CODES - wrong }
    })
}
