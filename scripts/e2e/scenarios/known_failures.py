"""What `whatami why` gets wrong today in the scenarios (scenarios.py): the checks, by
scenario, expected to fail until whatami is fixed. check.py counts them as known failures,
never as passes, and fails when one of them passes, so that each is taken out of this list
(the one place that says which) as the fix lands. The check names are check.py's."""

KNOWN_FAILURES = {}
