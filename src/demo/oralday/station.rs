//! The demo's stand-in for the stations, made for real: a recording station whose answers
//! `espeak-ng` speaks in Russian into WAV files, resampled by `sox` to the station's 16 kHz
//! mono (some converted by `ffmpeg` to OGG/Vorbis), one take silent (a muted microphone), one
//! export cut short; and КЕГЭ workstations saving their answer archives (zip). The box takes
//! them in with its real decoder; nothing here decides what the box accepts.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let o = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("{program} не запускается (нужны пакеты espeak-ng, sox, ffmpeg: apt-get install -y espeak-ng sox ffmpeg)"))?;
    if !o.status.success() {
        bail!("{program}: {}", String::from_utf8_lossy(&o.stderr).trim());
    }
    Ok(())
}

/// What the station gives for one participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// The spoken answer, WAV.
    Spoken,
    /// The spoken answer converted to OGG/Vorbis (a station exporting compressed audio).
    SpokenOgg,
    /// Three seconds of silence: the microphone was muted.
    Silent,
    /// The spoken answer, its export cut at 60 %.
    Truncated,
}

/// The answer a participant reads and tells (the ИС-9's tasks: reading aloud, retelling,
/// a monologue, a dialogue), a few seconds of Russian speech.
pub fn answer_text(n: usize) -> String {
    const TOPICS: &[&str] = &[
        "о любимой книге и её герое",
        "о походе в музей с классом",
        "о том, кем я хочу стать",
        "о своём родном городе Томске",
        "о школьном спортивном празднике",
    ];
    format!("Здравствуйте. Я расскажу {}. Мне это интересно, потому что это важно для меня. Номер ответа {n}.", TOPICS[n % TOPICS.len()])
}

/// One take the station is to make.
pub struct Job {
    pub to: std::path::PathBuf,
    pub text: String,
    pub take: Take,
}

/// Records every job, three at a time (each waits on espeak-ng, sox, ffmpeg).
pub fn record_all(jobs: &[Job], work: &Path) -> anyhow::Result<()> {
    for job in jobs {
        if let Some(dir) = job.to.parent() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let chunk = jobs.len().div_ceil(3).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            jobs.chunks(chunk).map(|part| scope.spawn(move || part.iter().try_for_each(|j| record(&j.to, &j.text, j.take, work)))).collect();
        handles.into_iter().try_for_each(|h| h.join().map_err(|_| anyhow::anyhow!("станция записи: поток упал"))?)
    })
}

/// Records one take into `to` (its extension: `.wav` or `.ogg`), made in `work` and renamed
/// into place whole, as a station's export appears (the box's inbox never sees half a file).
pub fn record(to: &Path, text: &str, take: Take, work: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(work)?;
    let name = to.file_name().context("имя файла записи")?;
    let made = work.join(name);
    make(&made, text, take, work)?;
    std::fs::rename(&made, to)?;
    Ok(())
}

fn make(to: &Path, text: &str, take: Take, work: &Path) -> anyhow::Result<()> {
    let path = |p: &Path| p.to_str().map(str::to_string).context("путь не в UTF-8");
    if take == Take::Silent {
        return run("sox", &["-n", "-r", "16000", "-c", "1", "-b", "16", &path(to)?, "trim", "0", "3"]);
    }
    let stem = to.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let raw = work.join(format!("{stem}.espeak.wav"));
    let station = work.join(format!("{stem}.16k.wav"));
    run("espeak-ng", &["-v", "ru", "-s", "160", "-w", &path(&raw)?, text])?;
    run("sox", &[&path(&raw)?, "-r", "16000", "-c", "1", "-b", "16", &path(&station)?])?;
    let _ = std::fs::remove_file(&raw);
    match take {
        Take::SpokenOgg => {
            run("ffmpeg", &["-loglevel", "error", "-y", "-i", &path(&station)?, "-c:a", "libvorbis", &path(to)?])?;
            let _ = std::fs::remove_file(&station);
        }
        Take::Truncated => {
            let whole = std::fs::read(&station)?;
            std::fs::write(to, &whole[..whole.len() * 6 / 10])?;
            let _ = std::fs::remove_file(&station);
        }
        _ => std::fs::rename(&station, to)?,
    }
    Ok(())
}

/// A КЕГЭ workstation's answer archive: the short answers and a program of task 27.
pub fn answer_archive(participant_n: usize) -> anyhow::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let answers = (1..=25).map(|t| format!("{t}) {}\n", (t * 7 + participant_n) % 100)).collect::<String>();
    for (name, bytes) in [("answers.txt", answers.into_bytes()), ("27.py", format!("print(sum(range({participant_n} + 10)))\n").into_bytes())] {
        w.start_file(name, zip::write::SimpleFileOptions::default())?;
        std::io::Write::write_all(&mut w, &bytes)?;
    }
    Ok(w.finish()?.into_inner())
}
