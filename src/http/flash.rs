//! One-shot messages ("flashes") of a UI: an action keeps its outcome under the session's
//! token digest and redirects; the next page of that session takes it and shows it once. The
//! text is always the server's own, so a link such as `/?msg=…` can never put words on a page
//! (hole 7). In memory: a message a restart loses was only ever a courtesy.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A message nobody came back for within this time is dropped.
const FLASH_LIFETIME: Duration = Duration::from_secs(600);
/// Sessions with a message pending at most; the oldest go first.
const MAX_FLASHES: usize = 1_000;
/// The longest message kept (a use case's report), in characters.
const MAX_FLASH_CHARS: usize = 2_000;

#[derive(Debug, Default)]
pub struct Flashes {
    pending: Mutex<HashMap<String, (String, Instant)>>,
}

impl Flashes {
    /// Keeps `text` for the session whose token digest is `session` (replacing an older one).
    pub fn put(&self, session: &str, text: &str) {
        let now = Instant::now();
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, (_, at)| now.duration_since(*at) < FLASH_LIFETIME);
        if pending.len() >= MAX_FLASHES && !pending.contains_key(session) {
            if let Some(oldest) = pending.iter().min_by_key(|(_, (_, at))| *at).map(|(k, _)| k.clone()) {
                pending.remove(&oldest);
            }
        }
        pending.insert(session.to_string(), (text.chars().take(MAX_FLASH_CHARS).collect(), now));
    }

    /// The session's message, once.
    pub fn take(&self, session: &str) -> Option<String> {
        let (text, at) = self.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(session)?;
        (at.elapsed() < FLASH_LIFETIME).then_some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_is_shown_once_and_only_to_its_session() {
        let f = Flashes::default();
        f.put("a", "готово");
        assert_eq!(f.take("b"), None);
        assert_eq!(f.take("a").as_deref(), Some("готово"));
        assert_eq!(f.take("a"), None, "once");
        for i in 0..MAX_FLASHES + 5 {
            f.put(&i.to_string(), "x");
        }
        assert!(f.pending.lock().unwrap().len() <= MAX_FLASHES);
    }
}
