"""The ``newsdesk`` command.

main.py      parse, build the settings once, run the command, map its error to an exit code
commands.py  the table of commands and their arguments (the parser is built from it)
parser.py    the table's types and the parser built from them
running.py   the commands that run a flow: run, demo, ingest-urls, reextract, serve
reading.py   the commands that read a warehouse: query, feeds, status, search, report, export
upkeep.py    backup, restore, dedupe-index, countries
output.py    how results are printed: tables, CSV, JSON lines, the run summary
errors.py    exit codes and the one mapping from an error to its exit code
supervise.py a flow command's child processes end with it
"""
