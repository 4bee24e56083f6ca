#!/usr/bin/env python3
"""check-table.py - the seeds' CLI test table, run against s3iamd and explained.

Runs each command of the table in the seed notes (000_21a69afccb042c0e.txt, "CLI tests for engineer
and analyst user groups") as engineer-NAME and as analyst-NAME, plus rows that go through the access
points (alias and ARN), and prints the table back: for each cell the outcome the seeds give, the
outcome s3iam gave, and for every denial the reason -- the statement that decided (the response
header x-s3iam-decision, read from `aws --debug`) and what the policies say about it.

Usage: check-table.py [-d STATE_DIR] [--aws AWS_CLI] [--server-log FILE [--explain]] [--json FILE]
                      [--quiet]

  STATE_DIR   what setup.sh wrote (state.env, aws/config, aws/credentials); default ./landing-zone-demo
  AWS_CLI     the aws command the table runs (default: $AWS or "aws"); v1 and v2 both work
  FILE        s3iamd's log: with it every cell also shows each decision the server took for the
              command, allowed ones included (log lines "authz ALLOW|DENY id=REQUEST-ID ..."),
              and an allowed cell must have been allowed by the statement the table names
  --explain   with --server-log: also print the server's whole explanation of each denial
  --json      also write the results, one object per cell, to FILE (for tests)

Exit status: 0 when every cell matches the expected outcome, 1 otherwise, 2 on usage errors.

The expected outcome of a cell is the seeds' mark: a check mark is an allowed request; a cross and
"Failed" are denials (403 AccessDenied).  The denial's kind (explicit Deny statement or nothing
allowing) and, for explicit denials, the statement, are those of the decision cases written for
the table (policy cases "13-seed-table"); the seeds leave the engineer's row 7 cell blank: it is
allowed.  The access point rows are not in the seeds: their expectations follow the same policies.
"""

import argparse
import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap

ALLOW, IMPLICIT, EXPLICIT = "Allow", "ImplicitDeny", "ExplicitDeny"


class Cell:
    """What one user should get from one command."""

    def __init__(self, seeds, expect, sid=None, why=""):
        self.seeds = seeds      # the seeds' mark: "✓", "✗", "Failed", "" (blank), "-" (not in seeds)
        self.expect = expect    # ALLOW, IMPLICIT or EXPLICIT
        self.sid = sid          # the deciding statement's Sid (explicit denials; allows: informative)
        self.why = why          # the explanation a student reads


class Row:
    def __init__(self, ident, cmd, engineer, analyst):
        self.ident = ident
        self.cmd = cmd          # with {LZ} {AN} {LZ_ALIAS} {AN_ALIAS} {LZ_AP_ARN} {AN_AP_ARN}
        self.cells = {"engineer": engineer, "analyst": analyst}


NO_DAP = ("s3:DataAccessPointArn is absent when the bucket is addressed by name, so "
          "PutAnalysisS3BucketLimitedBySource (ForAnyValue:StringEquals on it) does not match; "
          "CreateFoldersInAnalysisS3Bucket matches only keys ending in '/'")
COPY = ("CopyObject is authorized as s3:GetObject on the source (allowed: GetAllS3Buckets) and "
        "s3:PutObject on the destination; \"s3:CopyObject\" in PutAnalysisS3BucketLimitedBySource is "
        "not an IAM action and matches nothing, and " + NO_DAP.split(", so")[0] +
        ", so nothing allows the s3:PutObject.  The analyst's write path is the analysis access "
        "point (rows A1-A6)")
NO_SSE = ("DenyUnencryptedS3ObjectUploads: the request carries no x-amz-server-side-encryption "
          "header (Null condition true); the bucket's default encryption does not add one to the "
          "request, and an explicit Deny beats every Allow")
ENG_AP = ("the access point policy names only analyst-{name}, and engineer_access names only "
          "arn:aws:s3:::* resources, which do not match the access point ARN: the access point "
          "check fails")

