//! What every command's glue shares: reading a password from a file or standard input (never
//! from the command line, where `ps` and the shell history would show it); writing results to
//! standard output without a panic on a closed pipe ([`outln!`]); the exit codes a script can
//! act on ([`ExitClass`]); and the progress seam ([`Progress`]) long use cases report through
//! without knowing whether anyone draws it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

/// The first line of `file`, or one line read from standard input; without its line end.
pub fn read_password(file: Option<&Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("чтение {}", p.display()))?,
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("чтение пароля со стандартного ввода")?;
            line
        }
    };
    Ok(text.lines().next().unwrap_or("").to_string())
}

/// Writes one line to standard output and returns the error instead of panicking as `println!`
/// does: a reader that closed the pipe (`ppe … | head`) ends the command quietly
/// ([`ExitClass::BrokenPipe`]).
pub fn write_out(args: std::fmt::Arguments<'_>, newline: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)?;
    if newline {
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// `println!` for command results: `?`-propagates a write error (EPIPE) instead of panicking.
#[macro_export]
macro_rules! outln {
    () => { $crate::cli_util::write_out(format_args!(""), true)? };
    ($($arg:tt)*) => { $crate::cli_util::write_out(format_args!($($arg)*), true)? };
}

/// `print!` for command results, like [`outln!`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli_util::write_out(format_args!($($arg)*), false)? };
}

/// Prints `value` as pretty JSON on standard output: the `--json` answer of a command.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    write_out(format_args!("{text}"), true)?;
    Ok(())
}

/// What the exit status tells a script or a systemd unit (docs/cli.md, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// 1: the command failed; retrying unchanged will not help.
    Failure,
    /// 75 (`EX_TEMPFAIL`): not yet — the window is not open, the hub is unreachable or busy;
    /// the same command later may succeed.
    TryLater,
    /// 141 (128 + SIGPIPE, what a shell reports for a writer whose reader left): the reader of
    /// standard output closed the pipe; nothing is printed.
    BrokenPipe,
}

impl ExitClass {
    pub fn code(self) -> u8 {
        match self {
            ExitClass::Failure => 1,
            ExitClass::TryLater => EXIT_TRY_LATER,
            ExitClass::BrokenPipe => EXIT_BROKEN_PIPE,
        }
    }
}

/// `EX_TEMPFAIL` of sysexits.h: "try again later".
pub const EXIT_TRY_LATER: u8 = 75;
/// 128 + SIGPIPE (13).
pub const EXIT_BROKEN_PIPE: u8 = 141;
/// clap's status for a command line it cannot parse.
pub const EXIT_USAGE: u8 = 2;

/// An error a command raises itself for "not yet, try again later" (exit 75).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TryLater(pub String);

/// HTTP statuses from the hub that mean "busy or not yet", not "no".
pub fn is_try_later_status(status: u16) -> bool {
    matches!(status, 425 | 429 | 502 | 503 | 504)
}

/// The class of the errors every command shares: a closed pipe, an unreachable hub, a
/// [`TryLater`]. `None` when the chain holds none of them (the caller may know more).
pub fn common_exit_class(err: &anyhow::Error) -> Option<ExitClass> {
    for cause in err.chain() {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return Some(ExitClass::BrokenPipe);
            }
        }
        if cause.downcast_ref::<TryLater>().is_some() {
            return Some(ExitClass::TryLater);
        }
        if let Some(e) = cause.downcast_ref::<reqwest::Error>() {
            if e.is_connect() || e.is_timeout() || e.status().is_some_and(|s| is_try_later_status(s.as_u16())) {
                return Some(ExitClass::TryLater);
            }
        }
    }
    None
}

/// A box command's failure caused by a full disk, with the state folder of its config named
/// first (`нет места в ПАПКА: …`), unless a folder is named already; anything else unchanged.
pub fn name_full_disk(config: &Path, result: anyhow::Result<()>) -> anyhow::Result<()> {
    let Err(err) = result else { return Ok(()) };
    if !crate::store::chain_says_disk_full(&err) || format!("{err:#}").contains("нет места в") {
        return Err(err);
    }
    let folder = crate::context::EdgeContext::open(config).map(|ctx| ctx.config.state_dir).unwrap_or_else(|_| config.to_path_buf());
    Err(err.context(format!("нет места в {}: диск заполнен; освободите место и повторите — записанное раньше цело", folder.display())))
}

/// Progress of long work as a use case sees it: it says what it starts (with a total when it
/// knows one) and adds what it has done. The CLI draws a bar on a terminal; servers, tests and
/// scripts pass [`NO_PROGRESS`] or count.
pub trait Progress: Sync {
    /// A new stage: `what` in Russian, `total` units (bytes when `bytes`), if known.
    fn start(&self, what: &str, total: Option<u64>, bytes: bool) {
        let _ = (what, total, bytes);
    }
    /// `n` more units done in the current stage.
    fn inc(&self, n: u64) {
        let _ = n;
    }
    /// The current stage is over.
    fn finish(&self) {}
}

