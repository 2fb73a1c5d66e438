//! Logging setup: tracing to stderr, level from `PPE_LOG` (default `info`). Logs carry ids,
//! never personal data.

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PPE_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}
