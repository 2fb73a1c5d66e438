//! Cookies of both UIs: always `Path=/; HttpOnly; SameSite=Strict`, `Secure` when the UI is
//! served over HTTPS (the browser then never sends them over plain HTTP). A `__Host-` or
//! `__Secure-` name always gets `Secure`: a browser drops such a cookie without it.

use axum::http::{header, HeaderMap, HeaderValue};

/// The value of cookie `name` among every `Cookie` header of a request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// `Set-Cookie` text; `max_age_secs` 0 removes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = secure || name.starts_with("__Host-") || name.starts_with("__Secure-");
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}", if secure { "; Secure" } else { "" })
}

/// Appends a `Set-Cookie` header (names and values of this kit are always valid header text).
pub fn append_set_cookie(headers: &mut HeaderMap, name: &str, value: &str, max_age_secs: i64, secure: bool) {
    if let Ok(v) = HeaderValue::from_str(&set_cookie(name, value, max_age_secs, secure)) {
        headers.append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others_and_only_by_its_whole_name() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; ppe_box_session=abc; b=2"));
        h.append(header::COOKIE, HeaderValue::from_static("ppe_hub_session=def"));
        assert_eq!(cookie(&h, "ppe_box_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "ppe_hub_session").as_deref(), Some("def"));
        assert_eq!(cookie(&h, "ppe_box"), None);
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn set_cookie_is_http_only_strict_and_secure_over_https() {
        assert_eq!(set_cookie("x", "y", 5, false), "x=y; Path=/; HttpOnly; SameSite=Strict; Max-Age=5");
        assert!(set_cookie("x", "y", 5, true).ends_with("; Secure"));
        assert_eq!(set_cookie("__Host-x", "y", 0, false), "__Host-x=y; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure", "a prefixed name is always Secure");
    }
}
