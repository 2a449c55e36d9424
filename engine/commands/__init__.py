"""The click commands of procflow's larger command groups, and the options and helpers they share.

The top layer, with cli.py: cli.py registers these commands; nothing else in `engine` imports this
package. Each command imports the modules it runs inside itself, so that `procflow --help` loads
none of them.
"""