ROWS = [
    Row("1", 'echo "hi" | aws s3 cp - s3://{LZ}/test/hw.txt --sse AES256',
        Cell("✓", ALLOW, "AccessAllS3Settings"),
        Cell("✗", IMPLICIT, why="no analyst_access statement allows s3:PutObject on the landing zone")),
    Row("2", "aws s3 ls s3://{LZ}/test/",
        Cell("✓", ALLOW, "AccessAllS3Settings"),
        Cell("✓", ALLOW, "AccessAllS3Settings")),
    Row("3", 'echo "hi" | aws s3 cp - s3://{AN}/test/hw.txt --sse AES256',
        Cell("✓", ALLOW, "AccessAllS3Settings"),
        Cell("✗", IMPLICIT, why=NO_DAP)),
    Row("4", "aws s3 ls s3://{AN}/test/",
        Cell("✓", ALLOW, "AccessAllS3Settings"),
        Cell("✓", ALLOW, "AccessAllS3Settings")),
    Row("5", "aws s3 cp s3://{LZ}/test/hw.txt s3://{AN}/test/hw_copy.txt --sse AES256",
        Cell("✓", ALLOW, "AccessAllS3Settings"),
        Cell("Failed", IMPLICIT, why=COPY)),
    Row("6", "aws s3 cp s3://{AN}/test/hw.txt s3://{LZ}/test/hw_copy.txt --sse AES256",
        Cell("✓", ALLOW, "AccessAllS3Settings"),
        Cell("✗", IMPLICIT, why="no analyst_access statement allows s3:PutObject on the landing zone "
             "(the read of the source is allowed by GetAllS3Buckets)")),
    Row("7", "aws s3 cp s3://{AN}/test/hw.txt s3://{AN}/test_copy/hw_copy.txt --sse AES256",
        Cell("", ALLOW, "AccessAllS3Settings",
             why="blank in the seeds; AccessAllS3Settings allows it like rows 5 and 6"),
        Cell("Failed", IMPLICIT, why="as row 5: " + COPY)),
    Row("8", "aws s3 rm s3://{LZ}/test/hw_copy.txt",
        Cell("✓", ALLOW, "AccessAllS3Settings"),
        Cell("✗", IMPLICIT, why="the analyst may delete only in the analysis bucket "
             "(DeleteObjectsInAnalysisS3Bucket)")),
    Row("9", "aws s3 rm s3://{AN}/test/hw_copy.txt",
        Cell("✓", ALLOW, "AccessAllS3Settings"),
        Cell("✓", ALLOW, "DeleteObjectsInAnalysisS3Bucket",
             why="allowed; the engineer removed the object just before: S3's DeleteObject succeeds "
             "for a missing key (a delete marker in a versioned bucket)")),
    Row("10", "aws s3 cp s3://{LZ}/test/hw.txt s3://{AN}/test/hw.txt",
        Cell("✗", EXPLICIT, "DenyUnencryptedS3ObjectUploads", why=NO_SSE),
        Cell("✗", EXPLICIT, "DenyUnencryptedS3ObjectUploads", why=NO_SSE)),
    # Not in the seeds: the access points.  A request through one must pass two checks: the access
    # point check (identity + access point policy, resource ACCESS-POINT-ARN[/object/KEY]) and the
    # bucket check (identity + bucket policy, resource arn:aws:s3:::BUCKET[/KEY], with
    # s3:DataAccessPointArn set).
    Row("A1", 'echo "hi" | aws s3 cp - s3://{AN_ALIAS}/test/ap.txt --sse AES256',
        Cell("-", IMPLICIT, why=ENG_AP),
        Cell("-", ALLOW, "PutAnalysisS3BucketLimitedBySource",
             why="access point check: the access point policy names analyst-{name} on .../object/*; "
             "bucket check: PutAnalysisS3BucketLimitedBySource sees s3:DataAccessPointArn")),
    Row("A2", 'echo "hi" | aws s3 cp - s3://{AN_AP_ARN}/test/ap_arn.txt --sse AES256',
        Cell("-", IMPLICIT, why=ENG_AP),
        Cell("-", ALLOW, "PutAnalysisS3BucketLimitedBySource",
             why="as A1, addressed by the access point ARN (host {ap}-{account}.localhost)")),
    Row("A3", 'echo "hi" | aws s3 cp - s3://{AN_ALIAS}/test/ap_plain.txt',
        Cell("-", EXPLICIT, "DenyUnencryptedS3ObjectUploads", why=NO_SSE),
        Cell("-", EXPLICIT, "DenyUnencryptedS3ObjectUploads",
             why=NO_SSE + " (it matches on the bucket check: arn:aws:s3:::*)")),
    Row("A4", "aws s3 ls s3://{AN_ALIAS}/test/",
        Cell("-", IMPLICIT, why=ENG_AP),
        Cell("-", ALLOW, "AccessAllS3Settings",
             why="access point check: the access point policy (access point ARN); bucket check: "
             "AccessAllS3Settings")),
    Row("A5", "aws s3 cp s3://{LZ}/test/hw.txt s3://{AN_ALIAS}/test/hw_copy.txt --sse AES256",
        Cell("-", IMPLICIT, why=ENG_AP),
        Cell("-", ALLOW, "PutAnalysisS3BucketLimitedBySource",
             why="row 5 done the way the analyst policy intends: the source is read by name "
             "(GetAllS3Buckets), the destination is written through the analysis access point")),
    Row("A6", "aws s3 rm s3://{AN_ALIAS}/test/hw_copy.txt",
        Cell("-", IMPLICIT, why=ENG_AP),
        Cell("-", ALLOW, "DeleteObjectsInAnalysisS3Bucket")),
    Row("A7", 'echo "hi" | aws s3 cp - s3://{LZ_ALIAS}/test/ap.txt --sse AES256',
        Cell("-", IMPLICIT, why=ENG_AP),
        Cell("-", IMPLICIT,
             why="the access point check passes (its policy names analyst-{name}), but the bucket "
             "check does not: PutAnalysisS3BucketLimitedBySource covers only the analysis bucket. "
             "An access point never grants more than the bucket side allows")),
    Row("A8", "aws s3 cp s3://{LZ_ALIAS}/test/hw.txt -",
        Cell("-", IMPLICIT, why=ENG_AP),
        Cell("-", ALLOW, "GetAllS3Buckets",
             why="access point check: the landing zone access point policy; bucket check: "
             "GetAllS3Buckets")),
]

