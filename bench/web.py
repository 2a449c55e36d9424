"""`make bench-web`: the workbench under load on loopback, bounded in clients, time and requests.

`procflow serve` runs as its own process on 127.0.0.1 over a fresh SQLite store holding a few saved
COA cases. Each of the clients (threads, the standard library's http.client, one connection each)
loops until the time or the request budget is spent: it reads a shared case's page (the version in
its form), then posts an event on it (a note, COA Table 1 Step 5) with that version. When two
clients raced on one case the second is told the case changed (409): that is the store's rule,
counted apart.

Afterwards the store is opened again and checked: every case equals a replay of the store's log
(`engine.store.replay.verify`), and each case holds exactly as many notes as the server accepted for
it (no lost update, no note twice). Figures: requests per second (reads and posts), the 95th
percentile latency of each, and the counts. The last lines are `requests_per_s=`, `p95_ms=`,
`replay_equal=`.
"""
from __future__ import annotations

import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import click

ROOT = Path(__file__).resolve().parent.parent
CLOCK = "2026-03-02 09:00"
VERSION = re.compile(r'name="version" value="(\d+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(store_file: Path, cases: int) -> list[str]:
    """A store with `cases` saved COA applications."""
    from engine.store import folder, open_store

    store = open_store(str(store_file), folder(ROOT / "workflows"), clock=CLOCK)
    names = []
    try:
        for n in range(cases):
            name = f"load-{n + 1}"
            store.create("coa", name)
            store.fire(name, "save_application", {"applicant": "payee",
                                                  "lodgement_date": "2026-03-01",
                                                  "reasons": [{"reason": 6}]})
            names.append(name)
    finally:
        store.close()
    return names


class Client(threading.Thread):
    def __init__(self, port: int, names: list[str], until: float, budget: list[int],
                 lock: threading.Lock,
                 seed: int):
        super().__init__(daemon=True)
        self.port, self.names, self.until, self.budget, self.lock = port, names, until, budget, lock
        self.random = random.Random(seed)
        self.reads: list[float] = []
        self.posts: list[float] = []
        self.outcomes: Counter = Counter()
        self.accepted: Counter = Counter()  # case -> notes accepted
        self.cookie = ""

    def take(self) -> bool:
        with self.lock:
            if self.budget[0] <= 0:
                return False
            self.budget[0] -= 1
            return True

    def request(self, conn: http.client.HTTPConnection, method: str, path: str,
                body: str = "") -> tuple[int, str]:
        headers = {"cookie": self.cookie} if self.cookie else {}
        if body:
            headers["content-type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body.encode() or None, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for value in response.headers.get_all("set-cookie") or ():
            self.cookie = "; ".join(filter(None, [self.cookie, value.split(";")[0]]))
        return response.status, text

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        _, first = self.request(conn, "GET", "/")
        token = CSRF.search(first).group(1)
        n = 0
        while time.monotonic() < self.until and self.take():
            name = self.random.choice(self.names)
            start = time.perf_counter()
            status, page = self.request(conn, "GET", f"/cases/{name}/fire/add_note")
            self.reads.append(time.perf_counter() - start)
            if status != 200:
                self.outcomes[f"read {status}"] += 1
                continue
            version = VERSION.search(page).group(1)
            n += 1
            body = urlencode({"csrf": token, "version": version, "text": f"note {self.ident} {n}"})
            if not self.take():
                break
            start = time.perf_counter()
            status, _ = self.request(conn, "POST", f"/cases/{name}/fire/add_note", body)
            self.posts.append(time.perf_counter() - start)
            self.outcomes[{200: "accepted",
                           409: "case changed (409)"}.get(status, f"post {status}")] += 1
            if status == 200:
                self.accepted[name] += 1
        conn.close()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] * 1000 if len(values) >= 20 \
        else max(values, default=0) * 1000


@click.command()
@click.option("--clients", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--seconds", type=click.FloatRange(1, 300), default=30, show_default=True)
@click.option("--cases", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Shared cases.")
@click.option("--max-requests", type=click.IntRange(1, 1_000_000), default=200_000,
              show_default=True)
def main(clients: int, seconds: float, cases: int, max_requests: int) -> None:
    from engine.store import folder, open_store
    from engine.store.replay import verify

    with tempfile.TemporaryDirectory() as tmp:
        store_file = Path(tmp) / "load.db"
        names = prepare(store_file, cases)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "serve",
                                   "--store", str(store_file),
                                   "--workflows", str(ROOT / "workflows"), "--host", "127.0.0.1",
                                   "--port", str(port)],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        said = server.stdout.read() if server.stdout else ""
                        raise SystemExit(f"the workbench did not start: {said}") from None
                    time.sleep(0.1)
            lock = threading.Lock()
            budget = [max_requests]
            began = time.monotonic()
            workers = [Client(port, names, began + seconds, budget, lock, seed)
                       for seed in range(clients)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(seconds + 60)
            took = time.monotonic() - began
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        reads = [x for w in workers for x in w.reads]
        posts = [x for w in workers for x in w.posts]
        outcomes = sum((w.outcomes for w in workers), Counter())
        accepted = sum((w.accepted for w in workers), Counter())
        store = open_store(str(store_file), folder(ROOT / "workflows"))
        try:
            problems = verify(store)
            for name in names:
                notes = len(store.case(name).state["fields"].get("notes") or [])
                if notes != accepted[name]:
                    problems.append(f"{name}: {notes} note(s) kept, {accepted[name]} accepted")
        finally:
            store.close()
    total = len(reads) + len(posts)
    print(f"clients={clients} seconds={took:.1f} shared_cases={cases} cpus={os.cpu_count()} "
          f"python={sys.version.split()[0]}")
    print(f"reads={len(reads)} p95_read_ms={p95(reads):.1f} posts={len(posts)} "
          f"p95_post_ms={p95(posts):.1f}")
    print("outcomes: " + ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
    print("\n".join(problems[:20]) if problems else
          "every case equals a replay of the log, with every accepted note kept "
          f"({sum(accepted.values())})")
    print(f"requests_per_s={total / took:.1f}")
    print(f"p95_ms={p95(reads + posts):.1f}")
    print(f"replay_equal={'yes' if not problems else 'no'}")
    sys.exit(1 if problems or not outcomes.get("accepted") else 0)


if __name__ == "__main__":
    main()
