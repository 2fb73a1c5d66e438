//! The regional hub (РЦОИ): plans, packages, keys, uploads and the dashboard.
//!
//! This file holds what every hub command shares: its config, database and clock.

pub mod cli;
pub mod pki;
pub mod server;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::clock::Clock;
use crate::config::{self, HubFileConfig};
use crate::store::Connection;

/// What a hub command works with.
pub struct HubContext {
    pub config_path: PathBuf,
    pub config: HubFileConfig,
    pub clock: Clock,
}

impl HubContext {
    /// Reads `hub.toml` (see `ppe hub init`).
    pub fn open(config_path: &Path) -> anyhow::Result<Self> {
        let mut cfg: HubFileConfig = config::load(config_path)
            .with_context(|| "run `ppe hub init --dir DIR` and pass --config DIR/hub.toml".to_string())?;
        config::apply_env_hub(&mut cfg, &|k| std::env::var(k).ok());
        Ok(Self { config_path: config_path.to_path_buf(), config: cfg, clock: Clock::real() })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Opens (and migrates) the hub database.
    pub fn db(&self) -> anyhow::Result<Connection> {
        std::fs::create_dir_all(&self.config.state_dir)
            .with_context(|| format!("create state dir {}", self.config.state_dir.display()))?;
        Ok(crate::store::open(&self.config.db_path())?)
    }
}

/// The exam point a request comes from, proven by its TLS client certificate (mutual TLS).
/// The hub server inserts it into every request from a box; handlers take it as an extension
/// and never trust a code sent in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxIdentity {
    pub ppe_code: String,
}
