"""Several processes on one store, and a process killed in the middle of an event, on SQLite and
PostgreSQL.

The workers fire interleaved events on shared cases: notes on four shared applications with the
version each read (the optimistic check refuses some), and new applications on a few shared case
numbers, whose cross-application checks tick the other workers' applications. Afterwards every case
must be what a replay of the log gives (no lost update, no half event, ticks right), and every
accepted event must be in the log once.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.store.replay import verify

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
ROUNDS = 12

WORKER = r"""
import json, random, sys
from engine import Refused
from engine.store import CaseChanged, folder, open_store

url, me, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
store = open_store(url, folder(sys.argv[4]))
rng = random.Random(me)
done = {"accepted": 0, "changed": 0, "refused": 0, "created": 0}
for k in range(rounds):
    try:
        if k % 3 == 0:
            # a new application on a shared case number: ticks the current ones of the other parent
            name = f"w{me}-{k}"
            store.create("coa", name)
            done["created"] += 1
            parent = "payee" if (me + k) % 2 else "payer"
            store.fire(name, "save_application",
                       {"applicant": parent, "lodgement_date": "2026-03-01",
                        "case_number": f"20000{rng.randrange(3)}",
                        "payee_id": "P-A", "payer_id": "P-B"})
        else:  # a note on a shared application, decided on the version this worker read
            shared = f"shared-{rng.randrange(4)}"
            seen = store.case(shared).version
            store.fire(shared, "add_note", {"text": f"note {me}-{k}"}, {"name": f"worker-{me}"},
                       expected=seen)
        done["accepted"] += 1
    except CaseChanged:
        done["changed"] += 1
    except Refused:
        done["refused"] += 1
print(json.dumps(done))
"""


def _setup(store) -> int:
    for i in range(4):
        store.create("coa", f"shared-{i}")
        store.fire(f"shared-{i}", "save_application",
                   {"applicant": "payee", "lodgement_date": "2026-03-01"})
    return 4


def test_workers_in_several_processes_lose_nothing(open_test_store, store_url):
    store = open_test_store()
    before = _setup(store)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, store_url, str(me), str(ROUNDS),
                               str(ROOT / "workflows")],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me in range(WORKERS)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    accepted = sum(r["accepted"] for r in results)
    assert accepted > WORKERS * ROUNDS // 2, results
    log = store.log()
    fired = [e for e in log if e.kind == "event"]
    assert len(fired) == before + accepted  # every accepted event once; nothing refused was logged
    notes = [e for e in fired if e.event == "add_note"]
    for i in range(4):  # no lost update: every note accepted on a shared case is in its history
        history = store.case(f"shared-{i}").state["history"]
        assert sorted(h["data"]["text"] for h in history if h["event"] == "add_note") == \
               sorted(e.data["text"] for e in notes if e.case == f"shared-{i}")
        # its version counts its creation and every event that wrote it (its own, and the ticks of
        # others)
        assert store.case(f"shared-{i}").version == 1 \
            + sum(f"shared-{i}" in e.outcome["versions"] for e in fired)
    ticked = [e for e in fired if len(e.outcome["versions"]) > 1]
    assert ticked, "no cross-application tick happened: the test does not test what it says"
    assert verify(store) == []


KILLED = r"""
import sys, time
from engine.store import folder, open_store
from engine.store import sql

original = sql._SqlTransaction.log
def log_then_hang(self, *args, **kwargs):
    original(self, *args, **kwargs)
    print("written", flush=True)  # the case rows and the log entry are written, not committed
    time.sleep(120)
sql._SqlTransaction.log = log_then_hang
store = open_store(sys.argv[1], folder(sys.argv[2]))
store.fire("shared-0", "add_note", {"text": "never"})
"""


def test_a_process_killed_in_the_middle_of_an_event_leaves_the_store_as_before(open_test_store,
                                                                               store_url):
    store = open_test_store()
    _setup(store)
    store.create("coa", "reply")
    before = ({r.id: (r.version, store.case(r.id).state) for r in store.cases()}, len(store.log()))
    proc = subprocess.Popen([sys.executable, "-c", KILLED, store_url, str(ROOT / "workflows")],
                            cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.strip() == "written", proc.stderr.read()  # type: ignore[union-attr]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    after = open_test_store()
    assert ({r.id: (r.version, after.case(r.id).state) for r in after.cases()}, len(after.log())) \
        == before
    # nothing is left locked: the next event, touching two cases, goes through
    fired = after.fire("reply", "save_application",
                       {"applicant": "payer", "lodgement_date": "2026-03-01"})
    assert fired.to == "None"
    assert verify(after) == []


@pytest.mark.parametrize("event", ["add_note"])
def test_an_event_refused_by_the_optimistic_check_writes_nothing(open_test_store, event):
    store = open_test_store()
    _setup(store)
    before = len(store.log())
    from engine.store import CaseChanged

    with pytest.raises(CaseChanged):
        store.fire("shared-0", event, {"text": "late"}, expected=1)
    assert len(store.log()) == before and store.case("shared-0").version == 2
