"""A minimal POP3 client for the benchmark: logs in, RETRs every message one after the other
(no pipelining, like an ordinary mail client), quits without deleting anything.

Usage:
  pop3_retr.py HOST PORT USER PASSWORD [--window N] [--maildir DIR UID GID]
      prints one line: `messages octets seconds` (the time covers connect to QUIT's answer;
      octets are the message octets as received, before un-stuffing)
  --window N   keeps up to N RETR commands outstanding (RFC 2449 PIPELINING) instead of one
  --stat       logs in, reads STAT and quits: prints `messages octets seconds` without RETR
  --maildir    also writes every message into the Maildir DIR (new/, LF line ends, owned by
               UID:GID), the way a local delivery agent stores it
"""

import os
import socket
import sys
import time

TERMINATOR = b"\r\n.\r\n"


class Client:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def _fill(self):
        chunk = self.sock.recv(256 * 1024)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def line(self):
        """One status line (without CRLF); fails unless it is +OK."""
        while (end := self.buf.find(b"\r\n")) < 0:
            self._fill()
        status = bytes(self.buf[:end])
        del self.buf[: end + 2]
        if not status.startswith(b"+OK"):
            raise RuntimeError(f"unexpected answer: {status!r}")
        return status

    def command(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.line()

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def multiline(self):
        """The answer to a command with a multi-line answer: returns the body, still
        dot-stuffed, with CRLF."""
        self.line()
        # The body may be empty: then the terminator's CRLF is the status line's.
        self.buf[:0] = b"\r\n"
        start = 0
        while (end := self.buf.find(TERMINATOR, start)) < 0:
            start = max(0, len(self.buf) - len(TERMINATOR) + 1)
            self._fill()
        body = bytes(self.buf[2 : end + 2])
        del self.buf[: end + len(TERMINATOR)]
        return body

    def close(self):
        self.sock.close()


def unstuff(body):
    """The message as stored by a delivery agent: dots unstuffed, LF line ends."""
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((l[1:] if l.startswith(b".") else l) + b"\n" for l in lines)


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    maildir = None
    window = 1
    stat_only = False
    args = sys.argv[5:]
    while args:
        if args[0] == "--stat":
            stat_only, args = True, args[1:]
        elif args[0] == "--window":
            window, args = int(args[1]), args[2:]
        elif args[0] == "--maildir":
            maildir, uid, gid = args[1], int(args[2]), int(args[3])
            args = args[4:]
        else:
            sys.exit(f"unknown option {args[0]}")
    if maildir is not None:
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    started = time.perf_counter()
    client = Client(host, port)
    client.line()
    client.command(f"USER {user}")
    client.command(f"PASS {password}")
    stat = client.command("STAT").split()
    count = int(stat[1])
    if stat_only:
        client.command("QUIT")
        print(count, stat[2], f"{time.perf_counter() - started:.6f}")
        return
    octets = 0
    sent = 0
    for number in range(1, count + 1):
        while sent < min(count, number - 1 + window):
            sent += 1
            client.send(f"RETR {sent}")
        body = client.multiline()
        octets += len(body)
        if maildir is not None:
            name = os.path.join(maildir, "new", f"{int(time.time())}.M{number}P{os.getpid()}.bench")
            with open(name, "wb") as f:
                f.write(unstuff(body))
            os.chown(name, uid, gid)
    client.command("QUIT")
    elapsed = time.perf_counter() - started
    client.close()
    if maildir is not None:
        for path, dirs, _files in os.walk(maildir):
            os.chown(path, uid, gid)
    print(count, octets, f"{elapsed:.6f}")


if __name__ == "__main__":
    main()
