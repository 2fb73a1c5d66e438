//! What a box command and a hub command work with: its config, its clock and one pool of
//! database connections, opened and migrated once. Every domain's use cases take one of these
//! contexts; the daemons (`edge/serve`, `hub` serve) and `main` build them. Nothing here
//! imports a domain, so a domain may depend on its context without reaching up to a daemon.

pub mod pool;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::clock::Clock;
use crate::config::{self, EdgeFileConfig, HubFileConfig};

pub use pool::{DbPool, PooledConnection};

/// What every `ppe edge` command and the box daemon share.
#[derive(Clone)]
pub struct EdgeContext {
    pub config_path: PathBuf,
    pub config: EdgeFileConfig,
    pub clock: Clock,
    pool: Arc<DbPool>,
}

impl EdgeContext {
    /// The key sheet codes are MACed with: derived from the box's signing key file. Printing
    /// draws codes with it and scanning checks them, so it lives here, below both.
    pub fn sheet_key(&self) -> anyhow::Result<ring::hmac::Key> {
        let file = &self.config.keys.signing_key_file;
        let secret = std::fs::read(file).with_context(|| format!("чтение ключа ППЭ {} (keys.signing_key_file)", file.display()))?;
        Ok(crate::sheet_code::sheet_key(&secret))
    }

    /// Reads `ppe.toml` (see `ppe hub enroll`).
    pub fn open(config_path: &Path) -> anyhow::Result<Self> {
        let mut cfg: EdgeFileConfig = config::load(config_path)
            .with_context(|| "зарегистрируйте ППЭ командой `ppe hub enroll --ppe КОД --out ПАПКА` и укажите --config ПАПКА/ppe.toml".to_string())?;
        config::apply_env_edge(&mut cfg, &|k| std::env::var(k).ok());
        let pool = DbPool::new(cfg.state_dir.clone(), cfg.db_path());
        Ok(Self { config_path: config_path.to_path_buf(), config: cfg, clock: Clock::real(), pool })
    }

    /// A context from an in-memory config (tests, demo).
    pub fn from_config(config: EdgeFileConfig, clock: Clock) -> Self {
        let pool = DbPool::new(config.state_dir.clone(), config.db_path());
        Self { config_path: PathBuf::new(), config, clock, pool }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// A connection to the box database from the pool; the first one creates the state folder
    /// and migrates, later ones reuse idle connections.
    pub fn db(&self) -> anyhow::Result<PooledConnection> {
        Ok(self.pool.get()?)
    }

    /// The tmpfs folder for decrypted material of one exam (created 0700).
    pub fn run_dir_for(&self, exam_id: &str) -> anyhow::Result<PathBuf> {
        let dir = self.config.run_dir.join(exam_id);
        std::fs::create_dir_all(&dir).with_context(|| format!("создание {}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(dir)
    }
}

/// What a hub command and the hub daemon work with.
#[derive(Clone)]
pub struct HubContext {
    pub config_path: PathBuf,
    pub config: HubFileConfig,
    pub clock: Clock,
    pool: Arc<DbPool>,
}

impl HubContext {
    /// Reads `hub.toml` (see `ppe hub init`).
    pub fn open(config_path: &Path) -> anyhow::Result<Self> {
        let mut cfg: HubFileConfig = config::load(config_path)
            .with_context(|| "создайте РЦОИ командой `ppe hub init --dir ПАПКА` и укажите --config ПАПКА/hub.toml".to_string())?;
        config::apply_env_hub(&mut cfg, &|k| std::env::var(k).ok());
        let pool = DbPool::new(cfg.state_dir.clone(), cfg.db_path());
        Ok(Self { config_path: config_path.to_path_buf(), config: cfg, clock: Clock::real(), pool })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// A connection to the hub database from the pool (migrated once, on first use).
    pub fn db(&self) -> anyhow::Result<PooledConnection> {
        Ok(self.pool.get()?)
    }
}

/// The exam point a request comes from, proven by its TLS client certificate (mutual TLS).
/// The hub server inserts it into every request from a box; handlers take it as an extension
/// and never trust a code sent in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxIdentity {
    pub ppe_code: String,
}
