//! `ppe hub init`: a hub's folder with `hub.toml`, its state and keys.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::config::HubFileConfig;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Folder for hub.toml, keys and state.
    #[arg(long)]
    pub dir: PathBuf,
    /// Address to listen on (goes into hub.toml).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: String,
    /// URL boxes use to reach the hub; default https://<listen>.
    #[arg(long)]
    pub public_url: Option<String>,
}

pub fn init(args: InitArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("create {}", args.dir.display()))?;
    let toml_path = args.dir.join("hub.toml");
    if toml_path.exists() {
        anyhow::bail!("{} exists already: a hub is initialized there (remove it to start over)", toml_path.display());
    }
    let mut cfg = HubFileConfig::with_defaults();
    cfg.listen = args.listen.clone();
    cfg.public_url = args.public_url.unwrap_or_else(|| format!("https://{}", args.listen));
    let text = toml::to_string_pretty(&cfg).context("serialize hub.toml")?;
    let header = "# ppe hub configuration, written by `ppe hub init`. Paths are relative to this file.\n";
    crate::util::write_atomic(&toml_path, format!("{header}{text}").as_bytes()).with_context(|| format!("write {}", toml_path.display()))?;
    let ctx = crate::hub::HubContext::open(&toml_path)?;
    drop(ctx.db()?);
    println!("hub initialized in {}; config {}", args.dir.display(), toml_path.display());
    Ok(())
}
