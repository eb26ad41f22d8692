//! The message after DATA: [`DataReader`] ends it on `CRLF.CRLF` only (a bare LF never ends it,
//! so a message cannot smuggle a second one), dot-unstuffs after CRLF (RFC 5321 4.5.2), stores a
//! bare LF as CRLF, and keeps at most `limit` octets while the rest is read and discarded.

/// Longest text line of a message, CRLF included (RFC 5321 4.5.3.1.6).
pub const MAX_TEXT_LINE: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataState {
    /// At the start of a line.
    LineStart,
    /// Inside a line.
    InLine,
    /// A CR inside a line, not yet known to end it; not yet stored.
    Cr,
    /// A `.` at the start of a line; not yet stored.
    Dot,
    /// `.` CR at the start of a line: end-of-data if LF follows.
    DotCr,
}

/// Receives the message text after DATA, incrementally and within a size limit.
#[derive(Debug)]
pub struct DataReader {
    body: Vec<u8>,
    limit: usize,
    /// Octets of message text seen, stored or not.
    seen: u64,
    state: DataState,
    line_len: usize,
    long_line: bool,
}

/// A message received up to its end-of-data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The message, unstuffed, lines ending in CRLF; empty if it was too large.
    pub body: Vec<u8>,
    /// Octets of message text received (after unstuffing), including any that were discarded.
    pub size: u64,
    /// More than the limit arrived; the text was discarded.
    pub too_large: bool,
    /// A line was longer than [`MAX_TEXT_LINE`].
    pub long_line: bool,
}

impl DataReader {
    /// A reader that keeps at most `limit` octets.
    pub fn new(limit: usize) -> Self {
        DataReader {
            // Grows with the message; never beyond `limit`.
            body: Vec::new(),
            limit,
            seen: 0,
            state: DataState::LineStart,
            line_len: 0,
            long_line: false,
        }
    }

    /// Octets of message text seen so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Reads message text from `input`. Returns how many octets were taken and, once the
    /// end-of-data line has been read, the message. Octets after it are not taken.
    pub fn feed(&mut self, input: &[u8]) -> (usize, Option<Received>) {
        let mut i = 0;
        while i < input.len() {
            if self.state == DataState::InLine {
                // Inside a line only CR and LF matter: take the octets up to them at once.
                let run = input[i..]
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(input.len() - i);
                if run > 0 {
                    self.store_run(&input[i..i + run]);
                    i += run;
                    continue;
                }
            }
            let b = input[i];
            i += 1;
            if self.step(b) {
                let too_large = self.seen > self.limit as u64;
                let received = Received {
                    body: if too_large {
                        Vec::new()
                    } else {
                        std::mem::take(&mut self.body)
                    },
                    size: self.seen,
                    too_large,
                    long_line: self.long_line,
                };
                return (i, Some(received));
            }
        }
        (input.len(), None)
    }

    /// One octet; true at the end of data.
    fn step(&mut self, b: u8) -> bool {
        match (self.state, b) {
            (DataState::LineStart, b'.') => self.state = DataState::Dot,
            (DataState::Dot, b'\r') => self.state = DataState::DotCr,
            (DataState::DotCr, b'\n') => return true,
            // "." bare LF is neither the end nor stuffing: kept as a line of its own.
            (DataState::Dot, b'\n') => {
                self.store(b'.');
                self.end_line(false);
            }
            // A stuffed dot: the first one goes, the rest of the line stays.
            (DataState::Dot, _) => {
                self.state = DataState::InLine;
                self.octet(b);
            }
            // `.` CR then something else: the dot was stuffing, the CR a bare one.
            (DataState::DotCr, _) => {
                self.state = DataState::Cr;
                return self.step(b);
            }
            (DataState::Cr, b'\n') => self.end_line(true),
            (DataState::Cr, b'\r') => self.store(b'\r'),
            (DataState::Cr, _) => {
                self.store(b'\r');
                self.state = DataState::InLine;
                self.octet(b);
            }
            (DataState::LineStart | DataState::InLine, _) => self.octet(b),
        }
        false
    }

    /// An octet in a line (not a pending dot or CR).
    fn octet(&mut self, b: u8) {
        match b {
            b'\r' => self.state = DataState::Cr,
            // A bare LF ends the line, stored as CRLF, but what follows is not at a line start
            // for dot-stuffing or end-of-data: clients stuff only after CRLF, and "LF . LF"
            // must never end the data (SMTP smuggling).
            b'\n' => self.end_line(false),
            _ => {
                self.store(b);
                self.state = DataState::InLine;
            }
        }
    }

    fn end_line(&mut self, crlf: bool) {
        self.store_raw(b'\r');
        self.store_raw(b'\n');
        self.line_len = 0;
        self.state = if crlf {
            DataState::LineStart
        } else {
            DataState::InLine
        };
    }

