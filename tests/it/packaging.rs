//! The Debian packages as built (scripts/build-deb.sh from this test's binary, without root or
//! apt: `dpkg-deb` reads them), the man pages and completions in them, and the log lines under
//! journald. Installing and purging them is scripts/check-deb.sh's (CI, as root).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn run_ok(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(o.status.success(), "{cmd:?}: {}{}", stdout(&o), stderr(&o));
    stdout(&o)
}

/// The three packages built from the test binary into `out`: (ppe, ppe-edge, ppe-hub).
fn build_packages(out: &Path) -> [PathBuf; 3] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed =
        run_ok(Command::new("bash").arg(root.join("scripts/build-deb.sh")).arg("--binary").arg(ppe_bin()).arg("--out").arg(out).arg("--fast"));
    let find = |name: &str| {
        let path = listed.lines().map(PathBuf::from).find(|p| p.file_name().unwrap().to_string_lossy().starts_with(&format!("{name}_"))).unwrap();
        assert!(path.exists(), "{}", path.display());
        path
    };
    [find("ppe"), find("ppe-edge"), find("ppe-hub")]
}

fn field(deb: &Path, name: &str) -> String {
    run_ok(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name)).trim().to_string()
}

#[test]
fn packages_hold_binary_units_conffiles_users_man_pages_and_working_completions() {
    assert!(have("dpkg-deb") && have("man"), "dpkg-deb or man (man-db) missing: run scripts/install-deps.sh");
    let dir = tempfile::tempdir().unwrap();
    let [ppe, edge, hub] = build_packages(&dir.path().join("deb"));
    let version = env!("CARGO_PKG_VERSION");
    let listing = |deb: &Path| run_ok(Command::new("dpkg-deb").arg("-c").arg(deb));

    // ppe: the binary (stripped), a man page per visible subcommand, completions; nothing of a role.
    let files = listing(&ppe);
    for f in ["./usr/bin/ppe", "./usr/share/man/man1/ppe.1.gz", "./usr/share/man/man1/ppe-edge-pull.1.gz", "./usr/share/man/man1/ppe-hub-gek.1.gz"] {
        assert!(files.contains(f), "ppe lacks {f}:\n{files}");
    }
    for f in
        ["./usr/share/bash-completion/completions/ppe", "./usr/share/zsh/vendor-completions/_ppe", "./usr/share/fish/vendor_completions.d/ppe.fish"]
    {
        assert!(files.contains(f), "ppe lacks {f}:\n{files}");
    }
    assert!(files.contains("./usr/share/doc/ppe/copyright") && files.contains("./usr/share/doc/ppe/changelog.gz"), "{files}");
    assert!(!files.contains("generate"), "the hidden generate command has no man page:\n{files}");
    assert!(!files.contains("./etc/") && !files.contains("systemd"), "{files}");
    assert_eq!(field(&ppe, "Version"), version);
    assert!(field(&ppe, "Depends").contains("libc6"), "{}", field(&ppe, "Depends"));

    // ppe-edge: the box's units, configs as conffiles, its user, CUPS/udev/journald pieces.
    let files = listing(&edge);
    for f in [
        "./lib/systemd/system/ppe-edge.service",
        "./lib/systemd/system/ppe-edge-wipe.timer",
        "./lib/systemd/system/var-spool-cups.mount",
        "./lib/systemd/system/cups.service.d/ppe.conf",
        "./usr/lib/sysusers.d/ppe-edge.conf",
        "./usr/lib/tmpfiles.d/ppe-edge.conf",
        "./etc/ppe/ppe.toml",
        "./lib/udev/rules.d/99-ppe-barcode.rules",
        "./usr/lib/systemd/journald.conf.d/ppe.conf",
        "./usr/share/ppe/cups-setup.sh",
    ] {
        assert!(files.contains(f), "ppe-edge lacks {f}:\n{files}");
    }
    assert!(!files.contains("./usr/bin/ppe") && !files.contains("ppe-hub"), "{files}");
    let depends = field(&edge, "Depends");
    for d in [&format!("ppe (= {version})") as &str, "cups", "cups-client", "sane-utils", "systemd"] {
        assert!(depends.contains(d), "ppe-edge Depends lacks {d}: {depends}");
    }
    assert_eq!(field(&edge, "Recommends"), "nftables");
    assert!(listing(&hub).contains("./lib/systemd/system/ppe-hub.service") && listing(&hub).contains("./etc/ppe/hub.toml"));
    assert!(field(&hub, "Depends").contains(&format!("ppe (= {version})")));

    // Control parts: conffiles, maintainer scripts that parse and neither start nor call
    // systemctl enable directly (deb-systemd-helper keeps the administrator's choice).
    for (deb, conffiles) in [(&edge, "/etc/ppe/ppe.toml\n/etc/ppe/nftables.conf\n"), (&hub, "/etc/ppe/hub.toml\n")] {
        let control = dir.path().join(deb.file_stem().unwrap()).join("DEBIAN");
        std::fs::create_dir_all(control.parent().unwrap()).unwrap();
        run_ok(Command::new("dpkg-deb").arg("-e").arg(deb).arg(&control));
        assert_eq!(std::fs::read_to_string(control.join("conffiles")).unwrap(), conffiles);
        for script in ["postinst", "prerm", "postrm"] {
            let path = control.join(script);
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o755, "{script}");
            run_ok(Command::new("sh").arg("-n").arg(&path));
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("systemctl enable") && !text.contains("systemctl start") && !text.contains("invoke start"), "{script}:\n{text}");
        }
        let postinst = std::fs::read_to_string(control.join("postinst")).unwrap();
        assert!(postinst.contains("systemd-sysusers") && postinst.contains("deb-systemd-helper enable"), "{postinst}");
    }
    // The box's user: in the groups of the printer, the scanner and the barcode reader.
    let unpacked = dir.path().join("root");
    for deb in [&ppe, &edge] {
        run_ok(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&unpacked));
    }
    let sysusers = std::fs::read_to_string(unpacked.join("usr/lib/sysusers.d/ppe-edge.conf")).unwrap();
    for line in ["u ppe ", "m ppe lp", "m ppe scanner", "m ppe dialout"] {
        assert!(sysusers.contains(line), "{sysusers}");
    }
    let unit = std::fs::read_to_string(unpacked.join("lib/systemd/system/ppe-edge.service")).unwrap();
    assert!(unit.contains("ConditionPathExists=/etc/ppe/keys/x25519.key"), "not started before enrollment:\n{unit}");

    // The man page renders and documents the subcommand's options.
    let man = run_ok(Command::new("man").arg("-l").arg(unpacked.join("usr/share/man/man1/ppe-edge-pull.1.gz")).env("MANWIDTH", "100"));
    assert!(man.contains("--exam") && man.contains("--from"), "{man}");

    // bash completes subcommands and options from the shipped script.
    let complete = |words: &str| {
        let script = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _ppe ppe \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; echo \"${{COMPREPLY[*]}}\"",
            unpacked.join("usr/share/bash-completion/completions/ppe").display()
        );
        run_ok(Command::new("bash").arg("-c").arg(script))
    };
    assert!(complete("ppe edge pu").split_whitespace().any(|w| w == "pull"), "{}", complete("ppe edge pu"));
    assert!(complete("ppe edge pull --ex").split_whitespace().any(|w| w == "--exam"), "{}", complete("ppe edge pull --ex"));
}

