#!/usr/bin/env python3
"""Counts the test cases in xUnit XML files (swift test --xunit-output).
Usage: xunit-counts.py LABEL FILE...
A case failed if it has a <failure> or <error> element; a case with a <skipped> element
(a trait disabled it: a missing tool or binary) neither passed nor failed: each is named
on a 'LABEL: skipped NAME: reason' line. The last line is 'LABEL: N passed, N failed'."""
import sys
import xml.etree.ElementTree as ET

label = sys.argv[1]
passed = failed = 0
skipped = []
for path in sys.argv[2:]:
    for case in ET.parse(path).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif (reason := case.find("skipped")) is not None:
            skipped.append(f"{case.get('classname')}.{case.get('name')}: {(reason.text or '').strip()}")
        else:
            passed += 1
for name in skipped:
    print(f"{label}: skipped {name}")
print(f"{label}: {passed} passed, {failed} failed")