    fn store(&mut self, b: u8) {
        self.line_len += 1;
        if self.line_len > MAX_TEXT_LINE - 2 {
            self.long_line = true;
        }
        self.store_raw(b);
    }

    /// Ordinary octets of a line (no CR, LF or pending dot), as [`Self::store`] would each.
    fn store_run(&mut self, run: &[u8]) {
        self.line_len += run.len();
        if self.line_len > MAX_TEXT_LINE - 2 {
            self.long_line = true;
        }
        self.seen += run.len() as u64;
        let take = run.len().min(self.limit.saturating_sub(self.body.len()));
        if take > self.body.capacity() - self.body.len() {
            // Grow by doubling, but never past the limit.
            let extra = self.body.capacity().max(4096).max(take);
            self.body
                .reserve_exact(extra.min(self.limit - self.body.len()));
        }
        self.body.extend_from_slice(&run[..take]);
    }

    fn store_raw(&mut self, b: u8) {
        self.seen += 1;
        if self.body.len() < self.limit {
            if self.body.len() == self.body.capacity() {
                // Grow by doubling, but never past the limit.
                let extra = self.body.capacity().max(4096);
                self.body
                    .reserve_exact(extra.min(self.limit - self.body.len()));
            }
            self.body.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8], limit: usize) -> (usize, Option<Received>) {
        DataReader::new(limit).feed(input)
    }

    #[test]
    fn data_is_unstuffed_and_ends_only_at_crlf_dot_crlf() {
        let input = b"Subject: x\r\n\r\n..leading dot\r\n.\tstuffed tab\r\nbare\nlf\r\n\n.\n\r\n.\r\nNOOP\r\n";
        let (taken, received) = read_all(input, 1000);
        assert_eq!(&input[taken..], b"NOOP\r\n");
        let received = received.unwrap();
        assert_eq!(
            received.body,
            b"Subject: x\r\n\r\n.leading dot\r\n\tstuffed tab\r\nbare\r\nlf\r\n\r\n.\r\n\r\n"
        );
        assert!(!received.too_large && !received.long_line);
        assert_eq!(received.size, received.body.len() as u64);

        // An empty message.
        assert_eq!(read_all(b".\r\n", 10).1.unwrap().body, b"");
        // "LF . LF" and "CRLF . LF" do not end the data (SMTP smuggling).
        let (_, received) = read_all(b"a\n.\nb\r\n.\nMAIL FROM:<x@y>\r\n.\r\n", 100);
        assert_eq!(
            received.unwrap().body,
            b"a\r\n.\r\nb\r\n.\r\nMAIL FROM:<x@y>\r\n"
        );
        // `.` CR not followed by LF is text, not the end.
        let (_, received) = read_all(b".\rx\r\n.\r\n", 100);
        assert_eq!(received.unwrap().body, b"\rx\r\n");
        // No end yet.
        assert_eq!(read_all(b"text\r\n.", 100), (7, None));
    }

    #[test]
    fn data_fed_in_any_chunks_gives_the_same_message() {
        let input = b"A: b\r\n\r\n..x\r\n.\ry\r\nz\rw\r\r\n\n.\n.\r\n";
        let (_, whole) = read_all(input, 1000);
        for size in 1..=16 {
            let mut reader = DataReader::new(1000);
            let mut result = None;
            for chunk in input.chunks(size) {
                let (taken, done) = reader.feed(chunk);
                if done.is_some() {
                    assert!(result.is_none());
                    assert_eq!(taken, chunk.len());
                    result = done;
                }
            }
            assert_eq!(result, whole, "chunk size {size}");
        }
    }

    #[test]
    fn data_over_the_limit_is_read_to_the_end_and_discarded() {
        let mut reader = DataReader::new(10);
        for _ in 0..1000 {
            assert_eq!(reader.feed(&[b'a'; 100]).1, None);
            assert!(reader.body.capacity() <= 10);
        }
        let (taken, received) = reader.feed(b"\r\n.\r\nQUIT\r\n");
        assert_eq!(taken, 5);
        let received = received.unwrap();
        assert!(received.too_large);
        assert!(received.body.is_empty());
        assert_eq!(received.size, 100_002);
        // Exactly at the limit is fine.
        let received = read_all(b"12345678\r\n.\r\n", 10).1.unwrap();
        assert!(!received.too_large);
        assert_eq!(received.body, b"12345678\r\n");
    }

    #[test]
    fn text_lines_over_1000_octets_are_flagged() {
        let ok = [&[b'a'; 998][..], b"\r\n.\r\n"].concat();
        assert!(!read_all(&ok, 10_000).1.unwrap().long_line);
        let long = [&[b'a'; 999][..], b"\r\n.\r\n"].concat();
        assert!(read_all(&long, 10_000).1.unwrap().long_line);
    }
}
