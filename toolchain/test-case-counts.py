#!/usr/bin/env python3
"""Counts swift-testing test cases from an event stream (swift test
--experimental-event-stream-output FILE --experimental-event-stream-version 0): each
argument of a parameterised test is one case, a plain test is one.
Usage: test-case-counts.py LABEL FILE... Prints 'LABEL: N passed, N failed' on the last
line; skipped cases (a skipped parameterised test counts all its arguments) are shown on
a line 'LABEL: N skipped' before it. Exits 1 if no case ran, so a tier whose
arguments came out empty cannot pass."""
import json
import sys

declared = {}  # test id -> number of argument cases (None for a plain test)
failed_cases = set()  # (test id, case id or None)
ended = []  # (test id, case id or None)
skipped = 0
unlisted = 0  # parameterised tests skipped before listing their cases
label = sys.argv[1]
for path in sys.argv[2:]:
    for line in open(path, encoding="utf-8"):
        record = json.loads(line)
        payload = record.get("payload", {})
        if record.get("kind") == "test" and payload.get("kind") == "function":
            cases = payload.get("_testCases")
            # A parameterised test skipped by a trait never lists its cases: 0 then.
            declared[payload["id"]] = len(cases or []) if payload.get("isParameterized") else None
            continue
        if record.get("kind") != "event":
            continue
        kind = payload.get("kind")
        test = payload.get("testID")
        case = (payload.get("_testCase") or {}).get("id")
        if kind == "issueRecorded":
            issue = payload.get("issue", {})
            if not issue.get("isKnown", False):
                failed_cases.add((test, case))
        elif kind == "testCaseEnded":
            ended.append((test, case))
        elif kind == "testEnded" and test in declared and declared[test] is None:
            ended.append((test, None))
        elif kind == "testSkipped" and test in declared:
            if declared[test] is None:
                skipped += 1
            elif declared[test] > 0:
                skipped += declared[test]
            else:
                unlisted += 1

passed = sum(1 for c in ended if c not in failed_cases)
failed = len(ended) - passed
# An issue outside any case (e.g. thrown while computing arguments) fails its test.
failed += sum(1 for (test, case) in failed_cases if case is None and (test, None) not in ended)
if skipped or unlisted:
    print(f"{label}: {skipped} cases skipped, {unlisted} parameterised tests skipped with their cases")
print(f"{label}: {passed} passed, {failed} failed")
sys.exit(1 if passed + failed == 0 else 0)
