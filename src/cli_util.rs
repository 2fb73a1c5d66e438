//! What every command's glue shares: reading a password from a file or standard input (never
//! from the command line, where `ps` and the shell history would show it).

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;

/// The first line of `file`, or one line read from standard input; without its line end.
pub fn read_password(file: Option<&Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("read {}", p.display()))?,
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("read the password from standard input")?;
            line
        }
    };
    Ok(text.lines().next().unwrap_or("").to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_password_file_gives_its_first_line_without_the_line_end() {
        let dir = tempfile::tempdir().unwrap();
        for (content, want) in [("секрет-1\n", "секрет-1"), ("секрет-2\r\n", "секрет-2"), ("секрет-3", "секрет-3"), ("a b \nsecond\n", "a b "), ("", "")] {
            let path = dir.path().join("p");
            std::fs::write(&path, content).unwrap();
            assert_eq!(super::read_password(Some(&path)).unwrap(), want, "{content:?}");
        }
    }
}
