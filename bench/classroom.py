"""One step of the classroom benchmark: N simulations, one WebSocket client each, under a steady
load of command round trips (started by bench/classroom.sh).

Usage: classroom.py MODE BIN WORK N [--period S] [--rounds R] [--exercises DIR]

MODE processes: N separate back ends of BIN, each with its own data folder and its own sandbox
    ports (all picked by the system), one client each: what a user can run today.
MODE sessions: one back end of BIN started with --class, N trainees joined over HTTP
    (POST /api/join, the session cookie), one client each on /ws with that cookie.

Each client saves the sandbox account as the help's fix for OP25B (submission, SMTP AUTH, no
PopBeforeSmtp, a long receive interval so that only 今すぐ受信 polls) and restarts the engine.
Then, staggered over the period, every client runs R round trips, one per period: the phone
mails "GET TEMP1" to the system through the sandbox ISP, the client asks for 今すぐ受信, and
the round trip ends when the engine reports the mail executed and its reply sent (executed up,
outbox 0). The back end allows one 今すぐ受信 per page every 20 s (a burst of 3), so the period
stays at 20 s or more. Beside them, every client pings every period/4 (Ping → Pong through the
same connection: the WebSocket's event latency under that load).

Memory is resident memory (VmRSS): processes, the sum over the N back ends / N; sessions, (the
back end with N joined, connected, idle trainees − the back end with none) / N. Both once the
value settles, before any settings are saved, and again after the load.
Prints one JSON object. Every back end it starts is written to WORK/pids first (one pid a
line), so the driver can stop them whatever happens here.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import time
import urllib.request

from websockets.asyncio.client import connect

PASSWORD = "karacrix-pass"
SYSTEM = "karacrix@sandbox.test"
CLASS = "BENCH"
INSTRUCTOR_TOKEN = "bench-instructor-token-0123456789"
# Longest wait for any one answer or state; a step fails with its name when one is over.
TIMEOUT = 60
# The kinds a client reads; the rest (dialogue, points, …) are skipped without parsing JSON,
# so that the client's own CPU stays small next to the back end's.
KIND = re.compile(r'\{"type":"([a-z_]+)"')
READ = {"welcome", "engine", "settings", "settings_saved", "phone_sent", "phone_failed",
        "pong", "error", "session"}


class StepFailed(Exception):
    """Why the step cannot go on, for people."""


def fail(why):
    raise StepFailed(why)


# Every client opened, so that a failing step still closes them all.
OPENED = []


class Client:
    """One page: a WebSocket and the states and answers it has received."""

    def __init__(self, label, ws):
        self.label = label
        self.ws = ws
        self.engine = None
        self.settings = None
        self.refused = None
        self.lost = None
        self.changed = asyncio.Condition()
        self.expected = {}
        self.pongs = {}
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        try:
            async for text in self.ws:
                match = KIND.match(text)
                kind = match.group(1) if match else None
                if kind not in READ:
                    continue
                await self.take(kind, json.loads(text))
        except Exception as err:  # noqa: BLE001 - any end of the socket is reported to waiters
            self.lost = f"connection lost: {err!r}"
        else:
            self.lost = "connection closed by the back end"
        async with self.changed:
            self.changed.notify_all()
        for waiter in [*self.expected.values(), *self.pongs.values()]:
            if not waiter.done():
                waiter.set_exception(RuntimeError(f"{self.label}: {self.lost}"))

    async def take(self, kind, msg):
        now = time.monotonic()
        if kind == "pong":
            waiter = self.pongs.pop(msg["nonce"], None)
            if waiter and not waiter.done():
                waiter.set_result(now)
            return
        if kind in ("error", "phone_failed"):
            self.refused = f"{kind}: {json.dumps(msg, ensure_ascii=False)}"
            for waiter in self.expected.values():
                if not waiter.done():
                    waiter.set_exception(RuntimeError(f"{self.label}: {self.refused}"))
            self.expected.clear()
        if kind in ("engine", "settings"):
            setattr(self, kind, msg)
        waiter = self.expected.pop(kind, None)
        if waiter and not waiter.done():
            waiter.set_result(msg)
        async with self.changed:
            self.changed.notify_all()

    def expect(self, kind):
        """A future for the next message of `kind`: take it before sending the request."""
        waiter = asyncio.get_running_loop().create_future()
        self.expected[kind] = waiter
        return waiter

    async def answer(self, waiter, what):
        try:
            return await asyncio.wait_for(waiter, TIMEOUT)
        except TimeoutError:
            raise RuntimeError(f"{self.label}: no {what} within {TIMEOUT} s") from None

    async def until(self, what, test):
        """Waits until the latest states pass `test`; fails on a refusal or after TIMEOUT."""
        async def wait():
            async with self.changed:
                await self.changed.wait_for(lambda: self.lost or self.refused or test(self))
        try:
            await asyncio.wait_for(wait(), TIMEOUT)
        except TimeoutError:
            raise RuntimeError(f"{self.label}: not {what} within {TIMEOUT} s "
                               f"(engine: {self.engine})") from None
        if self.lost or self.refused:
            raise RuntimeError(f"{self.label}: {self.lost or self.refused} while waiting for {what}")

    async def send(self, msg):
        await self.ws.send(json.dumps(msg, ensure_ascii=False))

    async def close(self):
        await self.ws.close()
        self.reader.cancel()


async def open_client(label, url, origin, cookie=None):
    headers = {"Cookie": cookie} if cookie else None
    try:
        ws = await connect(url, origin=origin, additional_headers=headers, open_timeout=TIMEOUT,
                           ping_interval=None, max_size=None, close_timeout=5)
    except Exception as err:  # noqa: BLE001 - a refusal of any kind ends the step, named
        fail(f"{label}: could not open {url}: {err!r}")
    try:
        welcome = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    except TimeoutError:
        fail(f"{label}: no welcome within {TIMEOUT} s")
    if welcome.get("type") != "welcome":
        fail(f"{label}: the first message is not a welcome: {welcome}")
    client = Client(label, ws)
    OPENED.append(client)
    await client.send({"type": "hello", "protocol": welcome["protocol"]})
    await client.until("sent the settings", lambda c: c.settings and c.engine)
    return client


async def configure(client):
    """The OP25B exercise's fix, saved and applied by RST."""
    view = client.settings
    settings = dict(view["pending"])
    settings.update(receive_interval_min=1440, alarm_recipients=[], smtp_service="submission",
                    smtp_auth_login=True, pop_before_smtp=False)
    saved = client.expect("settings_saved")
    await client.send({"type": "save_settings", "settings": settings,
                       "password": {"action": "set", "value": PASSWORD},
                       "based_on": view["version"]})
    await client.answer(saved, "settings_saved")
    await client.send({"type": "restart"})
    await client.until("restarted with the saved settings",
                       lambda c: c.settings["applied"] is not None
                       and c.settings["applied"] == c.settings["pending"])


