"""Imported once by the forkserver that forks kpi's extraction workers (kpi.parallel): it imports the
extractor and runs it on a small page, so every worker forked from the server starts with the
vocabulary, the regular expressions and the date parser ready. Never raises."""

from kpi.parallel import warm_up

warm_up()
