//! Small helpers shared by the `cli.rs` files of several domains (not by servers): reading a
//! password so that it never appears on the command line.

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;

/// The password from the first line of `file`, or one line of standard input; the line end
/// (`\n` or `\r\n`) is not part of it.
pub fn read_password(file: Option<&Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("read {}", p.display()))?,
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("read the password from standard input")?;
            line
        }
    };
    Ok(first_line(&text).to_string())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_password_is_the_first_line_without_its_line_end() {
        assert_eq!(super::first_line("correct-horse\r\n"), "correct-horse");
        assert_eq!(super::first_line("correct-horse\nsecond line"), "correct-horse");
        assert_eq!(super::first_line(""), "");
        assert_eq!(super::first_line("  spaced  \n"), "  spaced  ", "spaces are part of a password");
    }
}