USERS = ("engineer", "analyst")
MARK = {ALLOW: "✓", IMPLICIT: "✗", EXPLICIT: "✗"}

HDR_RE = re.compile(r"Response headers: (\{.*\})\s*$")
# v1: "... the PutObject operation: MSG"; v2 adds " (reached max retries: 0)" before the colon
ERR_RE = re.compile(r"An error occurred \(([^)]*)\) when calling the (\w+) operation(?: \([^)]*\))?: ?(.*)")
DENIED_RE = re.compile(r'is not authorized to perform: (\S+) on resource: "?([^" ]+)"? (.*)$')
LOG_RE = re.compile(r"authz (ALLOW|DENY) id=(\S+) principal=\S+ action=(\S+) resource=(\S+) "
                    r"decision=(\w+)(?: by=([^|]*))?")


def read_state(d):
    st = {}
    path = os.path.join(d, "state.env")
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    k, v = line.split("=", 1)
                    st[k] = v
    except OSError as e:
        sys.exit("check-table.py: cannot read %s (%s): run setup.sh first" % (path, e.strerror))
    for k in ("NAME", "ACCOUNT", "ENDPOINT", "LZ_BUCKET", "AN_BUCKET", "LZ_ALIAS", "AN_ALIAS",
              "LZ_AP_ARN", "AN_AP_ARN"):
        if k not in st:
            sys.exit("check-table.py: %s has no %s" % (path, k))
    return st


def headers_of(debug_text):
    """Every response's headers, in order, from botocore's debug log."""
    out = []
    for line in debug_text.splitlines():
        m = HDR_RE.search(line)
        if m:
            try:
                h = ast.literal_eval(m.group(1))
            except (ValueError, SyntaxError):
                continue
            if isinstance(h, dict):
                out.append({str(k).lower(): str(v) for k, v in h.items()})
    return out


def short_by(by):
    """'arn:aws:iam::1:policy/analyst_access#Sid (statement 3, line 40)' -> 'analyst_access#Sid'."""
    by = by.strip()
    by = re.sub(r"arn:aws:iam::\d+:policy/", "", by)
    return re.sub(r" \(statement \d+, line \d+\)| \(line \d+\)", "", by)


