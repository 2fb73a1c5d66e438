//! The dashboard's error page, as the web kit's layer renders it (with the request id).

use super::Frame;
use crate::http::ErrorPage;

#[derive(askama::Template)]
#[template(path = "hub/error.html")]
struct ErrorView<'a> {
    frame: Frame,
    page: &'a ErrorPage,
}

pub fn render(page: &ErrorPage) -> String {
    let view = ErrorView { frame: Frame::new(format!("{} — РЦОИ", page.title), None), page };
    askama::Template::render(&view).unwrap_or_else(|_| page.message.clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_page_shows_the_message_and_the_request_id() {
        let page = crate::http::ErrorPage { status: axum::http::StatusCode::NOT_FOUND, title: "Не найдено", message: "ППЭ 9999 не назначен на экзамен <ege-02>".into(), request_id: "0123456789ab".into() };
        insta::assert_snapshot!("error", super::render(&page));
    }
}
