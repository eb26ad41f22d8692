//! Line framing for every mail party, bounded: the sandbox servers push octets into a
//! [`LineBuffer`] from their sans-I/O sessions, the clients call [`read_line`] on an async
//! buffered reader, which drives the same buffer.
//!
//! A line ends at LF and a CR before it is dropped, so a bare LF ends a line too (every party has
//! always accepted one). `max` is the longest line counted with its CRLF, as the RFCs count it
//! (RFC 5321 4.5.3.1.4, RFC 1939 3): the content may use `max - 2` octets whatever ending the
//! line has, and no more than `max - 1` octets of a line are ever held.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// What [`LineBuffer::push`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineEvent {
    /// A complete line, without its line ending.
    Line(Vec<u8>),
    /// A line over the limit ended; its octets were discarded.
    TooLong,
}

/// Collects one line at a time from arbitrary chunks of input.
#[derive(Debug)]
pub struct LineBuffer {
    max: usize,
    line: Vec<u8>,
    overflowed: bool,
}

impl LineBuffer {
    /// A buffer for lines of at most `max` octets, CRLF included.
    pub fn new(max: usize) -> LineBuffer {
        LineBuffer {
            max: max.max(2),
            line: Vec::new(),
            overflowed: false,
        }
    }

    /// Takes octets from `input` up to and including the first LF. Returns how many were taken
    /// and, if a line ended, the line. Octets after that LF are left for the next call.
    pub fn push(&mut self, input: &[u8]) -> (usize, Option<LineEvent>) {
        let (taken, complete) = match input.iter().position(|&b| b == b'\n') {
            Some(lf) => (&input[..lf], true),
            None => (input, false),
        };
        // The content plus the CR of its CRLF.
        if !self.overflowed && self.line.len() + taken.len() < self.max {
            self.line.extend_from_slice(taken);
        } else {
            self.overflowed = true;
            self.line = Vec::new();
        }
        if !complete {
            return (taken.len(), None);
        }
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        let event = if std::mem::take(&mut self.overflowed) || self.line.len() > self.max - 2 {
            self.line.clear();
            LineEvent::TooLong
        } else {
            LineEvent::Line(std::mem::take(&mut self.line))
        };
        (taken.len() + 1, Some(event))
    }

    /// Pushes all of `input`; every line it completes is appended to `out`, in order.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<LineEvent>) {
        while !input.is_empty() {
            let (used, event) = self.push(input);
            input = &input[used..];
            out.extend(event);
        }
    }

    /// True while the current line is already over the limit and being discarded.
    pub fn overflowing(&self) -> bool {
        self.overflowed
    }

    /// Forgets a partial line (after STARTTLS nothing sent in plaintext may be used).
    pub fn clear(&mut self) {
        self.line.clear();
        self.overflowed = false;
    }
}

/// Why [`read_line`] returned no line.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The line is longer than the limit; it was not read to its end.
    #[error("line longer than {max} octets")]
    TooLong {
        /// The limit, CRLF included.
        max: usize,
    },
    /// The input ended before the line did.
    #[error("connection closed")]
    Eof,
    /// Reading failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads one line of at most `max` octets (CRLF included) and returns it without its ending.
