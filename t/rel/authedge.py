"""t/rel/authedge.py - authentication edges: each refused with its AWS error code, and nothing
written (no key, no version, no file in the data dir).  Run by t/rel/authedge.sh.

  - a presigned PUT and GET replayed after they expired (they worked before)
  - a signature scoped to another region, and to another service
  - a session token used after the role session expired (server restarted with its clock
    moved past the expiry, S3IAM_FAKE_NOW; the client signs with the same clock)
  - an access key that was deactivated (and works again once reactivated)
  - clock skew both ways (20 minutes; 5 minutes is accepted)
  - an aws-chunked body with one tampered chunk signature (first, middle and last chunk)
Each refusal has a positive twin that succeeds, so a server refusing everything fails too.
"""
import argparse
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rellib  # noqa: E402
import sign  # noqa: E402  (t/lib/sign.py: botocore signer + aws-chunked builder)

B = "authedge-b"


class Edge:
    def __init__(self, rep, srv, data):
        self.rep, self.srv, self.data = rep, srv, data
        self.cli = rellib.RawS3(srv.endpoint)
        os.environ["ENDPOINT"] = srv.endpoint
        os.environ["DATA"] = data

    def state(self):
        r = self.cli.request("GET", "/%s" % B, "versions")
        return (sign.snapshot(self.data), r.body.count(b"<VersionId>"), r.body.count(b"<Key>"))

    def refused(self, what, resp, status, codes, before):
        codes = codes if isinstance(codes, tuple) else (codes,)
        ok = resp.status == status and resp.code in codes
        time.sleep(0.05)
        after = self.state()
        self.rep.check(ok and after == before, "%s: %d %s, nothing written" % (what, status, "/".join(codes)),
                       "got %r%s" % (resp, "" if after == before else "; the store changed: %s -> %s" %
                                     (before[1:], after[1:])))

    def presigned(self):
        s3 = rellib.client(self.srv.endpoint)
        put_url = s3.generate_presigned_url("put_object", Params={"Bucket": B, "Key": "presigned"}, ExpiresIn=2)
        get_url = s3.generate_presigned_url("get_object", Params={"Bucket": B, "Key": "presigned"}, ExpiresIn=2)

        def call(url, method, data=b""):
            # http.client, not urllib: urllib adds a Content-Type, which SigV2 URLs sign
            u = urllib.parse.urlsplit(url)
            hdrs = {"Host": u.netloc}
            if method == "PUT":
                hdrs["Content-Length"] = str(len(data))
            return sign.raw(method, u.path + "?" + u.query, hdrs, data)
        r = call(put_url, "PUT", b"first")
        g = call(get_url, "GET")
        self.rep.check(r.status == 200 and g.status == 200 and g.body == b"first",
                       "presigned PUT and GET work before they expire", "%r %r" % (r, g))
        time.sleep(3.2)
        before = self.state()
        self.refused("presigned PUT replayed after expiry", call(put_url, "PUT", b"second"), 403, "AccessDenied",
                     before)
        self.refused("presigned GET replayed after expiry", call(get_url, "GET"), 403, "AccessDenied", before)
        g = self.cli.request("GET", "/%s/presigned" % B)
        self.rep.check(g.body == b"first", "the object still holds the first upload", repr(g))

    def scope(self):
        body = b"scoped"
        for reg, svc, what, status, codes in (
                ("eu-west-1", "s3", "a signature for region eu-west-1", 400, "AuthorizationHeaderMalformed"),
                ("us-east-1", "ec2", "a signature for service ec2", 400,
                 ("AuthorizationHeaderMalformed", "SignatureDoesNotMatch")),
                ("us-east-1", "iam", "a signature for service iam", 400,
                 ("AuthorizationHeaderMalformed", "SignatureDoesNotMatch"))):
            before = self.state()
            old = os.environ.get("AWS_DEFAULT_REGION")
            os.environ["AWS_DEFAULT_REGION"] = reg
            try:
                r = sign.send("PUT", "/%s/scoped" % B, body=body, service=svc)
            finally:
                os.environ["AWS_DEFAULT_REGION"] = old or "us-east-1"
            if r.code == "SignatureDoesNotMatch":
                status = 403
            self.refused(what, r, status, codes, before)
        r = sign.send("PUT", "/%s/scoped" % B, body=body)
        self.rep.check(r.status == 200, "control: the same PUT signed for us-east-1/s3 is stored", repr(r))
        self.cli.request("DELETE", "/%s/scoped" % B)

    def skew(self):
        for secs, ok in ((-20 * 60, False), (20 * 60, False), (-5 * 60, True), (5 * 60, True)):
            before = self.state()
            r = sign.send("PUT", "/%s/skew" % B, body=b"skew", skew=secs)
            if ok:
                self.rep.check(r.status == 200, "clock %+d min: accepted" % (secs // 60), repr(r))
                self.cli.request("DELETE", "/%s/skew" % B)
            else:
                self.refused("clock %+d min" % (secs // 60), r, 403, "RequestTimeTooSkewed", before)

    def chunked(self):
        data = bytes(range(256)) * 1024      # 256 KiB: 4 chunks of 64 KiB plus the final empty one
        for idx, what in ((0, "first"), (2, "middle"), (4, "final (empty)")):
            before = self.state()
            r = sign.streaming_put("/%s/chunked" % B, data, tamper_chunk=idx)
            self.refused("aws-chunked with the %s chunk's signature tampered" % what, r, 403,
                         "SignatureDoesNotMatch", before)
        r = sign.streaming_put("/%s/chunked" % B, data)
        g = self.cli.request("GET", "/%s/chunked" % B)
        self.rep.check(r.status == 200 and g.body == data, "control: untampered aws-chunked PUT stored", repr(r))

    def deactivated(self):
        iam = rellib.client(self.srv.endpoint, "iam")
        iam.create_user(UserName="edge-user")
        iam.put_user_policy(UserName="edge-user", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        k = iam.create_access_key(UserName="edge-user")["AccessKey"]
        r = sign.send("PUT", "/%s/by-user" % B, body=b"u1", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
        self.rep.check(r.status == 200, "control: the user's active key can PUT", repr(r))
        iam.update_access_key(UserName="edge-user", AccessKeyId=k["AccessKeyId"], Status="Inactive")
        before = self.state()
        r = sign.send("PUT", "/%s/by-user" % B, body=b"u2", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
        self.refused("PUT with a deactivated access key", r, 403, "InvalidAccessKeyId", before)
        iam.update_access_key(UserName="edge-user", AccessKeyId=k["AccessKeyId"], Status="Active")
        r = sign.send("PUT", "/%s/by-user" % B, body=b"u3", key=k["AccessKeyId"], secret=k["SecretAccessKey"])
        self.rep.check(r.status == 200, "reactivated, the key works again", repr(r))

    def expired_session(self):
        iam = rellib.client(self.srv.endpoint, "iam")
        # Roles are assumed by an IAM user (root may not assume roles).
        iam.create_user(UserName="edge-assumer")
        iam.put_user_policy(UserName="edge-assumer", PolicyName="assume", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
        ak = iam.create_access_key(UserName="edge-assumer")["AccessKey"]
        iam.create_role(RoleName="edge-role", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS":
                                                   "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName="edge-role", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        sts = rellib.client(self.srv.endpoint, "sts", key=ak["AccessKeyId"], secret=ak["SecretAccessKey"])
        c = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/edge-role", RoleSessionName="edge",
                            DurationSeconds=900)["Credentials"]
        hdr = {"X-Amz-Security-Token": c["SessionToken"]}
        r = sign.send("PUT", "/%s/by-session" % B, headers=hdr, body=b"s1", key=c["AccessKeyId"],
                      secret=c["SecretAccessKey"])
        self.rep.check(r.status == 200, "control: the role session can PUT", repr(r))
        # Move the server's clock (and the signer's) past the session's expiry.
        later = int(time.time()) + 1000
        self.cli.close()
        if not self.srv.stop():
            self.rep.fail("s3iamd did not stop cleanly")
        self.srv.env["S3IAM_FAKE_NOW"] = str(later)
        self.srv.start()
        before = self.state()
        r = sign.send("PUT", "/%s/by-session" % B, headers=hdr, body=b"s2", key=c["AccessKeyId"],
                      secret=c["SecretAccessKey"], skew=1000)
        self.refused("PUT with the session token after the session expired", r, 400, "ExpiredToken", before)
        r = sign.send("PUT", "/%s/by-root-later" % B, body=b"r", skew=1000)
        self.rep.check(r.status == 200, "control: root, signing with the same clock, still writes", repr(r))


def main():
    os.environ.setdefault("AWS_ACCESS_KEY_ID", rellib.ROOT_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", rellib.ROOT_SECRET)
    os.environ.setdefault("AWS_DEFAULT_REGION", rellib.REGION)
    ap = argparse.ArgumentParser()
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    rep = rellib.Report("authedge")
    data = os.path.join(os.path.realpath(a.tmp), "data")
    srv = rellib.Server(data, a.log)
    srv.start()
    e = Edge(rep, srv, data)
    r = e.cli.request("PUT", "/" + B)
    if r.status != 200:
        rep.fatal("create bucket: %r" % r)
    e.cli.request("PUT", "/" + B, "versioning",
                  body=b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
    for case in (e.presigned, e.scope, e.skew, e.chunked, e.deactivated, e.expired_session):
        try:
            case()
        except Exception as ex:  # noqa: BLE001
            rep.fail("%s raised %s: %s" % (case.__name__, type(ex).__name__, ex))
        e.cli.close()
    rep.check(srv.stop(), "s3iamd stops cleanly (no sanitizer report)", srv.log_tail())
    rep.finish()


if __name__ == "__main__":
    main()
