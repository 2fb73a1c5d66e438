//! Spooling to CUPS over IPP: submit PDF bytes (never a file, so decrypted material can go
//! from memory to the printer), read back job state and impressions, cancel a stuck job, and
//! purge an exam's jobs from cupsd's memory and spool after the exam (`edge wipe`).
//! CUPS "completed" only means the job left the queue; the human confirmation is elsewhere.

use std::time::{Duration, Instant};

use ipp::operation::IppOperation;
use ipp::prelude::*;

use super::{JobState, PrintingError};

/// Where jobs go: a CUPS server (`http://127.0.0.1:631`) and a queue name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CupsTarget {
    pub server: String,
    pub printer: String,
}

pub const DEFAULT_CUPS_SERVER: &str = "http://127.0.0.1:631";

/// What CUPS says about a job right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub state: JobState,
    pub impressions: u32,
    /// `job-state-reasons` and, when the queue is stopped, `printer-state-message`.
    pub reasons: String,
}

impl CupsTarget {
    pub fn new(server: &str, printer: &str) -> Self {
        let server = if server.trim().is_empty() { DEFAULT_CUPS_SERVER } else { server.trim() };
        let server = server.trim_end_matches('/').replacen("ipp://", "http://", 1);
        Self { server, printer: printer.to_string() }
    }

    fn printer_uri(&self) -> Result<Uri, PrintingError> {
        format!("{}/printers/{}", self.server, self.printer).parse().map_err(|e| self.error(format!("bad printer URI: {e}")))
    }

    fn error(&self, reason: String) -> PrintingError {
        PrintingError::Cups { uri: format!("{}/printers/{}", self.server, self.printer), reason }
    }

    async fn send(&self, op: impl Into<IppRequestResponse>) -> Result<IppRequestResponse, PrintingError> {
        // The ipp client is reqwest underneath, which needs the process's one crypto provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = AsyncIppClient::builder(self.printer_uri()?).request_timeout(Duration::from_secs(30)).build();
        let resp = client.send(op).await.map_err(|e| {
            let transport = match &e {
                ipp::error::IppError::AsyncClientError(r) => r.is_connect() || r.is_timeout(),
                ipp::error::IppError::IoError(_) => true,
                _ => false,
            };
            self.error(if transport { format!("{UNREACHABLE}{e}") } else { e.to_string() })
        })?;
        let status = resp.header().status_code();
        if !status.is_success() {
            let message = attr_text(resp.attributes(), DelimiterTag::OperationAttributes, "status-message").unwrap_or_default();
            return Err(self.error(format!("{status:?} {message}")));
        }
        Ok(resp)
    }

    /// Submits a PDF from memory; returns the CUPS job id.
    pub async fn submit(&self, title: &str, pdf: Vec<u8>) -> Result<i64, PrintingError> {
        let payload = IppPayload::new(std::io::Cursor::new(pdf));
        let op = IppOperationBuilder::print_job(self.printer_uri()?, payload)
            .job_title(title)
            .user_name("ppe")
            .document_format("application/pdf")
            .build()
            .map_err(|e| self.error(e.to_string()))?;
        let resp = self.send(op).await?;
        attr_int(resp.attributes(), DelimiterTag::JobAttributes, "job-id").map(i64::from).ok_or_else(|| self.error("no job-id in the answer".into()))
    }

    /// Any document CUPS can print (`format` as a MIME type), `copies` times (the IPP `copies`
    /// job attribute: one job, the printer makes the copies). For exam materials: one copy
    /// per participant.
    /// The document is read from memory by the IPP client and dropped once sent (a
    /// `Plaintext` is wiped then).
    pub async fn submit_copies(&self, title: &str, document: impl AsRef<[u8]> + Send + 'static, format: &str, copies: u32) -> Result<i64, PrintingError> {
        let payload = IppPayload::new(std::io::Cursor::new(document));
        let op = IppOperationBuilder::print_job(self.printer_uri()?, payload)
            .job_title(title)
            .user_name("ppe")
            .document_format(format)
            .attribute(IppAttribute::new(ipp::value::IppName::new_truncated("copies"), IppValue::Integer(i32::try_from(copies.max(1)).unwrap_or(i32::MAX))))
            .build()
            .map_err(|e| self.error(e.to_string()))?;
        let resp = self.send(op).await?;
        attr_int(resp.attributes(), DelimiterTag::JobAttributes, "job-id").map(i64::from).ok_or_else(|| self.error("no job-id in the answer".into()))
    }

