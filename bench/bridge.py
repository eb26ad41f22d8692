"""One run of the engine against real Dovecot + Postfix (started by bench/bridge.sh).

Usage: bridge.py BIN ROOT VARIANT MAILS CONNECTIONS

Puts MAILS command mails ("GET TEMP1") straight into the system's Maildir (as Postfix's
delivery agent would), starts the release back end on its own data folder with --no-sandbox,
--ca-file (the peers' test CA) and --smtp-connections, configures it through its WebSocket as the
UI does (登録, then RST), closes that page and times, from RST:
  first   the first reply in the phone's Maildir (inotify)
  last    the last one
Then opens a page again, waits for the engine to report every mail executed and its outbox empty and for Postfix's
queue to drain, and checks the phone's Maildir: one reply per command mail (In-Reply-To), none
missing, none twice; the system's Maildir empty; and the replies' mean size as delivered. Also reports the engine's CPU seconds (user +
system, /proc/PID/stat) from RST to the last reply and its peak resident memory (VmHWM).

VARIANT: plain (POP3 without TLS, SMTP port without TLS or AUTH), stls (POP3 STLS, submission
STARTTLS + AUTH), tls (POP3S implicit TLS, submission STARTTLS + AUTH).
Env: POP3_PORT POP3S_PORT SMTP_PORT SUBMISSION_PORT (as for tests/mailpeers/start.sh).
Prints one JSON object.
"""

import ctypes
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time

from websockets.sync.client import connect

from maildir_wait import names

PROTOCOL = 3
MAIL_UID = 5000
IN_CREATE, IN_MOVED_TO = 0x100, 0x80


def fill(maildir, mails, tag):
    """Writes the command mails into maildir/new, owned by the mail user."""
    new = os.path.join(maildir, "new")
    for i in range(mails):
        name = os.path.join(new, f"{1_700_000_000 + i}.bench{i}.{tag}")
        with open(name, "w") as f:
            f.write(
                "From: operator@sandbox.test\nTo: karacrix@sandbox.test\n"
                f"Subject: GET PUMP1\nMessage-ID: <bench-{tag}-{i}@phone.sandbox.test>\n\n"
                "GET TEMP1\n"
            )
        os.chown(name, MAIL_UID, MAIL_UID)


def watch_arrivals(maildir, wanted, times):
    """Appends the time of every file landing in maildir/new until `wanted` have.

    The names come from the inotify events, as in maildir_wait.py: O(1) a file. (Listing the
    folder at every event, as this did, costs O(n) a file: at 10,000 replies it kept half a core
    busy in this process, on the machine the engine and the servers share.) Only when a second
    passes without an event is the folder listed, so a lost event (a full inotify queue) cannot
    leave the watcher waiting forever."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = libc.inotify_init1(0)
    new = os.path.join(maildir, "new")
    assert libc.inotify_add_watch(fd, new.encode(), IN_CREATE | IN_MOVED_TO) >= 0
    ready.set()
    seen = set()
    deadline = time.monotonic() + 600
    while len(times) < wanted and time.monotonic() < deadline:
        if select.select([fd], [], [], 1)[0]:
            seen.update(names(os.read(fd, 1 << 20)))
        else:
            seen.update(os.listdir(new))
        times.extend([time.monotonic()] * (len(seen) - len(times)))


ready = threading.Event()


def settings_for(variant, pending):
    s = dict(pending)
    s.update(
        receive_interval_min=1440,
        alarm_recipients=[],
        allowed_senders=["operator@sandbox.test"],
        command_pin="",
        address="karacrix@sandbox.test",
        user="karacrix",
        pop_before_smtp=False,
        smtp_server="127.0.0.1",
    )
    env = os.environ
    if variant == "plain":
        s.update(
            pop_server=f"127.0.0.1:{env['POP3_PORT']}",
            pop_security="none",
            smtp_service=env["SMTP_PORT"],
            smtp_security="none",
            smtp_auth_login=False,
        )
    else:
        port = env["POP3_PORT"] if variant == "stls" else env["POP3S_PORT"]
        s.update(
            pop_server=f"127.0.0.1:{port}",
            pop_security="starttls" if variant == "stls" else "tls",
            smtp_service=env["SUBMISSION_PORT"],
            smtp_security="starttls",
            smtp_auth_login=True,
        )
    return s


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def next_of(ws, kind):
    while True:
        msg = json.loads(ws.recv(timeout=600))
        if msg.get("type") == "error":
            sys.exit(f"the back end refused: {msg}")
        if msg.get("type") == kind:
            return msg


def start_backend(binary, data, connections):
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--static-dir", "/nonexistent", "--data-dir", data,
         "--no-sandbox", "--ca-file", os.path.join(ROOT, "tls", "ca.pem"),
         "--replies-per-hour", "10000", "--smtp-connections", str(connections)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    for line in proc.stdout:
        if "simulator: " in line:
            # The back end logs to stdout for as long as it runs; it drops lines rather than
            # wait for a full pipe, but read them anyway, as a supervisor would.
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, line.split("simulator: ")[1].strip()
    sys.exit("the back end did not start")


def done(state, mails):
    return state is not None and state["executed"] >= mails and state["outbox"] == 0


def postfix_queue_empty():
    while True:
        out = subprocess.run(["postqueue", "-c", os.path.join(ROOT, "postfix", "etc"), "-p"],
                             capture_output=True, text=True).stdout
        if "queue is empty" in out:
            return
        time.sleep(0.05)


def check_replies(phone, mails, tag):
    """Missing and duplicate replies, and the replies' mean size as delivered."""
    answered = {}
    octets = []
    for folder in ("new", "cur"):
        for name in os.listdir(os.path.join(phone, folder)):
            path = os.path.join(phone, folder, name)
            octets.append(os.path.getsize(path))
            for line in open(path, errors="replace"):
                if line.startswith("In-Reply-To:"):
                    key = line.split()[1]
                    answered[key] = answered.get(key, 0) + 1
                    break
    expected = {f"<bench-{tag}-{i}@phone.sandbox.test>" for i in range(mails)}
    missing = len(expected - answered.keys())
    duplicates = sum(n - 1 for k, n in answered.items() if k in expected)
    return missing, duplicates, round(sum(octets) / len(octets)) if octets else 0


