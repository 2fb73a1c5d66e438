//! Where a browser may be sent: `safe_next` follows only local absolute paths (a login's
//! `next` can never lead to another site), `url_encode` is the one percent-encoder of query
//! values, `redirect` the one 303.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `next` if it is a path of this site, else `/`. Refused: anything not starting with one `/`
/// (`//host`, `https://…`), a backslash anywhere (browsers read `/\host` as `//host`), control
/// characters (browsers drop tabs and newlines, so `/\t/host` is `//host`), and the same
/// tricks percent-encoded (`/%09/host`, `/%5Chost`, `/%2F/host`).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/".into(),
    }
}

fn is_local_path(n: &str) -> bool {
    let plain_ok = |s: &str| s.starts_with('/') && !s.starts_with("//") && !s.chars().any(|c| c == '\\' || c.is_control());
    if n.len() > 2048 || !plain_ok(n) {
        return false;
    }
    // Every decoding of it must pass as well (double encoding included).
    let mut s = n.to_string();
    for _ in 0..3 {
        let decoded = percent_decode(&s);
        if !plain_ok(&decoded) {
            return false;
        }
        if decoded == s {
            break;
        }
        s = decoded;
    }
    true
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = ((b[i + 1] as char).to_digit(16), (b[i + 2] as char).to_digit(16)) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value: everything but the unreserved characters of RFC 3986.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0').to_ascii_uppercase());
            out.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0').to_ascii_uppercase());
        }
    }
    out
}

/// 303 to `to` (a path of this site).
pub fn redirect(to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_redirects_stay_on_this_site() {
        for good in ["/", "/attendance?exam=ege-02", "/ppe/ege-02/0101", "/print?exam=ege%2002"] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "/x\\y",
            "evil",
            "",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%5Cevil.example",
            "/%2F/evil.example",
            "/%252F/evil.example",
            "/%2509/evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn url_encode_leaves_only_unreserved_characters() {
        assert_eq!(url_encode("/?exam=ege 02"), "%2F%3Fexam%3Dege%2002");
        assert_eq!(url_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(url_encode("я"), "%D1%8F");
        assert_eq!(percent_decode(&url_encode("/x?y=я &")), "/x?y=я &", "decodes back");
    }
}
