//! Just enough of `multipart/form-data` (RFC 7578) to take one uploaded file from
//! a spooled body: where the part named `file` (or else the first part with a
//! filename) lies in it, its bytes exactly as sent. The body is scanned in pieces,
//! never loaded whole.

use std::io::{self, Read, Seek, SeekFrom};

/// At most this many parts are looked at.
const MAX_PARTS: usize = 64;
/// A part's header block is at most this long.
const MAX_HEAD: usize = 8 * 1024;
const SCAN: usize = 64 * 1024;

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

/// Start offsets of the (non-overlapping) occurrences of `needle`, at most `max`.
fn occurrences<R: Read>(r: &mut R, needle: &[u8], max: usize) -> io::Result<Vec<u64>> {
    let mut found = Vec::new();
    let mut window: Vec<u8> = Vec::with_capacity(SCAN + needle.len());
    // Absolute offset of window[0], and the first offset a new match may start at.
    let (mut base, mut next_allowed) = (0u64, 0u64);
    let mut chunk = vec![0u8; SCAN];
    loop {
        let n = r.read(&mut chunk)?;
        if n == 0 {
            return Ok(found);
        }
        window.extend_from_slice(&chunk[..n]);
        let mut i = 0;
        while i + needle.len() <= window.len() {
            // Jump to the next occurrence of the needle's first byte.
            match window[i..].iter().position(|b| *b == needle[0]) {
                None => break,
                Some(p) => i += p,
            }
            if i + needle.len() > window.len() {
                break;
            }
            let at = base + i as u64;
            if at >= next_allowed && &window[i..i + needle.len()] == needle {
                found.push(at);
                if found.len() >= max {
                    return Ok(found);
                }
                next_allowed = at + needle.len() as u64;
                i += needle.len();
            } else {
                i += 1;
            }
        }
        // Keep the tail that may begin a match spanning into the next read.
        let keep = window.len().min(needle.len().saturating_sub(1));
        let drop = window.len() - keep;
        window.drain(..drop);
        base += drop as u64;
    }
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, len: usize) -> io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(at))?;
    let mut buf = Vec::with_capacity(len);
    r.by_ref().take(len as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The byte range `(start, end)` of the `file` part's content (or of the first
/// part with a filename) in a spooled multipart body; `None` when there is none
/// or the body is not multipart with this boundary.
pub fn locate_file_part<R: Read + Seek>(
    r: &mut R,
    boundary: &str,
) -> io::Result<Option<(u64, u64)>> {
    let delim = format!("\r\n--{boundary}");
    // (start of the delimiter, first byte after it)
    let mut delims: Vec<(u64, u64)> = Vec::new();
    let first = &delim.as_bytes()[2..];
    if read_at(r, 0, first.len())? == first {
        delims.push((0, first.len() as u64));
    }
    r.seek(SeekFrom::Start(0))?;
    for at in occurrences(r, delim.as_bytes(), MAX_PARTS + 1)? {
        delims.push((at, at + delim.len() as u64));
    }
    let mut fallback = None;
    for pair in delims.windows(2) {
        let (after, next_start) = (pair[0].1, pair[1].0);
        let head = read_at(r, after, MAX_HEAD)?;
        if head.starts_with(b"--") {
            break; // the close delimiter
        }
        // The delimiter line ends with CRLF; the header block with an empty line.
        let Some(end) = find(&head, b"\r\n\r\n") else {
            return Ok(None);
        };
        let start = after + end as u64 + 4;
        if start > next_start {
            return Ok(None);
        }
        let headers = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
        if headers.contains("name=\"file\"") {
            return Ok(Some((start, next_start)));
        }
        if fallback.is_none() && headers.contains("filename=") {
            fallback = Some((start, next_start));
        }
    }
    Ok(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn part(body: &[u8], boundary: &str) -> Option<Vec<u8>> {
        let mut c = Cursor::new(body.to_vec());
        let (s, e) = locate_file_part(&mut c, boundary).unwrap()?;
        Some(body[s as usize..e as usize].to_vec())
    }

    #[test]
    fn extracts_the_file() {
        let ct = "multipart/form-data; boundary=XyZ";
        let b = boundary(ct).unwrap();
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nnip,nama\r\n1,a\r\n\r\n--XyZ--\r\n";
        assert_eq!(part(body, &b).unwrap(), b"nip,nama\r\n1,a\r\n");
        assert_eq!(boundary("text/csv"), None);
        assert_eq!(part(b"garbage", "XyZ"), None);
        // a preamble, and a part with a filename but another name
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.csv\"\r\n\r\nx,y\r\n--XyZ--";
        assert_eq!(part(body, "XyZ").unwrap(), b"x,y");
        // the `file` part wins over an earlier part with a filename
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"a\"\r\n\r\nA\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nB\r\n--XyZ--";
        assert_eq!(part(body, "XyZ").unwrap(), b"B");
        // no closing delimiter after the part: nothing
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nB";
        assert_eq!(part(body, "XyZ"), None);
    }

    #[test]
    fn delimiters_across_reads() {
        // content larger than one scan window, delimiter straddling the boundary
        let mut body = b"--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n".to_vec();
        let head = body.len();
        let content = vec![b'a'; SCAN - head - 3];
        body.extend_from_slice(&content);
        body.extend_from_slice(b"\r\n--B--\r\n");
        assert_eq!(part(&body, "B").unwrap(), content);
        let found = occurrences(&mut Cursor::new(&body), b"\r\n--B", 10).unwrap();
        assert_eq!(found, vec![(head + content.len()) as u64]);
    }
}
