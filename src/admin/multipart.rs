//! Just enough of `multipart/form-data` (RFC 7578) to take one uploaded file:
//! the part named `file` (or the only part), its bytes exactly as sent.

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The content of the `file` part (or the first part with a filename).
pub fn file_part<'a>(body: &'a [u8], boundary: &str) -> Option<&'a [u8]> {
    let delim = format!("--{boundary}");
    let mut pos = find(body, delim.as_bytes(), 0)? + delim.len();
    let mut fallback = None;
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return fallback;
        }
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let headers = String::from_utf8_lossy(&body[pos..head_end]).to_ascii_lowercase();
        let start = head_end + 4;
        let next = find(body, format!("\r\n{delim}").as_bytes(), start)?;
        let content = &body[start..next];
        if headers.contains("name=\"file\"") {
            return Some(content);
        }
        if fallback.is_none() && headers.contains("filename=") {
            fallback = Some(content);
        }
        pos = next + 2 + delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_the_file() {
        let ct = "multipart/form-data; boundary=XyZ";
        let b = boundary(ct).unwrap();
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nnip,nama\r\n1,a\r\n\r\n--XyZ--\r\n";
        assert_eq!(file_part(body, &b).unwrap(), b"nip,nama\r\n1,a\r\n");
        assert_eq!(boundary("text/csv"), None);
        assert_eq!(file_part(b"garbage", "XyZ"), None);
    }
}
