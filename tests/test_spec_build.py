"""spec.build: a schema-valid document to the model, every reference and expression checked,
findings at once."""
from __future__ import annotations

import pytest

from engine import DefinitionError, load_workflow_text
from engine.spec.yamlsrc import content_version

WORKFLOW = """workflow: b
title: Build
source: test
initial: A
fields:
  n: {type: integer, locked_after: go, source: test}
statuses:
  A: {source: test}
  B: {final: true, source: test}
events:
  go:
    title: Go
    source: test
    guards:
      - check: n is None
        says: only once
    transitions:
      - from: A
        to: B
        source: test
        effects:
          - number: n
"""


def test_the_model_carries_its_version_locks_and_citations():
    wf = load_workflow_text(WORKFLOW, "b.yaml")
    assert wf.version == content_version(WORKFLOW)
    assert wf.locks == {"go": ("n",)}
    assert wf.events["go"].all_guards is not None  # the guards combined into one check
    assert ("test", ("b.yaml", 3, 9)) in wf.citations


def test_every_wrong_reference_is_a_positioned_finding_at_once():
    bad = WORKFLOW.replace("to: B", "to: C").replace("number: n", "number: m")
    with pytest.raises(DefinitionError) as info:
        load_workflow_text(bad, "b.yaml")
    found = [(f.line, f.col, f.message) for f in info.value.findings]
    assert found == [(19, 13, "unknown status 'C'"), (22, 21, "unknown field 'm'")]
