#!/usr/bin/env python3
"""Prints every failed test of the given .trx files: its name and the first lines of its
error message, so that the end of a CI log (which may be all that is kept) names what failed
and why. ops/test.sh calls it just before its totals line. Exit status 0 always: the totals
decide the run."""
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
HEAD_LINES, TAIL_LINES = 4, 30


def failures(path):
    root = ET.parse(path).getroot()
    for result in root.iter(NS + "UnitTestResult"):
        if result.get("outcome") in ("Passed", "NotExecuted", "Inconclusive"):
            continue
        message = result.findtext(f"{NS}Output/{NS}ErrorInfo/{NS}Message") or "(no message)"
        yield result.get("testName"), result.get("duration"), message.strip().splitlines()


def main(paths):
    found = [f for path in paths for f in failures(path)]
    if not found:
        return
    print(f"==> {len(found)} failed test(s):")
    for name, duration, lines in found:
        print(f"FAILED {name} [{duration}]")
        # The cause is usually in the first lines, a load tool's verdict in its last ones.
        if len(lines) > HEAD_LINES + TAIL_LINES:
            lines = lines[:HEAD_LINES] + [f"... {len(lines) - HEAD_LINES - TAIL_LINES} line(s) left out"] + lines[-TAIL_LINES:]
        for line in lines:
            print(f"    {line[:300]}")


if __name__ == "__main__":
    main(sys.argv[1:])
