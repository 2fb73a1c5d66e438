//! `ppe hub publish`: one package per exam point of an exam, each with a fresh key, its
//! files encrypted in one streaming pass, content-addressed on disk, and a signed manifest
//! written last (atomically), so a mirror or box never sees a manifest without its files.
//! The hub's metadata (plan, package versions, the package record) goes through the
//! `MaterialsMeta` seam, like the hub server's.

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::Context;
use ring::rand::SecureRandom;

use super::hub_meta::{MaterialsMeta, SqliteMaterialsMeta};
use super::{sign_manifest, FileEntry, Manifest, PackageKind, StreamParams, FORMAT, NONCE_PREFIX_LEN};
use crate::audit::AuditNote;
use crate::context::HubContext;
use crate::model::{ExamId, PpeCode};
use crate::store::MetaError;

/// Publish an exam's materials for every exam point assigned to it.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub exam_id: ExamId,
    /// The plaintext files (every file not starting with `.`).
    pub materials_dir: PathBuf,
    /// Plaintext bytes per encrypted chunk.
    pub chunk_size: u32,
    /// The КИМ package, or the exam's documents package (released from its own moment).
    pub kind: PackageKind,
}

/// What was published for one exam point.
#[derive(Debug, Clone)]
pub struct Published {
    /// The package's scope: the exam id, or `EXAM~documents` for its documents package.
    pub exam_id: ExamId,
    pub ppe_code: PpeCode,
    pub version: u64,
    pub package_id: String,
    pub files: usize,
}

pub fn publish(ctx: &HubContext, request: &PublishRequest) -> anyhow::Result<Vec<Published>> {
    publish_with(&SqliteMaterialsMeta::from_context(ctx), ctx, request)
}

/// [`publish`] reporting the plaintext bytes encrypted (every point's package) to `progress`.
pub fn publish_with_progress(ctx: &HubContext, request: &PublishRequest, progress: &dyn crate::cli_util::Progress) -> anyhow::Result<Vec<Published>> {
    publish_reporting(&SqliteMaterialsMeta::from_context(ctx), ctx, request, progress)
}

/// [`publish`] over any implementation of the hub's materials metadata.
pub fn publish_with(meta: &dyn MaterialsMeta, ctx: &HubContext, request: &PublishRequest) -> anyhow::Result<Vec<Published>> {
    publish_reporting(meta, ctx, request, &crate::cli_util::NO_PROGRESS)
}