    /// Job state, impressions and why; a job waiting on a stopped queue counts as `Stopped`.
    pub async fn status(&self, job_id: i64) -> Result<JobStatus, PrintingError> {
        let id = i32::try_from(job_id).map_err(|_| self.error(format!("job id {job_id} out of range")))?;
        let op = IppOperationBuilder::get_job_attributes(self.printer_uri()?, id).build().map_err(|e| self.error(e.to_string()))?;
        let resp = self.send(op).await?;
        let attrs = resp.attributes();
        let raw_state = attr_int(attrs, DelimiterTag::JobAttributes, "job-state").unwrap_or(3);
        let impressions = attr_int(attrs, DelimiterTag::JobAttributes, "job-impressions-completed").unwrap_or(0).max(0) as u32;
        let mut reasons = attr_text(attrs, DelimiterTag::JobAttributes, "job-state-reasons").unwrap_or_default();
        let mut state = JobState::from_ipp(raw_state);
        if matches!(state, JobState::Pending | JobState::Processing) {
            let (printer_state, message) = self.printer_state().await?;
            if printer_state == 5 {
                state = JobState::Stopped;
                reasons = format!("{reasons}; printer stopped: {message}");
            }
        }
        Ok(JobStatus { state, impressions, reasons })
    }

    /// `printer-state` (3 idle, 4 processing, 5 stopped) and its message.
    pub async fn printer_state(&self) -> Result<(i32, String), PrintingError> {
        let op = IppOperationBuilder::get_printer_attributes(self.printer_uri()?)
            .attributes(["printer-state", "printer-state-message"])
            .build()
            .map_err(|e| self.error(e.to_string()))?;
        let resp = self.send(op).await?;
        let state = attr_int(resp.attributes(), DelimiterTag::PrinterAttributes, "printer-state").unwrap_or(3);
        let message = attr_text(resp.attributes(), DelimiterTag::PrinterAttributes, "printer-state-message").unwrap_or_default();
        Ok((state, message))
    }

