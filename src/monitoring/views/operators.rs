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
    pub locked_until: String,
}

impl OperatorsView {
    /// `list`: (login, role code, locked until) as the store lists them.
    pub fn new(who: &Session, list: &[(String, String, Option<String>)]) -> Self {
        let operators = list
            .iter()
            .map(|(login, role, locked)| OperatorLine { login: login.clone(), role: OperatorRole::parse(role).map(|r| r.title_ru()).unwrap_or("?"), locked_until: locked.clone().unwrap_or_default() })
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
            ("admin1".to_string(), "admin".to_string(), None),
            ("viewer1".to_string(), "viewer".to_string(), Some("2027-05-27T07:15:00Z".to_string())),
            ("odd".to_string(), "edited-by-hand".to_string(), None),
        ];
        let view = super::OperatorsView::new(&crate::monitoring::views::fixtures::session(OperatorRole::Admin), &list);
        insta::assert_snapshot!("operators", askama::Template::render(&view).unwrap());
    }
}
