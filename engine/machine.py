"""The one module that uses the `transitions` library: a workflow compiled into a shared machine.

One `transitions.Machine` is built per workflow definition, with no model attached
(`model=None`): it holds the statuses, the events and which transitions each event has from
each status, in declaration order. The runtime reads that structure as a dispatch table, so an
instance stays plain data and firing an event costs a dictionary lookup, not a bound method per
instance (attaching every case with `add_model` costs time and about 6 KiB per case; see README).
"""
from __future__ import annotations

from dataclasses import dataclass

from transitions import Machine

from .model import Transition, Workflow


@dataclass(frozen=True, slots=True)
class CompiledMachine:
    workflow: Workflow
    machine: Machine
    # (event, status) -> the workflow's transitions for that event from that status, in order
    table: dict[tuple[str, str], tuple[Transition, ...]]

    def candidates(self, event: str, status: str) -> tuple[Transition, ...]:
        return self.table.get((event, status), ())

    def triggers(self, status: str) -> list[str]:
        """The events that have a transition from this status, in the workflow's order."""
        found = set(self.machine.get_triggers(status))
        return [e for e in self.workflow.events if e in found]


def compile_machine(workflow: Workflow) -> CompiledMachine:
    """Build the shared machine of a workflow and read its dispatch table back from it."""
    machine = Machine(
        model=None,
        states=list(workflow.statuses),
        initial=workflow.initial,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )
    owner: dict[int, Transition] = {}
    for transition in workflow.transitions():
        for source in transition.sources:
            # dest None is transitions' internal transition: the event keeps the status
            machine.add_transition(transition.event, source, transition.target)
            added = machine.events[transition.event].transitions[source][-1]
            owner[id(added)] = transition
    table: dict[tuple[str, str], tuple[Transition, ...]] = {}
    for name, event in machine.events.items():
        for source, lib_transitions in event.transitions.items():
            table[(name, source)] = tuple(owner[id(t)] for t in lib_transitions)
    return CompiledMachine(workflow=workflow, machine=machine, table=table)
