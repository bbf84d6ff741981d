//! Reading one HTTP/1.1 request off a connection, for `http.rs`: the head as it arrived, a
//! `Content-Length` or chunked body, `Expect: 100-continue`, and the limits that refuse a
//! request instead of buffering without end.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A request head longer than this is refused with 431.
pub const HEAD_LIMIT: usize = 64 * 1024;
/// A request body longer than this is refused with 413.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// One request as it arrived.
pub struct Request {
    pub method: String,
    pub target: String,
    /// The head exactly as received, then the body (de-chunked if it came chunked).
    pub raw: Vec<u8>,
}

/// Why no request could be read: the peer went away, or it sent something to refuse.
pub enum Refusal {
    Closed,
    Status(u16),
}

/// Reads one request; `Err(Refusal::Status(code))` is what to answer instead.
pub async fn read_request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
) -> Result<Request, Refusal> {
    let mut buf = Vec::with_capacity(1024);
    let head_end = loop {
        match find(&buf, b"\r\n\r\n") {
            Some(i) if i + 4 <= HEAD_LIMIT => break i + 4,
            Some(_) => return Err(Refusal::Status(431)),
            None => {}
        }
        if buf.len() > HEAD_LIMIT {
            return Err(Refusal::Status(431));
        }
        read_more(stream, &mut buf).await?;
    };
    let mut body = buf.split_off(head_end);
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let mut words = lines.next().unwrap_or("").split_whitespace();
    let (Some(method), Some(target), Some(_version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(Refusal::Status(400));
    };
    let (mut length, mut chunked, mut expects_continue) = (None, false, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| Refusal::Status(400))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("expect") {
            expects_continue = value.eq_ignore_ascii_case("100-continue");
        }
    }
    if length.is_some_and(|n| n > BODY_LIMIT) {
        return Err(Refusal::Status(413));
    }
    if expects_continue && (chunked || length.is_some_and(|n| n > body.len())) {
        stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| Refusal::Closed)?;
    }
    if chunked {
        body = read_chunked(stream, body).await?;
    } else {
        let length = length.unwrap_or(0);
        while body.len() < length {
            read_more(stream, &mut body).await?;
        }
        body.truncate(length);
    }
    buf.extend_from_slice(&body);
    Ok(Request {
        method: method.to_string(),
        target: target.to_string(),
        raw: buf,
    })
}

/// Decodes a chunked body; `pending` holds what was already read past the head.
async fn read_chunked<S: AsyncRead + Unpin>(
    stream: &mut S,
    mut pending: Vec<u8>,
) -> Result<Vec<u8>, Refusal> {
    let mut body = Vec::new();
    loop {
        let line = take_line(stream, &mut pending).await?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| Refusal::Status(400))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !take_line(stream, &mut pending).await?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > BODY_LIMIT {
            return Err(Refusal::Status(413));
        }
        while pending.len() < size + 2 {
            read_more(stream, &mut pending).await?;
        }
        body.extend_from_slice(&pending[..size]);
        pending.drain(..size + 2);
    }
}

async fn take_line<S: AsyncRead + Unpin>(
    stream: &mut S,
    pending: &mut Vec<u8>,
) -> Result<String, Refusal> {
    loop {
        if let Some(i) = find(pending, b"\r\n") {
            let line = String::from_utf8_lossy(&pending[..i]).into_owned();
            pending.drain(..i + 2);
            return Ok(line);
        }
        if pending.len() > HEAD_LIMIT {
            return Err(Refusal::Status(431));
        }
        read_more(stream, pending).await?;
    }
}

async fn read_more<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut Vec<u8>) -> Result<(), Refusal> {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => Err(Refusal::Closed),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
