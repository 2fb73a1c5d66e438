//! `/admin/operators`: the operator accounts and the form for a new one (admins only).

use super::Frame;
use crate::monitoring::accounts::{OperatorRole, Session};

#[derive(askama::Template)]
#[template(path = "hub/operators.html")]
pub struct OperatorsView {
    pub frame: Frame,
    pub operators: Vec<OperatorLine>,
    pub csrf: String,
}

pub struct OperatorLine {
    pub login: String,
    pub role: &'static str,
    /// Failed logins since the last right one (nobody is locked out: the web kit throttles
    /// per address).
    pub failed_attempts: u32,
}

impl OperatorsView {
    /// `list`: (login, role code, failed attempts) as the store lists them.
    pub fn new(who: &Session, list: &[(String, String, u32)]) -> Self {
        let operators = list
            .iter()
            .map(|(login, role, failed)| OperatorLine { login: login.clone(), role: OperatorRole::parse(role).map(|r| r.title_ru()).unwrap_or("?"), failed_attempts: *failed })
            .collect();
        OperatorsView { frame: Frame::new("Операторы — РЦОИ", Some(who)), operators, csrf: who.csrf_token.clone() }
    }
}

#[cfg(test)]
mod tests {
    use crate::monitoring::accounts::OperatorRole;

    #[test]
    fn operators_list_and_form() {
        let list = vec![
            ("admin1".to_string(), "admin".to_string(), 0),
            ("viewer1".to_string(), "viewer".to_string(), 7),
            ("odd".to_string(), "edited-by-hand".to_string(), 0),
        ];
        let view = super::OperatorsView::new(&crate::monitoring::views::fixtures::session(OperatorRole::Admin), &list);
        insta::assert_snapshot!("operators", askama::Template::render(&view).unwrap());
    }
}
