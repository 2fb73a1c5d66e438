//! The exam point's box: what every `ppe edge` command shares (config, database, clock,
//! the tmpfs for decrypted material).

pub mod duties;
pub mod serve;
pub mod status;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::clock::Clock;
use crate::config::{self, EdgeFileConfig};
use crate::store::Connection;

#[derive(Clone)]
pub struct EdgeContext {
    pub config_path: PathBuf,
    pub config: EdgeFileConfig,
    pub clock: Clock,
}

impl EdgeContext {
    /// Reads `ppe.toml` (see `ppe hub enroll`).
    pub fn open(config_path: &Path) -> anyhow::Result<Self> {
        let mut cfg: EdgeFileConfig = config::load(config_path)
            .with_context(|| "enroll the box with `ppe hub enroll --ppe CODE --out DIR` and pass --config DIR/ppe.toml".to_string())?;
        config::apply_env_edge(&mut cfg, &|k| std::env::var(k).ok());
        Ok(Self { config_path: config_path.to_path_buf(), config: cfg, clock: Clock::real() })
    }

    /// A context from an in-memory config (tests, demo).
    pub fn from_config(config: EdgeFileConfig, clock: Clock) -> Self {
        Self { config_path: PathBuf::new(), config, clock }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Opens (and migrates) the box database.
    pub fn db(&self) -> anyhow::Result<Connection> {
        std::fs::create_dir_all(&self.config.state_dir)
            .with_context(|| format!("create state dir {}", self.config.state_dir.display()))?;
        Ok(crate::store::open(&self.config.db_path())?)
    }

    /// The tmpfs folder for decrypted material of one exam (created 0700).
    pub fn run_dir_for(&self, exam_id: &str) -> anyhow::Result<PathBuf> {
        let dir = self.config.run_dir.join(exam_id);
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(dir)
    }
}
