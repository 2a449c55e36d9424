"""Forecasting a caseload (`procflow forecast`): a workload model's cases played through the engine.

model.py   the workload model: YAML with positions -> schema -> checked against the workflow
draw.py    the random draws of a partition (numpy's Generator), made before anything is played
play.py    one partition played through Engine.fire on a simulated clock, folded into Figures
figures.py the figures: counts that merge by addition, read as JSON
run.py     the partitions and their seeds, played on local processes or a Dask cluster
report.py  text, CSV and HTML from the figures' JSON; plots.py draws them (matplotlib)
command.py what the CLI command calls

Only model.py is needed to check a model; the rest needs the `forecast` extra (numpy, matplotlib,
tqdm, and dask.distributed for --dask).
"""
