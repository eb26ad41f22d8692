"""Waits until a Maildir's new/ holds a number of messages, without polling.

Usage: maildir_wait.py MAILDIR COUNT [TIMEOUT_SECONDS]

Postfix acknowledges a message once it is safe in its queue and delivers it into the Maildir a
little later; this tells when its delivery agent has caught up. inotify (through libc, no
package needed) reports every file the agent moves into new/; nobody reads the Maildir during
the benchmark, so nothing leaves new/. Prints the wall-clock time (seconds since the epoch, like
bash's EPOCHREALTIME) at which the count was reached; exits 1 if it was not reached in time.
"""

import ctypes
import os
import select
import struct
import sys
import time

IN_CREATE = 0x100
IN_MOVED_TO = 0x80
EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name


def names(buffer):
    """The file names in a buffer of inotify events (an event without one, such as a queue
    overflow, names nothing)."""
    at = 0
    while at < len(buffer):
        _wd, _mask, _cookie, length = EVENT.unpack_from(buffer, at)
        at += EVENT.size
        if length:
            yield buffer[at : at + length].rstrip(b"\0").decode()
        at += length


def main():
    maildir, wanted = sys.argv[1], int(sys.argv[2])
    deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 120)
    new = os.path.join(maildir, "new")
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    watch = libc.inotify_init1(os.O_NONBLOCK)
    if watch < 0 or libc.inotify_add_watch(watch, new.encode(), IN_CREATE | IN_MOVED_TO) < 0:
        sys.exit(f"cannot watch {new}: {os.strerror(ctypes.get_errno())}")
    # Listing after the watch is set: a file that lands in between is seen twice, counted once.
    seen = set(os.listdir(new))
    while len(seen) < wanted:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([watch], [], [], left)[0]:
            sys.exit(f"{new} has {len(seen)} of {wanted} messages")
        seen.update(names(os.read(watch, 1 << 20)))
    print(f"{time.time():.6f}")


if __name__ == "__main__":
    main()
