//! `ppe generate` (hidden): man pages and shell completions made from the command line's own
//! clap tree, so they say what `--help` says. `scripts/build-deb.sh` runs it and ships the
//! result in both packages (issue 21 item 2).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Subcommand, Debug)]
pub enum What {
    /// man pages into DIR: one per command and subcommand (ppe.1, ppe-edge.1, ppe-edge-pull.1, …).
    Man {
        /// Folder to write the pages into (created if absent).
        dir: PathBuf,
    },
    /// A completion script for SHELL on standard output, or into --dir under the shell's usual
    /// file name (ppe.bash, _ppe, ppe.fish).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
        /// Folder to write the script into instead of standard output.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// Runs `ppe generate …` on `cli`, the whole command line's clap tree (main.rs passes it).
pub fn run(args: GenerateArgs, cli: clap::Command) -> anyhow::Result<()> {
    match args.what {
        What::Man { dir } => {
            let pages = man_pages(cli, &dir)?;
            eprintln!("{} страниц man записано в {}", pages.len(), dir.display());
        }
        What::Completions { shell, dir: Some(dir) } => {
            std::fs::create_dir_all(&dir).with_context(|| format!("не удалось создать папку {}", dir.display()))?;
            let mut cli = cli;
            let path = clap_complete::generate_to(shell, &mut cli, "ppe", &dir)
                .with_context(|| format!("не удалось записать дополнение для {shell} в {}", dir.display()))?;
            eprintln!("дополнение для {shell}: {}", path.display());
        }
        What::Completions { shell, dir: None } => {
            let mut cli = cli;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cli, "ppe", &mut out);
            use std::io::Write;
            match std::io::stdout().lock().write_all(&out) {
                // `ppe generate completions bash | head` ends quietly.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.context("не удалось вывести дополнение")?,
            }
        }
    }
    Ok(())
}

/// Writes a man page (section 1) for `cli` and every visible subcommand at any depth, named
/// by the command path (`ppe-edge-pull.1`). Returns the files written, sorted.
pub fn man_pages(cli: clap::Command, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("не удалось создать папку {}", dir.display()))?;
    let mut cli = cli.disable_help_subcommand(true);
    cli.build();
    let source = format!("{} {}", cli.get_name(), cli.get_version().unwrap_or_default());
    let mut written = Vec::new();
    let mut stack = vec![cli];
    while let Some(cmd) = stack.pop() {
        stack.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        let page = clap_mangen::Man::new(cmd).source(source.clone()).manual("ppe");
        let path = dir.join(page.get_filename());
        let mut text = Vec::new();
        page.render(&mut text).context("man page")?;
        std::fs::write(&path, text).with_context(|| format!("не удалось записать {}", path.display()))?;
        written.push(path);
    }
    written.sort();
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> clap::Command {
        clap::Command::new("ppe")
            .version("9.9")
            .subcommand(
                clap::Command::new("edge")
                    .about("The box")
                    .subcommand(clap::Command::new("pull").about("Download").arg(clap::Arg::new("exam").long("exam").help("Exam id")))
                    .subcommand(clap::Command::new("secret").hide(true)),
            )
            .subcommand(clap::Command::new("hub").about("The hub"))
    }

    #[test]
    fn every_visible_subcommand_at_any_depth_gets_its_page_and_hidden_ones_none() {
        let dir = tempfile::tempdir().unwrap();
        let pages = man_pages(tree(), dir.path()).unwrap();
        let names: Vec<String> = pages.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["ppe-edge-pull.1", "ppe-edge.1", "ppe-hub.1", "ppe.1"]);
        let pull = std::fs::read_to_string(dir.path().join("ppe-edge-pull.1")).unwrap();
        assert!(pull.starts_with(".ie"), "{pull}");
        assert!(pull.contains("ppe\\-edge\\-pull") && pull.contains("Exam id") && pull.contains("ppe 9.9"), "{pull}");
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_refused_in_russian_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let err = man_pages(tree(), &file.join("man")).unwrap_err();
        assert!(format!("{err:#}").contains("не удалось создать папку") && format!("{err:#}").contains("file/man"), "{err:#}");
    }
}