async def round_trip(client):
    """Seconds from the phone's send to the engine's reply sent, and the phone's part of it
    (until the ISP accepted the mail)."""
    client.refused = None
    before = client.engine["executed"]
    t0 = time.monotonic()
    sent = client.expect("phone_sent")
    await client.send({"type": "phone_send", "to": SYSTEM, "subject": "点検",
                       "body": "GET TEMP1\n", "charset": "utf8"})
    await client.answer(sent, "phone_sent")
    phone = time.monotonic() - t0
    await client.send({"type": "receive_now"})
    await client.until("done with the command (executed up, outbox 0)",
                       lambda c: c.engine["executed"] > before and c.engine["outbox"] == 0)
    return time.monotonic() - t0, phone


async def ping(client, nonce):
    waiter = asyncio.get_running_loop().create_future()
    client.pongs[nonce] = waiter
    t0 = time.monotonic()
    await client.send({"type": "ping", "nonce": nonce})
    return await client.answer(waiter, "pong") - t0


async def load(clients, period, rounds):
    """Every client's rounds, staggered over the period, and the pings beside them."""
    trips, phones, pings, failures = [], [], [], []
    running = True

    async def trainee(i, client):
        start = time.monotonic() + period * i / len(clients)
        for _ in range(rounds):
            await asyncio.sleep(max(0.0, start - time.monotonic()))
            try:
                trip, phone = await round_trip(client)
                trips.append(trip)
                phones.append(phone)
            except RuntimeError as err:
                failures.append(str(err))
            start += period

    async def pinger(i, client):
        every = period / 4
        nonce = 0
        start = time.monotonic() + every * i / len(clients)
        while running:
            await asyncio.sleep(max(0.0, start - time.monotonic()))
            nonce += 1
            try:
                pings.append(await ping(client, nonce))
            except RuntimeError as err:
                failures.append(str(err))
            start += every

    pingers = [asyncio.create_task(pinger(i, c)) for i, c in enumerate(clients)]
    await asyncio.gather(*(trainee(i, c) for i, c in enumerate(clients)))
    running = False
    await asyncio.gather(*pingers)
    return trips, phones, pings, failures