#[test]
fn under_journald_every_log_line_carries_its_priority_and_no_escape_or_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let hub_toml = init_hub(dir.path());
    // A metrics listener on every address: the hub warns about it (a warn line), then logs
    // where it listens (an info line).
    let text = std::fs::read_to_string(&hub_toml).unwrap();
    assert!(text.contains("metrics_listen = \"\""), "{text}");
    std::fs::write(&hub_toml, text.replace("metrics_listen = \"\"", "metrics_listen = \"0.0.0.0:0\"")).unwrap();

    let run = |journal: bool| -> String {
        let log = dir.path().join(format!("stderr-{journal}.log"));
        let file = std::fs::File::create(&log).unwrap();
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata().unwrap();
        // systemd names the stream stderr is on; a mismatch is a command whose stderr was
        // redirected elsewhere (it must not get prefixes).
        let stream = if journal { format!("{}:{}", meta.dev(), meta.ino()) } else { format!("{}:{}", meta.dev(), meta.ino() + 1) };
        let mut child = Command::new(ppe_bin())
            .args(["hub", "serve", "--config", hub_toml.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .env("PPE_LOG", "info")
            .env("JOURNAL_STREAM", stream)
            .env_remove("NO_COLOR")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut text = String::new();
        while Instant::now() < deadline && !text.lines().any(|l| l.contains("hub listening on https://") && !l.starts_with("hub listening")) {
            std::thread::sleep(Duration::from_millis(100));
            text = std::fs::read_to_string(&log).unwrap();
        }
        child.kill().unwrap();
        child.wait().unwrap();
        std::fs::read_to_string(&log).unwrap()
    };

    let journal = run(true);
    assert!(journal.lines().any(|l| l.starts_with("<4>") && l.contains("metrics served without a login")), "{journal}");
    assert!(journal.lines().any(|l| l.starts_with("<6>hub listening on https://127.0.0.1:")), "{journal}");
    assert!(!journal.contains('\u{1b}'), "escape bytes in the journal:\n{journal:?}");
    for line in journal.lines().filter(|l| l.starts_with('<')) {
        assert!(["<3>", "<4>", "<6>", "<7>"].iter().any(|p| line.starts_with(p)), "{line}");
        assert!(!line[3..].starts_with("20") && !line.contains(" INFO ") && !line.contains(" WARN "), "own timestamp or level: {line}");
    }

    // Not the journal (a file): plain lines with timestamps, no prefixes, still no escapes.
    let plain = run(false);
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    let info = plain.lines().find(|l| l.contains("INFO") && l.contains("hub listening on https://")).unwrap_or_else(|| panic!("{plain}"));
    assert!(info.starts_with("20") && !plain.lines().any(|l| l.starts_with("<6>")), "{plain}");
}

#[test]
fn under_journald_a_failed_commands_last_word_is_an_error_entry() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let file = std::fs::File::create(&log).unwrap();
    let meta = file.metadata().unwrap();
    let status = Command::new(ppe_bin())
        .args(["edge", "status", "--config", dir.path().join("нет-такого/ppe.toml").to_str().unwrap()])
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
        .stdout(Stdio::null())
        .stderr(file)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let text = std::fs::read_to_string(&log).unwrap();
    let last: Vec<&str> = text.lines().filter(|l| l.contains("ppe: ")).collect();
    assert!(!last.is_empty() && last.iter().all(|l| l.starts_with("<3>ppe: ")), "{text}");
    assert!(text.lines().all(|l| l.starts_with('<')), "a line without its priority: {text}");
}