def run(binary, variant, mails, connections):
    tag = f"{variant}{mails}x{connections}"
    system = os.path.join(ROOT, "mail", "karacrix")
    phone = os.path.join(ROOT, "mail", "operator")
    for folder in ("new", "cur"):
        for name in os.listdir(os.path.join(phone, folder)):
            os.unlink(os.path.join(phone, folder, name))
    fill(system, mails, tag)
    data = tempfile.mkdtemp(prefix="bridge-data-", dir=ROOT)
    proc, url = start_backend(binary, data, connections)
    arrivals = []
    watcher = threading.Thread(target=watch_arrivals, args=(phone, mails, arrivals), daemon=True)
    watcher.start()
    ready.wait()
    socket = url.replace("http://", "ws://") + "ws"
    try:
        with connect(socket, open_timeout=10, max_size=None, ping_interval=None) as ws:
            ws.send(json.dumps({"type": "hello", "protocol": PROTOCOL}))
            view = next_of(ws, "settings")
            ws.send(json.dumps({"type": "save_settings",
                                "settings": settings_for(variant, view["pending"]),
                                "password": {"action": "set", "value": "karacrix-pass"},
                                "based_on": view["version"]}))
            next_of(ws, "settings_saved")
            cpu0 = cpu_seconds(proc.pid)
            t0 = time.monotonic()
            ws.send(json.dumps({"type": "restart"}))
            # Messages are handled in order: the pong says the RST was.
            ws.send(json.dumps({"type": "ping", "nonce": 1}))
            next_of(ws, "pong")
        # No page is open while the engine works, as on a plant nobody watches: a client
        # decoding every protocol-log line (over ten per mail) took a third of a core here, on
        # the two the engine and the servers share, while Postfix's own run has no such guest.
        watcher.join(timeout=600)
        if watcher.is_alive():
            sys.exit(f"only {len(arrivals)} of {mails} replies in 600 s")
        cpu = cpu_seconds(proc.pid) - cpu0
        with connect(socket, open_timeout=10, max_size=None, ping_interval=None) as ws:
            ws.send(json.dumps({"type": "hello", "protocol": PROTOCOL}))
            state = next_of(ws, "engine")
            while not done(state, mails):
                state = next_of(ws, "engine")
        postfix_queue_empty()
        peak = peak_kib(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    missing, duplicates, octets = check_replies(phone, mails, tag)
    left = sum(len(os.listdir(os.path.join(system, f))) for f in ("new", "cur"))
    first = arrivals[0] - t0 if arrivals else None
    last = arrivals[mails - 1] - t0 if len(arrivals) >= mails else None
    return {
        "variant": variant, "mails": mails, "connections": connections,
        "first_s": first, "last_s": last,
        "rate": mails / last if last else None,
        "cpu_s": cpu, "peak_kib": peak, "executed": state["executed"],
        "missing": missing, "duplicates": duplicates, "left_on_server": left,
        "reply_octets": octets,
    }


if __name__ == "__main__":
    BIN, ROOT, VARIANT, MAILS, CONNECTIONS = sys.argv[1:6]
    print(json.dumps(run(BIN, VARIANT, int(MAILS), int(CONNECTIONS))))
