//! Reading an HTTP answer with a size limit: streamed chunk by chunk and abandoned as
//! soon as it passes the limit, so a platform or chat service that sends 50 MB costs at
//! most the limit in memory, and the user reads "answer larger than 8 MiB".

/// Why an answer could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// More than this many bytes (announced or received).
    TooLarge(usize),
    Transport(reqwest::Error),
}

impl BodyError {
    /// `answer larger than 8 MiB` (the transport case is for the caller to word).
    pub fn too_large(limit: usize) -> String {
        format!("answer larger than {}", size(limit))
    }
}

/// `8 MiB`, `512 KiB`, `300 bytes`.
pub fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The body, at most `limit` bytes of it.
pub async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The same as text (invalid UTF-8 replaced).
pub async fn read_capped_text(resp: reqwest::Response, limit: usize) -> Result<String, BodyError> {
    let body = read_capped(resp, limit).await?;
    Ok(match String::from_utf8(body) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}
