//! Logging setup: tracing to stderr, level from `PPE_LOG` (default `info`). Logs carry ids,
//! never personal data.
//!
//! Three shapes, chosen once at start ([`Shape::detect`]):
//! - under systemd, when stderr is the journal stream named by `JOURNAL_STREAM` (sd-daemon(3):
//!   `DEVICE:INODE` of the stream), every line starts with its syslog priority `<N>`
//!   (error 3, warn 4, info 6, debug and trace 7) and carries no timestamp and no colour:
//!   journald adds both, and `journalctl -p err` finds the errors;
//! - on a terminal: tracing's usual lines with timestamps, in colour unless `NO_COLOR` is set;
//! - anywhere else (a file, a pipe, a unit whose stderr is not the journal): the same lines
//!   without colour, so no escape byte reaches a log file.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// How log lines look on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `<N>message`: journald's stream protocol with syslog priority prefixes.
    Journal,
    /// Timestamped lines in colour (a terminal).
    Colour,
    /// Timestamped lines, no escape bytes.
    Plain,
}

/// What decides the shape; read from the process by [`Shape::detect`], given by tests.
#[derive(Debug, Clone, Default)]
pub struct Surroundings {
    /// `JOURNAL_STREAM`, as systemd sets it for a unit whose output goes to the journal.
    pub journal_stream: Option<String>,
    /// Device and inode of the file stderr is open on.
    pub stderr_id: Option<(u64, u64)>,
    pub stderr_is_terminal: bool,
    /// `NO_COLOR` set to anything non-empty (no-color.org).
    pub no_color: bool,
}

impl Shape {
    /// The shape for these surroundings. `JOURNAL_STREAM` counts only when it names stderr
    /// itself: a command started from a unit with its output redirected to a file inherits
    /// the variable but not the stream.
    pub fn for_surroundings(s: &Surroundings) -> Shape {
        if let (Some(stream), Some(id)) = (s.journal_stream.as_deref(), s.stderr_id) {
            if parse_journal_stream(stream) == Some(id) {
                return Shape::Journal;
            }
        }
        if s.stderr_is_terminal && !s.no_color {
            Shape::Colour
        } else {
            Shape::Plain
        }
    }

    /// The shape for this process's stderr and environment.
    pub fn detect() -> Shape {
        use std::io::IsTerminal;
        let stderr = std::io::stderr();
        let stderr_id = rustix::fs::fstat(&stderr).ok().map(|st| (st.st_dev as u64, st.st_ino as u64));
        Shape::for_surroundings(&Surroundings {
            journal_stream: std::env::var("JOURNAL_STREAM").ok(),
            stderr_id,
            stderr_is_terminal: stderr.is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        })
    }
}

/// `DEVICE:INODE` (decimal, as systemd writes it) of `JOURNAL_STREAM`.
pub fn parse_journal_stream(value: &str) -> Option<(u64, u64)> {
    let (dev, ino) = value.trim().split_once(':')?;
    Some((dev.parse().ok()?, ino.parse().ok()?))
}

/// The syslog priority journald files a line of this level under (sd-daemon(3)).
pub fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// One event as one journal line: `<N>span{k=v}: message key=value`. journald reads a line
/// break as the end of the entry, so breaks inside the message become spaces (the rest of a
/// multi-line message would otherwise land at the default priority).
pub struct JournalFormat;

impl<S, N> FormatEvent<S, N> for JournalFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut line = String::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                line.push_str(span.name());
                if let Some(fields) = span.extensions().get::<FormattedFields<N>>().filter(|f| !f.is_empty()) {
                    line.push_str(&format!("{{{fields}}}"));
                }
                line.push_str(": ");
            }
        }
        ctx.format_fields(Writer::new(&mut line), event)?;
        let line = line.replace(['\r', '\n'], " ");
        writeln!(writer, "<{}>{}", priority(event.metadata().level()), line.trim_end())
    }
}

