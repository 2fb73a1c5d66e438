//! `/login`: the operators' login form (its double-submit token is set by the kit).

use super::Frame;

#[derive(askama::Template)]
#[template(path = "hub/login.html")]
pub struct LoginView {
    pub frame: Frame,
    pub error: Option<String>,
    pub csrf: String,
    pub next: String,
}

impl LoginView {
    pub fn new(error: Option<String>, csrf: String, next: String) -> Self {
        LoginView { frame: Frame::new("Вход — РЦОИ", None), error, csrf, next }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn login_form_after_a_refusal() {
        let view = super::LoginView::new(Some("учётная запись заблокирована до 2027-05-27T07:15:00Z после неудачных попыток входа".into()), "ab".repeat(32), "/ppe/ege-02/0101?x=\"<".into());
        insta::assert_snapshot!("login", askama::Template::render(&view).unwrap());
    }
}