fn publish_reporting(
    meta: &dyn MaterialsMeta,
    ctx: &HubContext,
    request: &PublishRequest,
    progress: &dyn crate::cli_util::Progress,
) -> anyhow::Result<Vec<Published>> {
    let (exam_id, materials_dir, chunk_size) = (&request.exam_id, request.materials_dir.as_path(), request.chunk_size);
    if chunk_size == 0 {
        anyhow::bail!("--chunk-size must be positive");
    }
    let targets = meta.publish_targets(exam_id)?;
    let exam = targets.exam.with_context(|| format!("exam {exam_id} is not in the hub's plan (import it with `ppe hub import-plan`)"))?;
    exam.start_utc().with_context(|| format!("exam {exam_id}: date or start time is not valid"))?;
    let kind = request.kind;
    kind.window(&exam).with_context(|| {
        format!("экзамен {exam_id}: нет пакета документов (столбец плана documents_open_at пуст и по виду экзамена пакета нет, или «нет»)")
    })?;
    // The package's scope: the exam for КИМ, `EXAM~documents` for its documents.
    let scope: ExamId = kind.scope(exam_id).into();
    let points = targets.exam_points;
    if points.is_empty() {
        anyhow::bail!("exam {exam_id} has no exam points assigned in the plan");
    }
    let mut inputs: Vec<(String, std::path::PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(materials_dir).with_context(|| format!("read materials folder {}", materials_dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if entry.file_type()?.is_file() && !name.starts_with('.') {
            inputs.push((name, entry.path()));
        }
    }
    inputs.sort();
    if inputs.is_empty() {
        anyhow::bail!("materials folder {} has no files", materials_dir.display());
    }
    let roles: Vec<(String, String)> = inputs.iter().map(|(name, _)| (name.clone(), super::role_for_file_name(name).to_string())).collect();
    if kind == PackageKind::Documents && roles.iter().any(|(_, role)| role == "kim") {
        anyhow::bail!("{}: в пакете документов не может быть КИМ (файлы КИМ публикуются пакетом КИМ)", materials_dir.display());
    }
    let variants = super::variants::number_kim_files(&roles).map_err(|e| anyhow::anyhow!("{}: {e}", materials_dir.display()))?;
    let hub_key = crate::keys::load_ed25519(&ctx.config.signing_key_file)?;
    let publish_root = publish_dir(&ctx.config);
    let rng = ring::rand::SystemRandom::new();
    let mut out = Vec::new();
    let bytes_per_point: u64 = inputs.iter().filter_map(|(_, p)| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    progress.start("шифрование пакетов", Some(bytes_per_point * points.len() as u64), true);
    for ppe_code in points {
        // Each point's package opens and closes by the point's own clock on the wall.
        let here = targets.points.iter().find(|p| p.ppe_code == ppe_code.as_str()).map_or_else(|| exam.clone(), |p| exam.at_point(p));
        let (open, close) = kind.window(&here).with_context(|| format!("exam {exam_id}: date or start time is not valid"))?;
        let version = meta.package_next_version(&scope, &ppe_code)?;
        let mut key = [0u8; 32];
        rng.fill(&mut key).map_err(|_| anyhow::anyhow!("random generator failed"))?;
        let at = ctx.clock.now();
        let now = crate::clock::rfc3339(at);
        let mut manifest = Manifest {
            format: FORMAT.into(),
            package_id: uuid::Uuid::new_v4().to_string(),
            exam_id: scope.to_string(),
            ppe_code: ppe_code.to_string(),
            version,
            created: now.clone(),
            expires: close.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            window_open: open.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            window_close: close.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            kind,
            files: Vec::new(),
        };
        let dir = publish_root.join(scope.as_str()).join(ppe_code.as_str());
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        for (name, path) in &inputs {
            let mut prefix = [0u8; NONCE_PREFIX_LEN];
            rng.fill(&mut prefix).map_err(|_| anyhow::anyhow!("random generator failed"))?;
            let plain_len = std::fs::metadata(path)?.len();
            let mut entry = FileEntry {
                name: name.clone(),
                role: super::role_for_file_name(name).into(),
                variant: variants.get(name).copied(),
                plain_len,
                cipher_len: super::cipher_len_for(plain_len, chunk_size),
                plain_sha256: String::new(),
                cipher_sha256: String::new(),
                chunk_size,
                nonce_prefix: hex::encode(prefix),
            };
            let aad = super::file_aad(&manifest, &entry);
            let tmp = dir.join(format!(".publish-{}.tmp", uuid::Uuid::new_v4().simple()));
            let totals = {
                let input = BufReader::with_capacity(1 << 20, std::fs::File::open(path).with_context(|| format!("open {}", path.display()))?);
                let file = std::fs::File::create(&tmp)?;
                let mut writer = BufWriter::with_capacity(1 << 20, file);
                let t = super::encrypt_stream(&StreamParams { key: &key, nonce_prefix: prefix, aad: &aad, chunk_size }, input, &mut writer)?;
                let file = writer.into_inner().map_err(|e| e.into_error())?;
                file.sync_all()?;
                t
            };
            if totals.plain_len != plain_len {
                anyhow::bail!("{} changed while it was being encrypted", path.display());
            }
            progress.inc(plain_len);
            entry.plain_sha256 = totals.plain_sha256;
            entry.cipher_sha256 = totals.cipher_sha256;
            std::fs::rename(&tmp, dir.join(entry.cipher_file_name()))?;
            manifest.files.push(entry);
        }
        crate::util::sync_dir(&dir)?;
        let signed = sign_manifest(manifest, &hub_key);
        let bytes = serde_json::to_vec_pretty(&signed)?;
        let package_id = signed.manifest.package_id.clone();
        let package = crate::materials::store::HubPackage {
            exam_id: scope.to_string(),
            ppe_code: ppe_code.to_string(),
            version,
            package_id: package_id.clone(),
            package_key_hex: hex::encode(key),
            manifest_sha256: crate::util::sha256_hex(&bytes),
        };
        let audit = AuditNote {
            actor: "operator".into(),
            action: "materials.publish",
            object: exam_id.to_string(),
            details: serde_json::json!({"ppe_code": ppe_code, "version": version, "package_id": package_id, "files": inputs.len(), "kind": kind.code()}),
        };
        // The manifest goes out only once the package (and its key) is recorded.
        let manifest_path = dir.join("manifest.json");
        meta.package_record(&package, &audit, at, &mut || crate::util::write_atomic(&manifest_path, &bytes).map_err(MetaError::from_cause))?;
        out.push(Published { exam_id: scope.clone(), ppe_code, version, package_id, files: inputs.len() });
    }
    Ok(out)
}

/// Small stand-in materials for `ppe demo` (two КИМ variants, an instruction, a template), so the demo
/// can publish a package without real exam papers.
pub fn write_demo_materials(dir: &Path, exam_id: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let files = [
        ("kim-variant-1.txt", format!("КИМ экзамена {exam_id}, вариант 1 (демонстрационный).\n")),
        ("kim-variant-2.txt", format!("КИМ экзамена {exam_id}, вариант 2 (демонстрационный).\n")),
        ("instruction.txt", format!("Инструкция для организаторов в аудитории, экзамен {exam_id} (демонстрационная).\n")),
        ("template-answers.txt", "Шаблон бланка ответов (демонстрационный).\n".to_string()),
    ];
    for (name, text) in files {
        crate::util::write_atomic(&dir.join(name), text.repeat(200).as_bytes())?;
    }
    Ok(())
}

/// Where published packages live on the hub (also what a mirror such as nginx serves).
pub fn publish_dir(cfg: &crate::config::HubFileConfig) -> std::path::PathBuf {
    cfg.state_dir.join("publish")
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_materials_have_every_role() {
        let dir = tempfile::tempdir().unwrap();
        super::write_demo_materials(dir.path(), "ege-02").unwrap();
        let mut roles: Vec<&str> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| super::super::role_for_file_name(&e.unwrap().file_name().to_string_lossy()))
            .collect();
        roles.sort();
        assert_eq!(roles, ["instruction", "kim", "kim", "template"]);
    }
}