    /// Cancels a job (a stuck job must not come out later beside its reprint).
    pub async fn cancel(&self, job_id: i64) -> Result<(), PrintingError> {
        let id = i32::try_from(job_id).map_err(|_| self.error(format!("job id {job_id} out of range")))?;
        let op = IppOperationBuilder::cancel_job(self.printer_uri()?, id).user_name("ppe").build().map_err(|e| self.error(e.to_string()))?;
        match self.send(op).await {
            Ok(_) => Ok(()),
            // Already finished or canceled: nothing left to stop.
            Err(PrintingError::Cups { reason, .. }) if reason.contains("NotPossible") || reason.contains("NotFound") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Removes a job of `exam_id` from cupsd altogether: cancels it if it is still active, then
    /// Cancel-Job with CUPS's `purge-job` (what `cancel -x` sends), which deletes its control
    /// and document files from the spool and its entry from the job history. A job whose name
    /// does not start with the exam (an id reused after cupsd lost its state) is left alone.
    pub async fn purge(&self, job_id: i64, exam_id: &str) -> Result<PurgeOutcome, PrintingError> {
        let id = i32::try_from(job_id).map_err(|_| self.error(format!("job id {job_id} out of range")))?;
        // As the owner: cupsd shows `job-name` (a private value) only to the job's user.
        let op = IppOperationBuilder::get_job_attributes(self.printer_uri()?, id).user_name("ppe").build().map_err(|e| self.error(e.to_string()))?;
        let attrs = match self.send(op).await {
            Ok(resp) => resp,
            Err(e) if is_gone(&e) => return Ok(PurgeOutcome::Gone),
            Err(e) => return Err(e),
        };
        let name = attr_text(attrs.attributes(), DelimiterTag::JobAttributes, "job-name").unwrap_or_default();
        if !job_name_is_of_exam(&name, exam_id) {
            return Ok(PurgeOutcome::NotOurs);
        }
        let state = JobState::from_ipp(attr_int(attrs.attributes(), DelimiterTag::JobAttributes, "job-state").unwrap_or(9));
        if !state.is_final() {
            self.cancel(job_id).await?;
        }
        let mut request = IppOperationBuilder::cancel_job(self.printer_uri()?, id).user_name("ppe").build().map_err(|e| self.error(e.to_string()))?.into_ipp_request();
        request.attributes_mut().add(DelimiterTag::OperationAttributes, IppAttribute::new(ipp::value::IppName::new_truncated("purge-job"), IppValue::Boolean(true)));
        match self.send(request).await {
            Ok(_) => Ok(PurgeOutcome::Purged),
            Err(e) if is_gone(&e) => Ok(PurgeOutcome::Gone),
            Err(e) => Err(e),
        }
    }

    /// Polls until the job reaches a final or failed state, or `timeout` passes.
    pub async fn wait_settled(&self, job_id: i64, timeout: Duration) -> Result<JobStatus, PrintingError> {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.status(job_id).await?;
            if status.state.is_final() || status.state.is_failed() || Instant::now() >= deadline {
                return Ok(status);
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}

/// What [`CupsTarget::purge`] did with one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurgeOutcome {
    /// Canceled if active, then purged: no file and no history entry left in cupsd.
    Purged,
    /// cupsd no longer knows the job (already purged, or its history expired).
    Gone,
    /// The id now belongs to a job of something else: left alone.
    NotOurs,
}

/// The box names every job "<exam> …" (`printing::ops`), so a job belongs to an exam when its
/// name starts with the exam id and a space.
pub fn job_name_is_of_exam(job_name: &str, exam_id: &str) -> bool {
    !exam_id.is_empty() && job_name.strip_prefix(exam_id).is_some_and(|rest| rest.starts_with(' '))
}

/// cupsd answered that the job does not exist (any more).
fn is_gone(e: &PrintingError) -> bool {
    matches!(e, PrintingError::Cups { reason, .. } if reason.contains("NotFound"))
}

const UNREACHABLE: &str = "cupsd unreachable: ";

/// The error is the transport (cupsd not listening, a timeout), not an answer of cupsd.
pub fn is_unreachable(e: &PrintingError) -> bool {
    matches!(e, PrintingError::Cups { reason, .. } if reason.starts_with(UNREACHABLE))
}

fn attr_value<'a>(attrs: &'a IppAttributes, tag: DelimiterTag, name: &str) -> Option<&'a IppValue> {
    attrs.groups_of(tag).find_map(|g| g.get(name)).map(|a| a.value())
}

fn attr_int(attrs: &IppAttributes, tag: DelimiterTag, name: &str) -> Option<i32> {
    match attr_value(attrs, tag, name)? {
        IppValue::Integer(v) | IppValue::Enum(v) => Some(*v),
        _ => None,
    }
}

fn attr_text(attrs: &IppAttributes, tag: DelimiterTag, name: &str) -> Option<String> {
    attr_value(attrs, tag, name).map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_defaults_and_ipp_scheme() {
        assert_eq!(CupsTarget::new("", "PDF").server, DEFAULT_CUPS_SERVER);
        assert_eq!(CupsTarget::new("ipp://host:631/", "PDF").server, "http://host:631");
        assert_eq!(JobState::from_ipp(9), JobState::Completed);
        assert!(JobState::from_ipp(8).is_failed());
    }

    #[test]
    fn a_job_belongs_to_an_exam_only_by_its_name_prefix() {
        assert!(job_name_is_of_exam("ege-02 1-kim.pdf ауд. 101 ×12", "ege-02"));
        assert!(job_name_is_of_exam("ege-02 Индивидуальные комплекты", "ege-02"));
        assert!(!job_name_is_of_exam("ege-021 kim.pdf", "ege-02"), "another exam with a longer id");
        assert!(!job_name_is_of_exam("Индивидуальные комплекты", "ege-02"));
        assert!(!job_name_is_of_exam("ege-02", "ege-02"));
        assert!(!job_name_is_of_exam("anything", ""));
    }
}
