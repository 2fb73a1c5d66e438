//! Refusals a client can read: when the hub answers before it has read a request's body (a
//! refused identity, a PATCH for another point's upload, an unsupported checksum), closing the
//! connection with the rest of the body unread makes the kernel send a reset, which can destroy
//! the answer before the client reads it, so a stock tus client sees "EOF" and cannot tell a
//! refusal from a network fault. Every request body on the hub's listener is wrapped so that,
//! dropped unfinished, it is read and discarded for a short while (a bounded lingering close):
//! the answer goes out first and the connection closes only after that.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, BodyDataStream, Bytes, HttpBody};
use futures_util::StreamExt;

/// How long an unread body is drained after its request was answered.
pub const LINGER_FOR: Duration = Duration::from_secs(2);
/// How much of an unread body is drained at most.
pub const LINGER_BYTES: u64 = 16 << 20;

/// `body`, drained for a while (see the module) if dropped before its end.
pub fn lingering(body: Body) -> Body {
    if HttpBody::is_end_stream(&body) {
        return body;
    }
    Body::from_stream(Lingering { inner: Some(body.into_data_stream()), finished: false })
}

struct Lingering {
    inner: Option<BodyDataStream>,
    finished: bool,
}

impl futures_util::Stream for Lingering {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else { return Poll::Ready(None) };
        let next = inner.poll_next_unpin(cx);
        if matches!(next, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            this.finished = true;
        }
        next
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let Some(rest) = self.inner.take() else { return };
        if self.finished {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(drain(rest));
        }
    }
}

async fn drain(mut rest: BodyDataStream) {
    let read = async {
        let mut seen = 0u64;
        while let Some(Ok(bytes)) = rest.next().await {
            seen += bytes.len() as u64;
            if seen > LINGER_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_FOR, read).await;
}