def run_cell(args, st, wrapper_dir, row, user):
    name = st["NAME"]
    cmd = row.cmd.format(LZ=st["LZ_BUCKET"], AN=st["AN_BUCKET"], LZ_ALIAS=st["LZ_ALIAS"],
                         AN_ALIAS=st["AN_ALIAS"], LZ_AP_ARN=st["LZ_AP_ARN"],
                         AN_AP_ARN=st["AN_AP_ARN"])
    env = dict(os.environ)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE",
              "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        env.pop(k, None)
    env.update({
        "PATH": wrapper_dir + os.pathsep + env.get("PATH", ""),
        "AWS_PROFILE": "%s-%s" % (user, name),
        "AWS_CONFIG_FILE": os.path.join(args.state, "aws", "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(args.state, "aws", "credentials"),
        "AWS_PAGER": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
    })
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], env=env, capture_output=True,
                       text=True, errors="replace", timeout=120)
    hdrs = headers_of(p.stderr)
    res = {"row": row.ident, "user": user, "command": cmd, "exit": p.returncode,
           "request_ids": [h["x-amz-request-id"] for h in hdrs if "x-amz-request-id" in h],
           "decision_header": "", "code": "", "operation": "", "message": ""}
    decisions = [h["x-s3iam-decision"] for h in hdrs if "x-s3iam-decision" in h]
    if decisions:
        res["decision_header"] = decisions[-1]
    errs = [m for m in (ERR_RE.search(l) for l in p.stderr.splitlines()) if m]
    if errs:
        res["code"], res["operation"], res["message"] = errs[-1].group(1), errs[-1].group(2), \
            errs[-1].group(3).strip()
    elif p.returncode != 0:
        tail = [l for l in p.stderr.splitlines() if l and not re.match(r"\d{4}-\d\d-\d\d ", l)]
        res["message"] = tail[-1] if tail else "exit status %d" % p.returncode
    if p.returncode == 0:
        res["outcome"] = "allowed"
    elif res["code"] in ("AccessDenied", "403"):
        res["outcome"] = "denied"
    else:
        res["outcome"] = "error"
    return res


def log_decisions(log_text, request_ids):
    """The server's authz lines for these requests: (verdict, action, resource, decision, by)."""
    want = set(request_ids)
    out = []
    for line in log_text.splitlines():
        m = LOG_RE.search(line)
        if m and m.group(2) in want:
            out.append((m.group(1), m.group(3), m.group(4), m.group(5), short_by(m.group(6) or "")))
    return out


def log_explanations(log_text, request_ids):
    """The server's explanation of each denial of these requests (the text after " | " on its
    "authz DENY" lines, one list item per line)."""
    want = set(request_ids)
    out = []
    for line in log_text.splitlines():
        m = LOG_RE.search(line)
        if m and m.group(1) == "DENY" and m.group(2) in want and " | " in line:
            out.extend(part.rstrip() for part in line.split(" | ")[1:] if part.strip())
    return out


def judge(cell, res, decisions):
    """(matches, why-not).  decisions: the server's log lines for the cell (may be empty)."""
    if cell.expect == ALLOW:
        if res["outcome"] != "allowed":
            return False, "expected the request to succeed"
        # With the server log: the statement the table names must be among those that allowed.
        if decisions and cell.sid and not any(v == "ALLOW" and ("#" + cell.sid) in by
                                               for v, _, _, _, by in decisions):
            return False, "allowed, but not by %s" % cell.sid
        return True, ""
    if res["outcome"] != "denied":
        return False, "expected AccessDenied, got %s" % (
            "success" if res["outcome"] == "allowed" else (res["code"] or res["message"]))
    hdr = res["decision_header"]
    if not hdr:
        return False, "denied, but no x-s3iam-decision header names the deciding statement"
    if not hdr.startswith(cell.expect):
        return False, "expected %s, the server says %s" % (cell.expect, hdr.split(";")[0])
    if cell.expect == EXPLICIT and cell.sid and ("#" + cell.sid) not in hdr:
        return False, "expected the Deny statement %s to decide" % cell.sid
    return True, ""


