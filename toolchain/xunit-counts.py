#!/usr/bin/env python3
"""Prints 'N passed, N failed' for the test cases in xUnit XML files (swift test
--xunit-output): a test case failed if it has any <failure> or <error> element."""
import sys
import xml.etree.ElementTree as ET

passed = failed = 0
for path in sys.argv[1:]:
    for case in ET.parse(path).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
print(f"{passed} passed, {failed} failed")
