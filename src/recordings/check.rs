//! The content checks of a file taken in, with real decoders: an audio recording is decoded in
//! full by symphonia (WAV, MP3, OGG/Vorbis) — its length measured from the samples, its level
//! as RMS — and a КЕГЭ answer archive is opened by `zip`, every entry read to its end (so each
//! CRC is checked) within a bound. Pure over bytes: no file system, no process.

use std::io::Read;

use serde::Serialize;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::Defect;

/// What decoding a recording found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioFacts {
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
    /// From the decoded samples, not from the header.
    pub duration_ms: u64,
    /// RMS level over every sample, dBFS (−∞ for digital silence: stored as −200).
    pub rms_dbfs: f64,
}

/// A decoded stream shorter than its header declares by more than this is truncated.
const TRUNCATION_TOLERANCE: f64 = 0.02;

/// Decodes a whole recording. `Err` with the decoder's reason when it does not decode (not
/// audio, a broken header, a stream that breaks off, a file cut short of its declared length).
pub fn decode_audio(bytes: &[u8], ext: &str) -> Result<AudioFacts, Defect> {
    let unreadable = |what: &str, e: &dyn std::fmt::Display| Defect::Unreadable(format!("{what}: {e}"));
    let source = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes.to_vec())), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(ext);
    let probed = symphonia::default::get_probe()
        .format(&hint, source, &FormatOptions { enable_gapless: true, ..Default::default() }, &MetadataOptions::default())
        .map_err(|e| unreadable("формат не распознан", &e))?;
    let mut format = probed.format;
    let track = format.tracks().iter().find(|t| t.codec_params.codec != CODEC_TYPE_NULL).ok_or_else(|| Defect::Unreadable("нет звуковой дорожки".into()))?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    let mut decoder = symphonia::default::get_codecs().make(&params, &DecoderOptions::default()).map_err(|e| unreadable("кодек не поддерживается", &e))?;
    let codec = symphonia::default::get_codecs().get_codec(params.codec).map(|d| d.short_name.to_string()).unwrap_or_else(|| "?".into());
    let mut sample_rate = params.sample_rate.unwrap_or(0);
    let mut channels = params.channels.map(|c| c.count() as u16).unwrap_or(0);
    let (mut frames, mut sum_squares, mut samples) = (0u64, 0f64, 0u64);
    let mut buffer: Option<SampleBuffer<f32>> = None;
    let mut bad_packets = 0u32;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => return Err(unreadable("поток прерван", &e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(decoded) => {
                let spec = *decoded.spec();
                sample_rate = spec.rate;
                channels = spec.channels.count() as u16;
                frames += decoded.frames() as u64;
                let need = decoded.capacity() as u64;
                if buffer.as_ref().is_none_or(|b| (b.capacity() as u64) < need * spec.channels.count() as u64) {
                    buffer = Some(SampleBuffer::new(need, spec));
                }
                if let Some(b) = buffer.as_mut() {
                    b.copy_interleaved_ref(decoded);
                    for s in b.samples() {
                        sum_squares += f64::from(*s) * f64::from(*s);
                    }
                    samples += b.samples().len() as u64;
                }
            }
            // A damaged frame or two in a long MP3 is not the end; many are.
            Err(SymphoniaError::DecodeError(e)) => {
                bad_packets += 1;
                if bad_packets > 8 {
                    return Err(unreadable("повреждённые кадры", &e));
                }
            }
            Err(e) => return Err(unreadable("ошибка декодирования", &e)),
        }
    }
    if frames == 0 || sample_rate == 0 {
        return Err(Defect::Unreadable("в файле нет звука".into()));
    }
    let seconds = |n: u64| n as f64 / f64::from(sample_rate);
    if let Some(declared) = params.n_frames.filter(|n| *n > 0) {
        if (frames as f64) < declared as f64 * (1.0 - TRUNCATION_TOLERANCE) {
            return Err(Defect::Truncated { decoded_s: seconds(frames), declared_s: seconds(declared) });
        }
    }
    let rms = if samples == 0 { 0.0 } else { (sum_squares / samples as f64).sqrt() };
    let rms_dbfs = if rms > 0.0 { (20.0 * rms.log10()).max(-200.0) } else { -200.0 };
    Ok(AudioFacts { codec, sample_rate, channels, duration_ms: (seconds(frames) * 1000.0).round() as u64, rms_dbfs })
}

/// The length and level rules: within `[min, max]` seconds, not below the silence threshold.
pub fn judge_audio(facts: &AudioFacts, range: [u32; 2], silence_dbfs: f64) -> Result<(), Defect> {
    let seconds = facts.duration_ms as f64 / 1000.0;
    if seconds < f64::from(range[0]) {
        return Err(Defect::TooShort { seconds, min: range[0] });
    }
    if seconds > f64::from(range[1]) {
        return Err(Defect::TooLong { seconds, max: range[1] });
    }
    if facts.rms_dbfs < silence_dbfs {
        return Err(Defect::Silent { rms_dbfs: facts.rms_dbfs, threshold_dbfs: silence_dbfs });
    }
    Ok(())
}

/// What opening an answer archive found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveFacts {
    /// Entry names (files only), in archive order.
    pub entries: Vec<String>,
    pub unpacked_bytes: u64,
}