/// An overlong line is refused as soon as it is known to be one, not at its end, so a peer
/// cannot hold the reader with an endless line.
pub async fn read_line<R>(reader: &mut R, max: usize) -> Result<Vec<u8>, LineError>
where
    R: AsyncBufRead + Unpin,
{
    let mut buffer = LineBuffer::new(max);
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Err(LineError::Eof);
        }
        let (used, event) = buffer.push(available);
        reader.consume(used);
        match event {
            Some(LineEvent::Line(line)) => return Ok(line),
            Some(LineEvent::TooLong) => return Err(LineError::TooLong { max }),
            None if buffer.overflowing() => return Err(LineError::TooLong { max }),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncWriteExt, BufReader};

    use super::*;

    #[test]
    fn lines_are_framed_across_chunks_and_bounded() {
        let mut buffer = LineBuffer::new(512);
        assert_eq!(buffer.push(b"NO"), (2, None));
        assert_eq!(
            buffer.push(b"OP\r\nQUIT\r\n"),
            (4, Some(LineEvent::Line(b"NOOP".to_vec())))
        );
        assert_eq!(
            buffer.push(b"QUIT\n"),
            (5, Some(LineEvent::Line(b"QUIT".to_vec())))
        );

        // 510 octets of content plus CRLF is the longest allowed line, whatever its ending.
        let longest = [&[b'x'; 510][..], b"\r\n"].concat();
        let (_, event) = buffer.push(&longest);
        assert!(matches!(event, Some(LineEvent::Line(l)) if l.len() == 510));
        let (_, event) = buffer.push(&[&[b'x'; 510][..], b"\n"].concat());
        assert!(matches!(event, Some(LineEvent::Line(l)) if l.len() == 510));
        let one_over = [&[b'x'; 511][..], b"\r\n"].concat();
        assert_eq!(buffer.push(&one_over).1, Some(LineEvent::TooLong));
        let bare_one_over = [&[b'x'; 511][..], b"\n"].concat();
        assert_eq!(buffer.push(&bare_one_over).1, Some(LineEvent::TooLong));

        // A huge line in many chunks never grows the buffer past one line.
        for _ in 0..100 {
            assert_eq!(buffer.push(&[b'y'; 100]), (100, None));
            assert!(buffer.line.len() < 512);
        }
        assert!(buffer.overflowing());
        assert_eq!(buffer.push(b"\r\nNOOP\r\n"), (2, Some(LineEvent::TooLong)));
        assert_eq!(
            buffer.push(b"NOOP\r\n").1,
            Some(LineEvent::Line(b"NOOP".to_vec()))
        );
    }

    #[test]
    fn any_chunking_gives_the_same_lines() {
        let mut script = b"USER a\r\nPASS b\nNOOP\r\n".to_vec();
        script.extend(vec![b'x'; 10_000]);
        script.extend_from_slice(b"\r\nSTAT\r\n");
        script.extend([&[b'y'; 30][..], b"\r\n"].concat());
        script.extend([&[b'z'; 31][..], b"\r\n"].concat());
        script.extend_from_slice(b"QUIT\r\nPART");
        let expected = vec![
            LineEvent::Line(b"USER a".to_vec()),
            LineEvent::Line(b"PASS b".to_vec()),
            LineEvent::Line(b"NOOP".to_vec()),
            LineEvent::TooLong,
            LineEvent::Line(b"STAT".to_vec()),
            LineEvent::Line(vec![b'y'; 30]),
            LineEvent::TooLong,
            LineEvent::Line(b"QUIT".to_vec()),
        ];
        for size in 1..=64 {
            let mut buffer = LineBuffer::new(32);
            let mut out = Vec::new();
            for chunk in script.chunks(size) {
                buffer.feed(chunk, &mut out);
                assert!(buffer.line.len() < 32);
            }
            assert_eq!(out, expected, "chunk size {size}");
            assert_eq!(buffer.line, b"PART");
            buffer.clear();
            assert!(buffer.line.is_empty());
        }
    }

    #[tokio::test]
    async fn a_line_exactly_at_the_limit_is_read_and_one_over_is_refused() {
        let input = [&[b'a'; 8][..], b"\r\n", &[b'b'; 9], b"\r\nnext\r\n"].concat();
        let mut reader = &input[..];
        assert_eq!(read_line(&mut reader, 10).await.unwrap(), vec![b'a'; 8]);
        assert!(matches!(
            read_line(&mut reader, 10).await,
            Err(LineError::TooLong { max: 10 })
        ));
    }

    #[tokio::test]
    async fn lines_split_across_reads_are_joined_and_bare_lf_ends_a_line() {
        let (client, server) = tokio::io::duplex(64);
        let mut reader = BufReader::new(server);
        let writer = tokio::spawn(async move {
            let mut client = client;
            for piece in [&b"+OK o"[..], b"ne\r", b"\nbare lf\n", b"par"] {
                client.write_all(piece).await.unwrap();
                client.flush().await.unwrap();
                tokio::task::yield_now().await;
            }
        });
        assert_eq!(read_line(&mut reader, 100).await.unwrap(), b"+OK one");
        assert_eq!(read_line(&mut reader, 100).await.unwrap(), b"bare lf");
        writer.await.unwrap();
        // The writer is gone mid-line: the partial line is not a line.
        assert!(matches!(
            read_line(&mut reader, 100).await,
            Err(LineError::Eof)
        ));
    }

    #[tokio::test]
    async fn an_endless_line_is_refused_without_buffering_it() {
        let endless = vec![b'x'; 10_000];
        let mut reader = BufReader::with_capacity(64, &endless[..]);
        assert!(matches!(
            read_line(&mut reader, 512).await,
            Err(LineError::TooLong { .. })
        ));
        // Refused once just past the limit, not at the end of the input.
        let unread = reader.get_ref().len() + reader.buffer().len();
        assert!(
            endless.len() - unread <= 512 + 64,
            "read {}",
            endless.len() - unread
        );
    }

    #[tokio::test]
    async fn a_failed_read_is_an_io_error() {
        let mut reader = BufReader::new(Failing);
        assert!(matches!(
            read_line(&mut reader, 100).await,
            Err(LineError::Io(_))
        ));
    }

    /// A reader whose every read fails.
    struct Failing;

    impl tokio::io::AsyncRead for Failing {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Err(std::io::Error::other("reset")))
        }
    }
}