/// The progress nobody watches.
pub struct NoProgress;
impl Progress for NoProgress {}
pub static NO_PROGRESS: NoProgress = NoProgress;

/// Counts what a use case reports (tests, and callers that only want the totals).
#[derive(Default)]
pub struct CountingProgress {
    pub stages: std::sync::Mutex<Vec<(String, Option<u64>)>>,
    pub done: AtomicU64,
}

impl Progress for CountingProgress {
    fn start(&self, what: &str, total: Option<u64>, _bytes: bool) {
        if let Ok(mut s) = self.stages.lock() {
            s.push((what.to_string(), total));
        }
    }
    fn inc(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

/// A bar on standard error (indicatif) when it is a terminal; silent otherwise, so logs, pipes
/// and the journal never see control characters.
pub struct TerminalProgress {
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    drawn: bool,
}

impl TerminalProgress {
    /// Draws only when standard error is a terminal.
    pub fn new() -> Self {
        Self { bar: std::sync::Mutex::new(None), drawn: std::io::stderr().is_terminal() }
    }
}

impl TerminalProgress {
    /// Whether anything is drawn (standard error is a terminal).
    pub fn is_drawn(&self) -> bool {
        self.drawn
    }

    /// Shows `text` as the current stage's message (a spinner when no stage was started).
    pub fn message(&self, text: &str) {
        if !self.drawn {
            return;
        }
        if let Ok(mut slot) = self.bar.lock() {
            let bar = slot.get_or_insert_with(|| {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
                bar
            });
            bar.set_message(text.to_string());
        }
    }

    /// A line for the person above the bar (or on standard error when nothing is drawn).
    pub fn println(&self, text: &str) {
        match self.bar.lock().ok().as_ref().and_then(|slot| slot.as_ref().cloned()) {
            Some(bar) if self.drawn => bar.println(text),
            _ => eprintln!("{text}"),
        }
    }
}

impl Default for TerminalProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for TerminalProgress {
    fn start(&self, what: &str, total: Option<u64>, bytes: bool) {
        if !self.drawn {
            return;
        }
        let bar = match total {
            Some(n) => indicatif::ProgressBar::new(n),
            None => indicatif::ProgressBar::new_spinner(),
        };
        let template = match (total.is_some(), bytes) {
            (true, true) => "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec}, осталось {eta}",
            (true, false) => "{msg} [{bar:30}] {pos}/{len}, осталось {eta}",
            (false, true) => "{spinner} {msg} {bytes}",
            (false, false) => "{spinner} {msg} {pos}",
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(old) = slot.replace(bar) {
                old.finish();
            }
        }
    }
    fn inc(&self, n: u64) {
        if let Ok(slot) = self.bar.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.inc(n);
            }
        }
    }
    fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(bar) = slot.take() {
                bar.finish();
            }
        }
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        Progress::finish(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_file_gives_its_first_line_without_the_line_end() {
        let dir = tempfile::tempdir().unwrap();
        for (content, want) in [("секрет-1\n", "секрет-1"), ("секрет-2\r\n", "секрет-2"), ("секрет-3", "секрет-3"), ("a b \nsecond\n", "a b "), ("", "")] {
            let path = dir.path().join("p");
            std::fs::write(&path, content).unwrap();
            assert_eq!(super::read_password(Some(&path)).unwrap(), want, "{content:?}");
        }
    }

    #[test]
    fn a_closed_pipe_and_a_try_later_are_told_from_a_failure() {
        let pipe = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe)).context("вывод");
        assert_eq!(common_exit_class(&pipe), Some(ExitClass::BrokenPipe));
        let later = anyhow::Error::from(TryLater("окно ещё не открыто".into())).context("получение пакета");
        assert_eq!(common_exit_class(&later), Some(ExitClass::TryLater));
        let other = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::NotFound)).context("чтение");
        assert_eq!(common_exit_class(&other), None);
        assert_eq!([ExitClass::Failure.code(), ExitClass::TryLater.code(), ExitClass::BrokenPipe.code()], [1, 75, 141]);
    }

    #[test]
    fn busy_statuses_mean_try_later_and_refusals_do_not() {
        for s in [429, 503, 504, 502, 425] {
            assert!(is_try_later_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 422, 500] {
            assert!(!is_try_later_status(s), "{s}");
        }
    }

    #[test]
    fn counting_progress_adds_what_it_is_told() {
        let p = CountingProgress::default();
        p.start("файлы", Some(10), true);
        p.inc(4);
        p.inc(6);
        p.finish();
        assert_eq!(p.done.load(Ordering::Relaxed), 10);
        assert_eq!(p.stages.lock().unwrap().as_slice(), &[("файлы".to_string(), Some(10))]);
    }
}