/// Opens a zip archive and reads every entry to its end (the CRC of each is checked at its end),
/// at most `max_unpacked` bytes in all. Empty archives and archives of folders only are refused.
pub fn check_archive(bytes: &[u8], max_unpacked: u64) -> Result<ArchiveFacts, Defect> {
    let unreadable = |e: &dyn std::fmt::Display| Defect::Unreadable(format!("архив не открывается: {e}"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut facts = ArchiveFacts { entries: Vec::new(), unpacked_bytes: 0 };
    let mut sink = vec![0u8; 64 << 10];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| unreadable(&e))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map_err(|e| unreadable(&e))?.to_string();
        loop {
            let n = entry.read(&mut sink).map_err(|e| Defect::Unreadable(format!("файл «{name}» в архиве повреждён: {e}")))?;
            if n == 0 {
                break;
            }
            facts.unpacked_bytes += n as u64;
            if facts.unpacked_bytes > max_unpacked {
                return Err(Defect::Unreadable(format!("архив распаковывается больше чем в {max_unpacked} байт")));
            }
        }
        facts.entries.push(name);
    }
    if facts.entries.is_empty() {
        return Err(Defect::EmptyArchive);
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit mono PCM WAV of `seconds` of a sine (or of zeros), `cut` bytes cut off its end.
    pub(crate) fn wav(seconds: f64, amplitude: f64, cut: usize) -> Vec<u8> {
        let rate = 8000u32;
        let n = (seconds * f64::from(rate)) as u32;
        let mut data = Vec::with_capacity(n as usize * 2);
        for i in 0..n {
            let v = (amplitude * (f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / f64::from(rate)).sin() * 32767.0) as i16;
            data.extend_from_slice(&v.to_le_bytes());
        }
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * 2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&data);
        out.truncate(out.len() - cut);
        out
    }

    #[test]
    fn a_whole_wav_decodes_with_its_length_and_level_and_passes_the_rules() {
        let facts = decode_audio(&wav(3.0, 0.5, 0), "wav").unwrap();
        assert_eq!(facts.duration_ms, 3000);
        assert_eq!((facts.sample_rate, facts.channels), (8000, 1));
        // A sine of amplitude 0.5: RMS 0.354 = −9.0 dBFS.
        assert!((facts.rms_dbfs + 9.03).abs() < 0.1, "{}", facts.rms_dbfs);
        assert_eq!(judge_audio(&facts, [2, 5], -45.0), Ok(()));
    }

    #[test]
    fn short_long_and_silent_recordings_are_refused_by_name() {
        let facts = decode_audio(&wav(3.0, 0.5, 0), "wav").unwrap();
        assert_eq!(judge_audio(&facts, [4, 10], -45.0).unwrap_err().code(), "too_short");
        assert_eq!(judge_audio(&facts, [1, 2], -45.0).unwrap_err().code(), "too_long");
        let silent = decode_audio(&wav(3.0, 0.0, 0), "wav").unwrap();
        let e = judge_audio(&silent, [2, 5], -45.0).unwrap_err();
        assert_eq!(e.code(), "silent");
        assert!(e.to_string().starts_with("тишина"), "{e}");
        // Quiet speech is not silence: −40 dBFS passes a −45 threshold.
        let quiet = decode_audio(&wav(3.0, 0.014, 0), "wav").unwrap();
        assert_eq!(judge_audio(&quiet, [2, 5], -45.0), Ok(()), "{}", quiet.rms_dbfs);
    }

    #[test]
    fn a_truncated_or_garbled_file_does_not_decode_and_says_why() {
        let e = decode_audio(&wav(3.0, 0.5, 20_000), "wav").unwrap_err();
        assert_eq!(e.code(), "truncated", "{e}");
        assert!(e.to_string().contains("из 3.0 с"), "{e}");
        let e = decode_audio(b"RIFF\x10\0\0\0WAVEjunkjunkjunk", "wav").unwrap_err();
        assert_eq!(e.code(), "unreadable", "{e}");
        let e = decode_audio(&[0x5a; 4096], "mp3").unwrap_err();
        assert_eq!(e.code(), "unreadable", "{e}");
        assert!(e.to_string().starts_with("не читается"), "{e}");
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut w, bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn an_answer_archive_opens_and_lists_and_a_broken_or_empty_one_is_refused() {
        let good = zip_of(&[("answers.txt", b"1) 42\n2) 17\n"), ("task27.py", &[b'x'; 5000])]);
        let facts = check_archive(&good, 1 << 20).unwrap();
        assert_eq!(facts.entries, ["answers.txt", "task27.py"]);
        assert_eq!(facts.unpacked_bytes, 5012);
        assert_eq!(check_archive(&zip_of(&[]), 1 << 20).unwrap_err(), Defect::EmptyArchive);
        assert_eq!(check_archive(&good[..good.len() / 2], 1 << 20).unwrap_err().code(), "unreadable");
        assert_eq!(check_archive(b"PK not really", 1 << 20).unwrap_err().code(), "unreadable");
        // Bigger unpacked than allowed: refused before it is all read.
        let e = check_archive(&good, 1000).unwrap_err();
        assert!(e.to_string().contains("больше чем в 1000 байт"), "{e}");
        // A flipped byte inside the stored data fails the entry's CRC.
        let stored = {
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            w.start_file("a.txt", zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)).unwrap();
            std::io::Write::write_all(&mut w, b"hello answers").unwrap();
            w.finish().unwrap().into_inner()
        };
        let at = stored.windows(5).position(|w| w == b"hello").unwrap();
        let mut flipped = stored.clone();
        flipped[at] ^= 0x20;
        assert_eq!(check_archive(&flipped, 1 << 20).unwrap_err().code(), "unreadable");
    }
}
