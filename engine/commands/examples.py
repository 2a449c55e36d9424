"""The closing lines of each command's --help: one or two examples (a test runs the reading
ones)."""
from __future__ import annotations

import click

PG = "postgresql://postgres@127.0.0.1/cases"
EXAMPLES = {
    "check": ["procflow check --strict workflows scenarios",
              "procflow check workflows/coa.yaml --json"],
    "diff": ["procflow diff --git HEAD workflows/coa.yaml",
             "procflow diff old/coa.yaml workflows/coa.yaml --format markdown"],
    "describe": ["procflow describe coa", "procflow describe sco --json"],
    "diagram": ["procflow diagram coa -o coa.svg",
                "procflow diagram coa --highlight scenarios/coa/full_path.yaml "
                "--format png -o path.png"],
    "test": ["procflow test scenarios", "procflow test scenarios/coa --coverage --min 100"],
    "paths": ["procflow paths coa", "procflow paths coa --to Var-Increase --skeletons drafts"],
    "simulate": ["procflow simulate scenarios/coa/full_path.yaml", "procflow simulate coa --json"],
    "query": ["procflow query sco_reports_on_case case_number=6000001 "
              "--scenario scenarios/coa/sco_report_request.yaml",
              "procflow query sco_records_at_site coa_site=Brisbane --store cases.json --json"],
    "docs": ["procflow docs -o docs/site", "procflow docs --format markdown -o out coa"],
    "case": ["procflow case new coa --id app-1",
             "procflow case fire app-1 save_application applicant=payer"],
    "case new": ["procflow case new coa --id app-1 --clock '2026-03-02 09:00'"],
    "case fire": ["procflow case fire app-1 save_application applicant=payer "
                  "lodgement_date=2026-03-01"],
    "case show": ["procflow case show app-1 --options"],
    "case list": ["procflow case list --workflow coa --overdue"],
    "case why": ["procflow case why app-1 finalise outcome=Var-Increase"],
    "case log": ["procflow case log app-1"],
    "case export": ["procflow case export app-1 -o app-1.yaml"],
    "case import": ["procflow case import scenarios/coa/full_path.yaml --prefix demo-"],
    "case verify": ["procflow case verify", f"procflow case verify --store {PG}"],
    "case migrate": [f"procflow case migrate --store {PG}"],
    "clock": ["procflow clock advance 3d", "procflow clock set '2026-03-05 09:00'"],
    "schema": ["procflow schema workflow -o workflow.schema.json", "procflow schema scenario"],
    "lsp": ["procflow lsp"],
    "serve": ["procflow serve", f"procflow serve --store {PG} --port 8080"],
    "forecast": ["procflow forecast models/coa.yaml --cases 1000 -o forecast",
                 "procflow forecast models/coa.yaml --from 2026-01-01 --to 2026-06-30 "
                 "--compare HEAD~1 --json"],
}


def add_examples(group: click.Group, prefix: str = "") -> None:
    """Each command's --help ends with its examples (click's epilog, kept as written with \\b)."""
    for name, command in group.commands.items():
        lines = EXAMPLES.get(prefix + name)
        if lines:
            command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
        if isinstance(command, click.Group):
            add_examples(command, prefix + name + " ")