/// A command's last word on failure (`ppe: …` on stderr), as the shape wants it: under the
/// journal every line carries priority 3 (error), so `journalctl -p err` shows why a unit's
/// command failed; elsewhere the text is unchanged.
pub fn fatal_message(shape: Shape, message: &str) -> String {
    match shape {
        Shape::Journal => message.lines().map(|line| format!("<3>{line}")).collect::<Vec<_>>().join("\n"),
        Shape::Colour | Shape::Plain => message.to_string(),
    }
}

fn filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_env("PPE_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

/// Installs the process's subscriber (once; later calls change nothing).
pub fn init() {
    let builder = tracing_subscriber::fmt().with_env_filter(filter()).with_writer(std::io::stderr).with_target(false);
    let _ = match Shape::detect() {
        Shape::Journal => builder.with_ansi(false).event_format(JournalFormat).try_init(),
        Shape::Colour => builder.with_ansi(true).try_init(),
        Shape::Plain => builder.with_ansi(false).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around(journal_stream: Option<&str>, stderr_id: Option<(u64, u64)>, terminal: bool, no_color: bool) -> Surroundings {
        Surroundings { journal_stream: journal_stream.map(str::to_string), stderr_id, stderr_is_terminal: terminal, no_color }
    }

    #[test]
    fn the_journal_shape_is_taken_only_when_stderr_is_the_stream_systemd_named() {
        assert_eq!(Shape::for_surroundings(&around(Some("25:1234"), Some((25, 1234)), false, false)), Shape::Journal);
        // A command run from a unit with 2>file inherits JOURNAL_STREAM but writes elsewhere.
        assert_eq!(Shape::for_surroundings(&around(Some("25:1234"), Some((25, 999)), false, false)), Shape::Plain);
        assert_eq!(Shape::for_surroundings(&around(Some("garbage"), Some((25, 1234)), true, false)), Shape::Colour);
        assert_eq!(Shape::for_surroundings(&around(None, Some((25, 1234)), true, false)), Shape::Colour);
        assert_eq!(Shape::for_surroundings(&around(None, Some((25, 1234)), true, true)), Shape::Plain, "NO_COLOR");
        assert_eq!(Shape::for_surroundings(&around(None, None, false, false)), Shape::Plain, "a pipe or a file gets no colour");
        assert_eq!(parse_journal_stream(" 8:77\n"), Some((8, 77)));
        assert_eq!(parse_journal_stream("8-77"), None);
        assert_eq!(parse_journal_stream("8:x"), None);
    }

    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn journal_lines_carry_the_priority_of_their_level_one_line_each_and_no_escape_or_timestamp() {
        let out = Captured::default();
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .event_format(JournalFormat)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("duties", pass = 2);
            let _entered = span.enter();
            tracing::error!(page = 7, "inbox page not taken");
            tracing::warn!("heartbeat not delivered\nsecond line");
            tracing::info!("hub listening");
            tracing::debug!("detail");
            tracing::trace!("finer");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                "<3>duties{pass=2}: inbox page not taken page=7",
                "<4>duties{pass=2}: heartbeat not delivered second line",
                "<6>duties{pass=2}: hub listening",
                "<7>duties{pass=2}: detail",
                "<7>duties{pass=2}: finer",
            ]
        );
        assert!(!text.contains('\u{1b}'));
        assert_eq!([Level::ERROR, Level::WARN, Level::INFO, Level::DEBUG].map(|l| priority(&l)), [3, 4, 6, 7]);
    }

    #[test]
    fn a_fatal_message_is_an_error_in_the_journal_line_by_line_and_plain_elsewhere() {
        let text = "ppe: ФЛК: 2 ошибки\nстрока 3: нет кода";
        assert_eq!(fatal_message(Shape::Journal, text), "<3>ppe: ФЛК: 2 ошибки\n<3>строка 3: нет кода");
        assert_eq!(fatal_message(Shape::Plain, text), text);
        assert_eq!(fatal_message(Shape::Colour, text), text);
    }
}
