"""Signed requests against a running simulator: every scheme accepted when right, and each way
of getting it wrong answered with the real code, HTTP status and body shape."""

import time
import unittest

import sim_client as sc

CMS = "2019-01-01"
STS = "2015-04-01"


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = sc.Sim.start()
        cls.c = cls.sim.client()
        cls.prod = cls.sim.info["clusters"]["prod"]

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def tearDown(self):
        self.assertNotIn("Traceback", self.sim.stderr(), "the simulator hit a bug")

    def assertPopError(self, r, status, code):
        self.assertEqual(r.status, status, r.body)
        body = r.json
        self.assertEqual(body["Code"], code)
        for key in ("RequestId", "HostId", "Message", "Recommend"):
            self.assertIn(key, body)
        self.assertEqual(r.headers["x-acs-request-id"], body["RequestId"])
        return body

    def assertSlsError(self, r, status, code):
        self.assertEqual(r.status, status, r.body)
        self.assertEqual(set(r.json), {"errorCode", "errorMessage"})
        self.assertEqual(r.json["errorCode"], code)
        self.assertRegex(r.headers["x-log-requestid"], r"^[0-9A-F]{24}$")
        return r.json

    # ------------------------------------------------------------------ every scheme works

    def test_acs3_roa_rpc_and_sls_schemes_are_accepted(self):
        self.assertEqual(self.c.cs("GET", "/api/v1/clusters", {"page_size": 1}, action="DescribeClustersV1").status, 200)
        self.assertEqual(self.c.roa("GET", f"/clusters/{self.prod}", action="DescribeClusterDetail").status, 200)
        self.assertEqual(self.c.roa("POST", f"/clusters/{self.prod}/diagnosis", body={"type": "cluster", "target": {}},
                                    action="CreateClusterDiagnosis", md5=True).status, 200)
        self.assertEqual(self.c.rpc(STS, "GetCallerIdentity").status, 200)
        self.assertEqual(self.c.rpc(STS, "GetCallerIdentity", method="GET").status, 200)
        self.assertEqual(self.c.rpc(STS, "GetCallerIdentity", placement="form").status, 200)
        self.assertEqual(self.c.rpc3(CMS, "DescribeMetricLast", {"Namespace": "acs_ecs_dashboard",
                                                                  "MetricName": "CPUUtilization"}).status, 200)
        project = "k8s-log-" + self.prod
        q = {"type": "log", "from": 0, "to": 2 ** 31, "query": "*", "line": 1}
        for r in (self.c.sls("GET", "/logstores/k8s-event", q, project=project),
                  self.c.sls("GET", "/logstores/k8s-event", q, project=project, sigmethod="hmac-sha1"),
                  self.c.sls("GET", "/logstores/k8s-event", q, project=project, drop=("x-log-signaturemethod",),
                             sigmethod="hmac-sha1"),
                  self.c.sls4("GET", "/logstores/k8s-event", q, project=project)):
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(len(r.json), 1)
        schemes = [e["scheme"] for e in self.sim.requests() if e.get("verified")]
        for s in ("ACS3-HMAC-SHA256", "ROA-HMAC-SHA1", "RPC-HMAC-SHA1", "LOG-HMAC-SHA256", "LOG-HMAC-SHA1",
                  "SLS4-HMAC-SHA256"):
            self.assertIn(s, schemes)

    def test_query_values_needing_encoding_verify(self):
        odd = "my cluster*~/!'()+é"
        for r in (self.c.cs("GET", "/api/v1/clusters", {"name": odd}, action="DescribeClustersV1"),
                  self.c.roa("GET", "/api/v1/clusters", {"name": odd}, action="DescribeClustersV1"),
                  self.c.rpc(CMS, "DescribeMetricLast", {"Namespace": odd, "MetricName": "x"})):
            self.assertEqual(r.status, 200, r.body)

    def test_roa_accepts_empty_value_parameters(self):
        r = self.c.roa("GET", "/api/v1/clusters", {"name": "", "page_size": "3"}, action="DescribeClustersV1")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(len(r.json["clusters"]), 3)

    # ------------------------------------------------------------------ wrong secret

    def test_wrong_secret_pop(self):
        for r in (self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1", secret="wrong"),
                  self.c.roa("GET", "/api/v1/clusters", action="DescribeClustersV1", secret="wrong"),
                  self.c.rpc(STS, "GetCallerIdentity", secret="wrong")):
            body = self.assertPopError(r, 400, "SignatureDoesNotMatch")
            self.assertIn("server string to sign is:", body["Message"])
        entry = self.sim.last_request(action="GetCallerIdentity")
        self.assertFalse(entry["verified"])
        self.assertEqual(entry["auth_error"], "SignatureDoesNotMatch")
        self.assertTrue(entry["expected_string_to_sign"].startswith("POST&%2F&AccessKeyId%3D"))

    def test_acs3_mismatch_message_has_server_string_to_sign(self):
        r = self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1", secret="wrong")
        msg = self.assertPopError(r, 400, "SignatureDoesNotMatch")["Message"]
        self.assertRegex(msg, r"server string to sign is:ACS3-HMAC-SHA256\n[0-9a-f]{64}$")

    def test_acs3_body_hash_mismatch_fails(self):
        r = self.c.cs("POST", f"/clusters/{self.prod}/diagnosis", body={"type": "cluster"},
                      action="CreateClusterDiagnosis", body_hash="0" * 64)
        self.assertPopError(r, 400, "SignatureDoesNotMatch")

    def test_wrong_secret_sls(self):
        project = "k8s-log-" + self.prod
        q = {"type": "log", "from": 0, "to": 10}
        for r in (self.c.sls("GET", "/logstores/k8s-event", q, project=project, secret="wrong"),
                  self.c.sls4("GET", "/logstores/k8s-event", q, project=project, secret="wrong")):
            self.assertSlsError(r, 401, "SignatureNotMatch")

    # ------------------------------------------------------------------ keys

    def test_unknown_access_key(self):
        bad = self.sim.client("LTAI5tNoSuchKey000000000", "x")
        self.assertPopError(bad.cs("GET", "/api/v1/clusters", action="DescribeClustersV1"), 404,
                            "InvalidAccessKeyId.NotFound")
        self.assertPopError(bad.rpc(STS, "GetCallerIdentity"), 404, "InvalidAccessKeyId.NotFound")
        self.assertSlsError(bad.sls("GET", "/logstores", project="k8s-log-" + self.prod), 401, "InvalidAccessKeyId")
        entry = self.sim.last_request(product="sls")
        self.assertEqual(entry["access_key_id"], "LTAI****0000")
        self.assertNotIn("LTAI5tNoSuchKey000000000", str(self.sim.requests()))

    def test_disabled_access_key(self):
        ak, secret = self.sim.key("full", enabled=False)
        d = self.sim.client(ak, secret)
        self.assertPopError(d.cs("GET", "/api/v1/clusters", action="DescribeClustersV1"), 400,
                            "InvalidAccessKeyId.Inactive")
        self.assertSlsError(d.sls("GET", "/logstores", project="k8s-log-" + self.prod), 401, "Unauthorized")

    # ------------------------------------------------------------------ time and nonce

    def test_stale_timestamps(self):
        old = time.time() - 16 * 60
        self.assertPopError(self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1",
                                      date=sc.iso8601(old)), 400, "InvalidTimeStamp.Expired")
        self.assertPopError(self.c.roa("GET", "/api/v1/clusters", action="DescribeClustersV1",
                                       date=sc.rfc1123(old)), 400, "InvalidTimeStamp.Expired")
        self.assertPopError(self.c.rpc(STS, "GetCallerIdentity", timestamp=sc.iso8601(time.time() + 16 * 60)), 400,
                            "InvalidTimeStamp.Expired")
        self.assertSlsError(self.c.sls("GET", "/logstores", project="k8s-log-" + self.prod, date=sc.rfc1123(old)),
                            400, "RequestTimeExpired")

    def test_timestamp_inside_window_is_accepted(self):
        r = self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1", date=sc.iso8601(time.time() - 14 * 60))
        self.assertEqual(r.status, 200, r.body)

    def test_malformed_timestamps(self):
        self.assertPopError(self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1",
                                      date="2024-01-02T03:04:05.123Z"), 400, "InvalidTimeStamp.Format")
        self.assertPopError(self.c.rpc(STS, "GetCallerIdentity", timestamp="yesterday"), 400,
                            "InvalidTimeStamp.Format")
        self.assertSlsError(self.c.sls("GET", "/logstores", project="k8s-log-" + self.prod, date="2024-01-02"),
                            400, "InvalidDateFormat")

    def test_reused_nonce(self):
        for send in (lambda n: self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1", nonce=n),
                     lambda n: self.c.roa("GET", "/api/v1/clusters", action="DescribeClustersV1", nonce=n),
                     lambda n: self.c.rpc(STS, "GetCallerIdentity", nonce=n)):
            nonce = sc.secrets.token_hex(16)
            self.assertEqual(send(nonce).status, 200)
            self.assertPopError(send(nonce), 400, "SignatureNonceUsed")

    def test_nonce_of_a_rejected_signature_is_not_burnt(self):
        nonce = sc.secrets.token_hex(16)
        self.assertEqual(self.c.rpc(STS, "GetCallerIdentity", nonce=nonce, secret="wrong").status, 400)
        self.assertEqual(self.c.rpc(STS, "GetCallerIdentity", nonce=nonce).status, 200)

    # ------------------------------------------------------------------ missing pieces

    def test_missing_parameters(self):
        for name in ("Timestamp", "SignatureNonce", "AccessKeyId"):
            body = self.assertPopError(self.c.rpc(STS, "GetCallerIdentity", drop=(name,)), 400, "MissingParameter")
            self.assertIn(f'"{name}"', body["Message"])
        body = self.assertPopError(self.c.rpc(STS, "", drop=("Action",)), 400, "MissingParameter")
        self.assertIn('"Action"', body["Message"])
        for header in ("x-acs-signature-nonce", "x-acs-date", "x-acs-content-sha256"):
            body = self.assertPopError(self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1",
                                                 drop=(header,)), 400, "MissingParameter")
            self.assertIn(header, body["Message"])
        body = self.assertPopError(self.c.roa("GET", "/api/v1/clusters", action="DescribeClustersV1", drop=("date",)),
                                   400, "MissingParameter")
        self.assertIn('"date"', body["Message"])
        self.assertSlsError(self.c.sls("GET", "/logstores", project="k8s-log-" + self.prod, drop=("date",)), 400,
                            "MissingDate")

    def test_no_signature_at_all(self):
        r = sc.unsigned(self.sim, "GET", "/api/v1/clusters")
        self.assertPopError(r, 400, "IncompleteSignature")
        r = sc.unsigned(self.sim, "POST", "/?Action=GetCallerIdentity&Version=2015-04-01&Format=JSON")
        body = self.assertPopError(r, 400, "MissingParameter")
        self.assertIn("AccessKeyId", body["Message"])
        r = sc.unsigned(self.sim, "GET", "/logstores", {"x-log-apiversion": "0.6.0"})
        self.assertSlsError(r, 401, "Unauthorized")

    def test_acs3_headers_must_be_signed(self):
        r = self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1", unsigned=("x-acs-signature-nonce",))
        body = self.assertPopError(r, 400, "IncompleteSignature")
        self.assertIn("x-acs-signature-nonce", body["Message"])
        r = self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1", unsigned=("host",))
        self.assertPopError(r, 400, "IncompleteSignature")

    def test_malformed_authorization(self):
        h = {"host": self.c.host, "authorization": "ACS3-HMAC-SHA256 Credential=x,Signature=zz",
             "x-acs-version": "2015-12-15"}
        self.assertPopError(sc.unsigned(self.sim, "GET", "/api/v1/clusters", h), 400, "IncompleteSignature")

    def test_roa_content_md5_is_checked(self):
        r = self.c.roa("POST", f"/clusters/{self.prod}/diagnosis", body={"type": "cluster"},
                       action="CreateClusterDiagnosis", extra={"content-md5": "1B2M2Y8AsgTpgAmY7PhCfg=="})
        self.assertPopError(r, 400, "InvalidContentMD5")

    def test_mismatched_action_header_is_logged(self):
        self.assertEqual(self.c.cs("GET", f"/clusters/{self.prod}", action="DescribeClusterDetail").status, 200)
        self.assertNotIn("action_header", self.sim.last_request(product="cs"))
        self.assertEqual(self.c.cs("GET", f"/clusters/{self.prod}", action="DescribeCluster").status, 200)
        self.assertEqual(self.sim.last_request(product="cs")["action_header"], "DescribeCluster")

    def test_unknown_api(self):
        self.assertPopError(self.c.cs("GET", "/clusters/x/nonsense", action="Nope"), 404, "InvalidAction.NotFound")
        self.assertPopError(self.c.rpc3(CMS, "DescribeNothing"), 404, "InvalidAction.NotFound")
        self.assertPopError(self.c.rpc("1999-01-01", "GetCallerIdentity"), 400, "InvalidVersion")

    # ------------------------------------------------------------------ RAM

    def test_read_only_key_reads_but_cannot_write(self):
        ro = self.sim.client(profile="readonly")
        np = self.sim.info["nodepools"]["prod_default"]
        self.assertEqual(ro.cs("GET", f"/clusters/{self.prod}/nodepools", action="DescribeClusterNodePools").status, 200)
        before = self.sim.state()
        r = ro.cs("POST", f"/clusters/{self.prod}/nodepools/{np}", body={"count": 1}, action="ScaleClusterNodePool")
        body = self.assertPopError(r, 403, "Forbidden.RAM")
        self.assertIn("cs:ScaleClusterNodePool", body["Message"])
        r = ro.cs("POST", f"/clusters/{self.prod}/diagnosis", body={"type": "cluster"}, action="CreateClusterDiagnosis")
        self.assertPopError(r, 403, "Forbidden.RAM")
        self.assertEqual(self.sim.state()["tasks"], before["tasks"])
        entry = self.sim.last_request(action="CreateClusterDiagnosis")
        self.assertEqual((entry["class"], entry["verified"], entry["status"]), ("job", True, 403))


if __name__ == "__main__":
    unittest.main()
