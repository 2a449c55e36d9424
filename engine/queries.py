"""Declared queries over the instances an engine holds, and the indexes that answer them: instances
by workflow, and by the value of each field a query `match`es on."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .findings import Refused
from .instance import _EMPTY, Instance
from .model import Query, Workflow
from .outcome import Context
from .values import COERCERS, ValueProblem


class QueryIndex:
    """The queries of the current workflows, and the instances indexed for them. `workflows` is the
    engine's (the current version of each workflow, by name)."""

    def __init__(self, workflows: dict[str, Workflow]):
        self.workflows = workflows
        self.queries: dict[str, Query] = {}
        self.by_workflow: dict[str, dict[str, Instance]] = {}
        # (workflow, field) -> value -> {instance name: instance}, for the fields queries `match` on
        self._indexes: dict[tuple[str, str], dict[Any, dict[str, Instance]]] = {}
        self.indexed: dict[str, tuple[str, ...]] = {}  # workflow name -> its fields indexed
        self._param_names: dict[str, tuple[str, ...]] = {}  # by query, for positional calls

    def add_workflow(self, workflow: Workflow) -> None:
        """Index for the queries of a workflow (its current version)."""
        for query in workflow.queries.values():
            self.queries[query.name] = query
            self._param_names[query.name] = tuple(p.name for p in query.params)
            for field_name, _ in query.match:
                self._indexes.setdefault((workflow.name, field_name), {})
        self.indexed[workflow.name] = tuple(f for (w, f) in self._indexes if w == workflow.name)

    def add(self, inst: Instance) -> None:
        """Hold a new instance (its fields are indexed as they change, see reindex)."""
        self.by_workflow.setdefault(inst.workflow.name, {})[inst.name] = inst

    def remove(self, inst: Instance) -> None:
        """Stop holding an instance: it is no longer found."""
        self.by_workflow.get(inst.workflow.name, {}).pop(inst.name, None)
        indexed = self.indexed.get(inst.workflow.name)
        if indexed:
            self.reindex(inst, _EMPTY, indexed)

    def reindex(self, inst: Instance, fields: dict, indexed: tuple[str, ...]) -> None:
        """Index `inst` by its `indexed` fields as `fields` (its new fields) have them."""
        old = inst.fields
        for name in indexed:
            before, after = old.get(name), fields.get(name)
            if before != after:
                index = self._indexes[(inst.workflow.name, name)]
                if before is not None:
                    index.get(before, {}).pop(inst.name, None)
                if after is not None:
                    index.setdefault(after, {})[inst.name] = inst

    def run_query(self, name: str, args: tuple | list, now: datetime) -> list[dict]:
        """The records (fields, status, instance name) a declared query finds, in its order."""
        query = self.queries.get(name) or self._query(name)
        # positional arguments of a compiled call: the builder checked their number, so none is
        # unknown; those not given are None
        given = dict(zip(self._param_names[query.name], args, strict=False))
        return self._search(query, self._params(query, given), now)

    def search(self, name: str, given: dict, now: datetime) -> list[dict]:
        """A declared query with its parameters by name (as a scenario step or the CLI gives
        them)."""
        query = self._query(name)
        return self._search(query, self.query_params(query, given), now)

    def _query(self, name: str) -> Query:
        query = self.queries.get(name)
        if query is None:
            raise Refused(name,
                          [f"unknown query '{name}' (known: {', '.join(self.queries) or 'none'})"])
        return query

    def query_params(self, query: Query, given: dict) -> dict:
        known = {p.name for p in query.params}
        unknown = [k for k in given if k not in known]
        if unknown:
            raise Refused(query.name,
                          [query.not_a_criterion(unknown[0],
                                                 self.workflows[query.workflow].fields)])
        return self._params(query, given)

    def _params(self, query: Query, given: dict) -> dict:
        lists = self.workflows[query.workflow].lists
        params = {}
        for spec in query.params:
            value = given.get(spec.name)
            if value is None:
                if spec.required:
                    raise Refused(query.name, [f"{spec.label} is required to search"])
                params[spec.name] = None
                continue
            try:
                params[spec.name] = COERCERS[spec.type](spec, value, lists)  # coerce(), no call
            except ValueProblem as exc:
                raise Refused(query.name, [str(exc)]) from None
        return params

    def _search(self, query: Query, params: dict, now: datetime) -> list[dict]:
        wf_name = query.workflow
        if query.match:
            field_name, param = query.match[0]
            candidates: Iterable[Instance] = self._indexes[(wf_name,
                                                            field_name)].get(params[param],
                                                                             _EMPTY).values()
            rest = query.match[1:]
        else:
            candidates = self.by_workflow.get(wf_name, _EMPTY).values()
            rest = ()
        found = []
        for inst in candidates:
            f = inst.fields
            if any(f.get(field_name) != params[param] for field_name, param in rest):
                continue
            if query.where is not None and not query.where.holds(params, f,
                                                                  Context(now, inst.status, _EMPTY,
                                                                          inst.trays)):
                continue
            found.append({**f, "status": inst.status, "instance": inst.name})
        if len(found) < 2:  # nothing to order
            return found
        for key in reversed(query.order_by):
            found.sort(key=lambda r,
                       k=key: (r.get(k) is None, r.get(k) if r.get(k) is not None else 0))
        return found
