//! The reader thread: owns the serial port, splits lines, and survives unplugging.
//!
//! A USB reader that is pulled out makes reads fail (EIO) or, for some adapters, just go
//! quiet while the device node disappears; when it is plugged back a new node appears under
//! the same stable name (udev rule `/dev/ppe-barcode`). So the thread treats a read error, or
//! the path no longer naming the device it opened, as a disconnect, and keeps trying to open
//! the path again. It never gives up and never needs the box restarted.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::{LineSplitter, ReaderEvent, ReaderSettings};

/// The running reader; dropping it does not stop it, `stop()` does.
pub struct ReaderHandle {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ReaderHandle {
    /// Asks the thread to end and waits for it (at most one poll interval).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the reader thread. Events go to `events` until it is stopped or the receiver is
/// dropped.
pub fn spawn_reader(settings: ReaderSettings, events: UnboundedSender<ReaderEvent>) -> std::io::Result<ReaderHandle> {
    let stop = Arc::new(AtomicBool::new(false));
    let stop_flag = stop.clone();
    let thread = std::thread::Builder::new().name("serial-reader".into()).spawn(move || run(settings, events, stop_flag))?;
    Ok(ReaderHandle { stop, thread: Some(thread) })
}

/// Identity of the device node behind a path (follows the udev symlink).
#[cfg(unix)]
fn device_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}
#[cfg(not(unix))]
fn device_identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|_| (0, 0))
}

type OpenPort = ((u64, u64), Box<dyn serialport::SerialPort>);

fn run(settings: ReaderSettings, events: UnboundedSender<ReaderEvent>, stop: Arc<AtomicBool>) {
    let shown = settings.port.display().to_string();
    let mut splitter = LineSplitter::new(settings.line_ending);
    let mut last_open_error = String::new();
    while !stop.load(Ordering::SeqCst) && !events.is_closed() {
        let identity = device_identity(&settings.port);
        let opened = serialport::new(shown.clone(), settings.baud).timeout(settings.poll).open();
        let mut port: OpenPort = match (identity, opened) {
            (Some(identity), Ok(port)) => (identity, port),
            (_, Err(err)) => {
                // Log a missing reader once, not every quarter second.
                let text = err.to_string();
                if text != last_open_error {
                    tracing::info!(port = %shown, error = %text, "barcode reader not available; retrying");
                    last_open_error = text;
                }
                std::thread::sleep(settings.reconnect_every);
                continue;
            }
            (None, Ok(_)) => {
                std::thread::sleep(settings.reconnect_every);
                continue;
            }
        };
        last_open_error.clear();
        splitter.reset();
        tracing::info!(port = %shown, "barcode reader connected");
        if events.send(ReaderEvent::Connected { port: shown.clone() }).is_err() {
            return;
        }
        let reason = read_until_gone(&settings.port, &mut port, &mut splitter, &events, &stop);
        tracing::warn!(port = %shown, reason = %reason, "barcode reader disconnected");
        if events.send(ReaderEvent::Disconnected { port: shown.clone(), reason }).is_err() {
            return;
        }
    }
}

/// Reads lines until the device goes away or a stop is asked; returns why it ended.
fn read_until_gone(path: &Path, port: &mut OpenPort, splitter: &mut LineSplitter, events: &UnboundedSender<ReaderEvent>, stop: &AtomicBool) -> String {
    let (identity, port) = port;
    let mut buf = [0u8; 256];
    loop {
        if stop.load(Ordering::SeqCst) {
            return "stopped".into();
        }
        match port.read(&mut buf) {
            Ok(0) => return "end of stream".into(),
            Ok(n) => {
                for code in splitter.push(&buf[..n]) {
                    if events.send(ReaderEvent::Code { code }).is_err() {
                        return "no receiver".into();
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut || e.kind() == std::io::ErrorKind::Interrupted => {
                // Quiet: is the name still the device we opened?
                if device_identity(path) != Some(*identity) {
                    return "device node vanished or was replaced".into();
                }
            }
            Err(e) => return e.to_string(),
        }
    }
}