def quantile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_kib(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def settled_rss(pids):
    """Resident memory once two samples a second apart differ by under 1 %."""
    last = rss_kib(pids)
    for _ in range(60):
        await asyncio.sleep(1)
        now = rss_kib(pids)
        if abs(now - last) <= last / 100:
            return now
        last = now
    return last


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Backends:
    """The back ends of a step, each with its data folder and its log."""

    def __init__(self, binary, work, exercises):
        self.binary, self.work, self.exercises = binary, work, exercises
        self.procs = []

    def start(self, name, extra=()):
        data = os.path.join(self.work, name)
        os.makedirs(data)
        log = open(os.path.join(self.work, f"{name}.log"), "w")
        args = [self.binary, "--listen", "127.0.0.1:0", "--static-dir", "/nonexistent",
                "--data-dir", data, "--exercises", self.exercises, "--replies-per-hour", "10000"]
        for port in ("smtp", "submission", "smtps", "pop3", "pop3s"):
            args += [f"--sandbox-{port}-port", "0"]
        proc = subprocess.Popen([*args, *extra], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
        with open(os.path.join(self.work, "pids"), "a") as pids:
            pids.write(f"{proc.pid}\n")
        self.procs.append((proc, log.name))
        return proc

    async def urls(self):
        """Each back end's address, from its start line; fails on an exit or after TIMEOUT."""
        urls = []
        for proc, log in self.procs:
            deadline = time.monotonic() + TIMEOUT
            while True:
                with open(log) as f:
                    found = [line for line in f if "simulator: " in line]
                if found:
                    urls.append(found[0].split("simulator: ")[1].strip())
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    with open(log) as f:
                        tail = f.read()[-2000:]
                    fail(f"a back end did not start (exit {proc.poll()}):\n{tail}")
                await asyncio.sleep(0.1)
        return urls

    def pids(self):
        return [proc.pid for proc, _ in self.procs]

    def stop(self):
        for proc, _ in self.procs:
            proc.kill()
        for proc, _ in self.procs:
            proc.wait()
        os.unlink(os.path.join(self.work, "pids"))


def join(base, name):
    """POST /api/join as the join page does; returns the session cookie."""
    body = json.dumps({"class": CLASS, "name": name}).encode()
    origin = base.rstrip("/")
    request = urllib.request.Request(f"{base}api/join?class={CLASS}", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Origin": origin})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as reply:
            cookies = reply.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as err:
        fail(f"joining as {name} was refused: {err.code} {err.read()[:500]!r}")
    for cookie in cookies:
        pair = cookie.split(";", 1)[0].strip()
        if pair.startswith("kx_session="):
            return pair
    fail(f"joining as {name} set no kx_session cookie: {cookies}")


async def gather_limited(jobs, width=16):
    """Runs coroutines `width` at a time (connecting 400 at once would be a test of its own)."""
    gate = asyncio.Semaphore(width)

    async def one(job):
        try:
            async with gate:
                return await job
        finally:
            job.close()  # a job cancelled before its turn never started
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(job)) for job in jobs]
    return [task.result() for task in tasks]


async def run(mode, binary, work, n, period, rounds, exercises):
    backends = Backends(binary, work, exercises)
    result = {"mode": mode, "n": n, "period_s": period, "rounds": rounds,
              "load_start": load_average()}
    clients = []
    try:
        if mode == "processes":
            for i in range(n):
                backends.start(f"b{i:03}")
            urls = await backends.urls()
            base_rss = 0
            pages = [(f"back end {i}", url, None) for i, url in enumerate(urls)]
        else:
            backends.start("class", ["--class", CLASS, "--instructor-token", INSTRUCTOR_TOKEN,
                                     "--max-sessions", str(n)])
            (base,) = await backends.urls()
            base_rss = await settled_rss(backends.pids())
            pages = [(f"trainee {i}", base, join(base, f"trainee{i:03}")) for i in range(n)]
        clients = await gather_limited(
            [open_client(label, url.replace("http", "ws", 1) + "ws", url.rstrip("/"), cookie)
             for label, url, cookie in pages])
        idle_rss = await settled_rss(backends.pids())
        result.update(rss_base_kib=base_rss, rss_idle_kib=idle_rss,
                      idle_kib_per_sim=round((idle_rss - base_rss) / n))
        try:
            await gather_limited([configure(c) for c in clients])
            # One round trip each before measuring: the first logins and TLS sessions.
            await gather_limited([round_trip(c) for c in clients])
        except RuntimeError as err:
            fail(f"setting up: {err}")
        pids = backends.pids()
        cpu0, own0, t0 = cpu_seconds(pids), resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        trips, phones, pings, failures = await load(clients, period, rounds)
        elapsed = time.monotonic() - t0
        own1 = resource.getrusage(resource.RUSAGE_SELF)
        result.update(
            load_end=load_average(),
            round_trips=len(trips), failed=len(failures), first_failures=failures[:3],
            # A failed round trip counts as slower than any that succeeded.
            rt_p50_ms=ms(quantile(trips + [float("inf")] * len(failures), 0.50)),
            rt_p99_ms=ms(quantile(trips + [float("inf")] * len(failures), 0.99)),
            rt_max_ms=ms(max(trips, default=None)),
            phone_p50_ms=ms(quantile(phones, 0.50)), phone_p99_ms=ms(quantile(phones, 0.99)),
            pings=len(pings), ping_p50_ms=ms(quantile(pings, 0.50)),
            ping_p99_ms=ms(quantile(pings, 0.99)),
            server_cpu_share=round((cpu_seconds(pids) - cpu0) / elapsed / os.cpu_count(), 3),
            client_cpu_share=round((own1.ru_utime + own1.ru_stime - own0.ru_utime
                                    - own0.ru_stime) / elapsed / os.cpu_count(), 3),
            rss_loaded_kib=rss_kib(pids),
        )
    finally:
        await asyncio.gather(*(c.close() for c in OPENED), return_exceptions=True)
        backends.stop()
    return result


def ms(seconds):
    if seconds is None:
        return None
    return None if seconds == float("inf") else round(seconds * 1000, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["processes", "sessions"])
    parser.add_argument("binary")
    parser.add_argument("work")
    parser.add_argument("n", type=int)
    parser.add_argument("--period", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--exercises", default="exercises")
    a = parser.parse_args()
    try:
        result = asyncio.run(run(a.mode, a.binary, a.work, a.n, a.period, a.rounds,
                                 a.exercises))
    except (StepFailed, ExceptionGroup) as err:
        while isinstance(err, ExceptionGroup):
            err = err.exceptions[0]
        sys.exit(f"classroom benchmark, {a.mode} with {a.n}: {err}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