def wrap(text, indent, width=100, hang=0):
    return textwrap.fill(text, width=width, initial_indent=indent,
                         subsequent_indent=" " * (len(indent) + hang), break_on_hyphens=False,
                         break_long_words=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-d", "--state", default="./landing-zone-demo")
    ap.add_argument("--aws", default=os.environ.get("AWS", "aws"))
    ap.add_argument("--server-log")
    ap.add_argument("--json")
    ap.add_argument("--explain", action="store_true",
                    help="with --server-log: print the server's whole explanation of each denial")
    ap.add_argument("--quiet", action="store_true", help="print only the summary table")
    args = ap.parse_args()
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    args.state = os.path.abspath(args.state)
    st = read_state(args.state)
    real_aws = shutil.which(args.aws)
    if real_aws is None:
        sys.exit("check-table.py: AWS CLI %r not found" % args.aws)
    version = subprocess.run([real_aws, "--version"], capture_output=True, text=True)
    version = (version.stdout or version.stderr).split(" ")[0].strip()

    results = []
    with tempfile.TemporaryDirectory(prefix="lz-table.") as wd:
        # The table's commands are run as written: `aws` is this wrapper, which adds the endpoint
        # and --debug (for the response headers).
        with open(os.path.join(wd, "aws"), "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\nexec %s --endpoint-url %s --debug \"$@\"\n"
                    % (shlex.quote(real_aws), shlex.quote(st["ENDPOINT"])))
        os.chmod(os.path.join(wd, "aws"), 0o755)
        for row in ROWS:
            for user in USERS:
                results.append(run_cell(args, st, wd, row, user))

    log_text = ""
    if args.explain and not args.server_log:
        ap.error("--explain needs --server-log")
    if args.server_log:
        with open(args.server_log, encoding="utf-8", errors="replace") as f:
            log_text = f.read()

    name = st["NAME"]
    out = []
    say = out.append
    say("The CLI test table of the seed notes, run against s3iamd at %s with %s" % (st["ENDPOINT"], version))
    say("(NAME=%s, account %s; rows A1-A8 go through the access points, they are not in the seeds)"
        % (name, st["ACCOUNT"]))
    n_ok = 0
    it = iter(results)
    summary = []
    for row in ROWS:
        rs = {u: next(it) for u in USERS}
        if not args.quiet:
            say("")
            say("%-3s %s" % (row.ident, rs["engineer"]["command"]))
        marks = {}
        for user in USERS:
            cell, res = row.cells[user], rs[user]
            decisions = log_decisions(log_text, res["request_ids"]) if log_text else []
            good, bad = judge(cell, res, decisions)
            n_ok += good
            res.update({"seeds": cell.seeds, "expected": cell.expect, "expected_sid": cell.sid,
                        "match": good, "mismatch": bad})
            got = {"allowed": "✓", "denied": "✗ AccessDenied"}.get(res["outcome"], "error")
            if res["outcome"] == "error":
                got = "error %s" % (res["code"] or "")
            seed = {"": "(blank)", "-": "-"}.get(cell.seeds, cell.seeds)
            marks[user] = "%s / %s" % (seed if cell.seeds != "-" else MARK[cell.expect] + "*",
                                       "✓" if res["outcome"] == "allowed" else "✗")
            if not good:
                marks[user] += " MISMATCH"
            if args.quiet:
                continue
            say("    %-9s seeds %-8s s3iam %-16s %s" % (user, seed, got,
                                                        "as expected" if good else "MISMATCH: " + bad))
            if res["outcome"] != "allowed":
                if res["decision_header"]:
                    say(wrap("decided: " + short_by(res["decision_header"]), " " * 14))
                m = DENIED_RE.search(res["message"])
                if m:
                    say(wrap("request: %s on %s" % (m.group(1), m.group(2)), " " * 14))
                elif res["code"] == "403":
                    say(wrap("request: %s answered 403 (a HEAD response has no body: the header "
                             "above says why)" % res["operation"], " " * 14))
                elif res["message"]:
                    say(wrap("error: " + res["message"], " " * 14))
            for verdict, action, resource, decision, by in decisions:
                say(wrap("server: %s %s on %s%s" % (verdict, action, resource,
                                                    (" by " + by) if by else ""), " " * 14))
            if args.explain and res["outcome"] != "allowed":
                for line in log_explanations(log_text, res["request_ids"]):
                    lead = " " * (16 + len(line) - len(line.lstrip()))
                    say(wrap(line.strip(), lead, hang=2 if line.lstrip().startswith("- ") else 0))
            if cell.why:
                say(wrap("why: " + cell.why.format(name=name, account=st["ACCOUNT"],
                                                  ap=st["AN_AP_ARN"].rsplit("/", 1)[-1]), " " * 14))
        summary.append((row, marks))

    say("")
    say("| # | CLI test | engineer (seeds / s3iam) | analyst (seeds / s3iam) |")
    say("| - | -------- | ------------------------ | ----------------------- |")
    for row, marks in summary:
        cmd = row.cmd.format(LZ="<name>-landing-zone", AN="<name>-analysis",
                             LZ_ALIAS="<landing-zone-alias>", AN_ALIAS="<analysis-alias>",
                             LZ_AP_ARN="<landing-zone-access-point-arn>",
                             AN_AP_ARN="<analysis-access-point-arn>")
        say("| %s | `%s` | %s | %s |" % (row.ident, cmd.replace("|", "\\|"), marks["engineer"],
                                        marks["analyst"]))
    total = len(results)
    say("")
    say("(* not in the seeds: the outcome the policies give.)  %d of %d cells as expected."
        % (n_ok, total))
    sys.stdout.write("\n".join(out) + "\n")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1, ensure_ascii=False)
    return 0 if n_ok == total else 1


if __name__ == "__main__":
    sys.exit(main())
