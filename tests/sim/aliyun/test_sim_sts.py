"""STS (AssumeRoleWithOIDC unsigned, AssumeRole, GetCallerIdentity), temporary credentials that
authenticate later calls and then expire, and the IMDSv2 metadata flow."""

import json
import time
import unittest
from urllib.parse import quote

import sim_client as sc

STS = "2015-04-01"


def read(path):
    with open(path) as f:
        return f.read()


def oidc_form(sim, token=None, role=None, **extra):
    form = {"OIDCProviderArn": sim.info["sts"]["oidc_provider_arn"],
            "OIDCToken": token if token is not None else read(sim.info["sts"]["oidc_token_file"]),
            "RoleArn": role or sim.info["sts"]["role_arn"], "RoleSessionName": "ack-mcp-test",
            "DurationSeconds": "3600"}
    form.update(extra)
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in form.items() if v is not None).encode()


def assume_oidc(sim, **kw):
    target = f"/?Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01&Timestamp={quote(sc.iso8601())}"
    return sc.unsigned(sim, "POST", target, {"content-type": "application/x-www-form-urlencoded"},
                       oidc_form(sim, **kw))


class STSTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = sc.Sim.start()
        cls.prod = cls.sim.info["clusters"]["prod"]

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def tearDown(self):
        self.assertNotIn("Traceback", self.sim.stderr(), "the simulator hit a bug")

    def setUp(self):
        self.sim.configure(sts_lifetime=None)

    def sts_client(self, creds):
        return self.sim.client(creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"])

    # ------------------------------------------------------------------ OIDC

    def test_assume_role_with_oidc_and_use_the_credentials(self):
        r = assume_oidc(self.sim)
        self.assertEqual(r.status, 200, r.body)
        body = r.json
        creds = body["Credentials"]
        self.assertTrue(creds["AccessKeyId"].startswith("STS."))
        for ch in "+/=":
            self.assertIn(ch, creds["SecurityToken"])
        self.assertAlmostEqual(sc.utc_ts(creds["Expiration"]) - time.time(), 3600, delta=5)
        self.assertEqual(body["AssumedRoleUser"]["Arn"],
                         "acs:ram::1234567890123456:assumed-role/ack-mcp/ack-mcp-test")
        self.assertEqual(body["OIDCTokenInfo"]["Subject"], "system:serviceaccount:ack-mcp:ack-mcp-server")
        entry = self.sim.last_request(action="AssumeRoleWithOIDC")
        self.assertEqual(entry["scheme"], "anonymous")
        self.assertNotIn(creds["SecurityToken"], json.dumps(self.sim.requests()))
        c = self.sts_client(creds)
        for r in (c.cs("GET", f"/clusters/{self.prod}", action="DescribeClusterDetail"),
                  c.roa("GET", f"/clusters/{self.prod}", action="DescribeClusterDetail"),
                  c.rpc(STS, "GetCallerIdentity"),
                  c.sls("GET", "/logstores", project="k8s-log-" + self.prod),
                  c.sls4("GET", "/logstores", project="k8s-log-" + self.prod)):
            self.assertEqual(r.status, 200, r.body)
        ident = c.rpc3(STS, "GetCallerIdentity").json
        self.assertEqual((ident["IdentityType"], ident["AccountId"]), ("AssumedRoleUser", "1234567890123456"))
        self.assertTrue(ident["Arn"].endswith("assumed-role/ack-mcp/ack-mcp-test"))
        self.assertTrue(self.sim.last_request(action="GetCallerIdentity")["security_token"])

    def test_oidc_errors(self):
        cases = [
            (dict(token="not-a-token"), 400, "AuthenticationFail.OIDCToken.Invalid"),
            (dict(role="acs:ram::1234567890123456:role/nope"), 404, "EntityNotExist.Role"),
            (dict(role="not-an-arn"), 400, "InvalidParameter.RoleArn"),
            (dict(OIDCProviderArn="acs:ram::1234567890123456:oidc-provider/other"), 404,
             "EntityNotExist.OIDCProvider"),
            (dict(DurationSeconds="600"), 400, "InvalidParameter.DurationSeconds"),
            (dict(RoleSessionName="x"), 400, "InvalidParameter.RoleSessionName"),
            (dict(token=""), 400, "MissingParameter"),
        ]
        for kw, status, code in cases:
            with self.subTest(code=code):
                r = assume_oidc(self.sim, **kw)
                self.assertEqual((r.status, r.json["Code"]), (status, code), r.body)

    def test_oidc_needs_a_timestamp(self):
        r = sc.unsigned(self.sim, "POST", "/?Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01",
                        {"content-type": "application/x-www-form-urlencoded"}, oidc_form(self.sim))
        self.assertEqual((r.status, r.json["Code"]), (400, "MissingParameter"))

    def test_rotated_and_expired_oidc_tokens(self):
        old = read(self.sim.info["sts"]["oidc_token_file"])
        self.sim.control("POST", "/_sim/oidc/rotate", {"lifetime": -5})
        new = read(self.sim.info["sts"]["oidc_token_file"])
        self.assertNotEqual(old, new)
        r = assume_oidc(self.sim)
        self.assertEqual((r.status, r.json["Code"]), (400, "AuthenticationFail.OIDCToken.Expired"))
        self.assertEqual(assume_oidc(self.sim, token=old).status, 200)
        self.sim.control("POST", "/_sim/oidc/rotate", {})
        self.assertEqual(assume_oidc(self.sim).status, 200)

    # ------------------------------------------------------------------ AssumeRole and identity

    def test_assume_role_signed(self):
        c = self.sim.client()
        r = c.rpc(STS, "AssumeRole", {"RoleArn": self.sim.info["sts"]["role_arn"], "RoleSessionName": "s1",
                                      "DurationSeconds": "900"})
        self.assertEqual(r.status, 200, r.body)
        creds = r.json["Credentials"]
        self.assertAlmostEqual(sc.utc_ts(creds["Expiration"]) - time.time(), 900, delta=5)
        self.assertEqual(self.sts_client(creds).cs("GET", "/api/v1/clusters", action="DescribeClustersV1").status, 200)
        r = c.rpc3(STS, "AssumeRole", {"RoleArn": self.sim.info["sts"]["readonly_role_arn"], "RoleSessionName": "s2"})
        self.assertEqual(r.status, 200, r.body)
        ro = self.sts_client(r.json["Credentials"])
        np = self.sim.info["nodepools"]["prod_default"]
        w = ro.cs("POST", f"/clusters/{self.prod}/nodepools/{np}", body={"count": 1}, action="ScaleClusterNodePool")
        self.assertEqual((w.status, w.json["Code"]), (403, "Forbidden.RAM"))
        self.assertEqual(c.rpc(STS, "AssumeRole", {"RoleArn": self.sim.info["sts"]["role_arn"]}).json["Code"],
                         "MissingParameter")

    def test_read_only_user_cannot_assume_the_full_role(self):
        ro = self.sim.client(profile="readonly")
        r = ro.rpc(STS, "AssumeRole", {"RoleArn": self.sim.info["sts"]["role_arn"], "RoleSessionName": "x1"})
        self.assertEqual((r.status, r.json["Code"]), (403, "NoPermission"))
        r = ro.rpc(STS, "AssumeRole", {"RoleArn": self.sim.info["sts"]["readonly_role_arn"], "RoleSessionName": "x1"})
        self.assertEqual(r.status, 200, r.body)

    def test_caller_identity_of_a_user(self):
        body = self.sim.client().rpc(STS, "GetCallerIdentity").json
        self.assertEqual((body["IdentityType"], body["Arn"]), ("RAMUser", "acs:ram::1234567890123456:user/sim-admin"))
        for key in ("AccountId", "UserId", "PrincipalId", "RequestId"):
            self.assertIn(key, body)

    # ------------------------------------------------------------------ token problems

    def test_token_missing_or_wrong(self):
        creds = assume_oidc(self.sim).json["Credentials"]
        no_token = self.sim.client(creds["AccessKeyId"], creds["AccessKeySecret"])
        r = no_token.cs("GET", "/api/v1/clusters", action="DescribeClustersV1")
        self.assertEqual((r.status, r.json["Code"]), (400, "MissingSecurityToken"))
        wrong = self.sim.client(creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"] + "x")
        r = wrong.rpc(STS, "GetCallerIdentity")
        self.assertEqual((r.status, r.json["Code"]), (400, "InvalidSecurityToken.MismatchWithAccessKey"))
        r = wrong.sls("GET", "/logstores", project="k8s-log-" + self.prod)
        self.assertEqual((r.status, r.json["errorCode"]), (401, "Unauthorized"))

    def test_short_lived_credentials_expire(self):
        self.sim.configure(sts_lifetime=1)
        creds = assume_oidc(self.sim).json["Credentials"]
        self.assertAlmostEqual(sc.utc_ts(creds["Expiration"]) - time.time(), 1, delta=1.5)
        c = self.sts_client(creds)
        self.assertEqual(c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1").status, 200)
        time.sleep(1.2)
        r = c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1")
        self.assertEqual((r.status, r.json["Code"]), (400, "InvalidSecurityToken.Expired"))
        r = c.sls("GET", "/logstores", project="k8s-log-" + self.prod)
        self.assertEqual((r.status, r.json["errorCode"]), (401, "SecurityTokenExpired"))
        self.assertEqual(self.sim.last_request(product="cs")["auth_error"], "InvalidSecurityToken.Expired")

    def test_credentials_expire_on_demand_and_with_the_clock(self):
        c = self.sts_client(assume_oidc(self.sim).json["Credentials"])
        self.assertEqual(c.rpc(STS, "GetCallerIdentity").status, 200)
        self.assertGreaterEqual(self.sim.control("POST", "/_sim/credentials/expire")["expired"], 1)
        self.assertEqual(c.rpc(STS, "GetCallerIdentity").json["Code"], "InvalidSecurityToken.Expired")
        c2 = self.sts_client(assume_oidc(self.sim).json["Credentials"])
        self.sim.advance(3601)
        try:
            self.assertEqual(c2.rpc(STS, "GetCallerIdentity").json["Code"], "InvalidSecurityToken.Expired")
        finally:
            self.sim.advance(-3601)

    # ------------------------------------------------------------------ metadata service

    def imds(self, method, path, token=None, ttl=None):
        h = {}
        if token:
            h["x-aliyun-ecs-metadata-token"] = token
        if ttl is not None:
            h["x-aliyun-ecs-metadata-token-ttl-seconds"] = str(ttl)
        return sc.unsigned(self.sim, method, path, h, base=self.sim.info["metadata"]["url"])

    def test_imdsv2_flow(self):
        r = self.imds("PUT", "/latest/api/token", ttl=21600)
        self.assertEqual(r.status, 200)
        token = r.text
        self.assertGreater(len(token), 20)
        role = self.imds("GET", "/latest/meta-data/ram/security-credentials/", token)
        self.assertEqual((role.status, role.text), (200, self.sim.info["metadata"]["role_name"]))
        r = self.imds("GET", f"/latest/meta-data/ram/security-credentials/{role.text}", token)
        self.assertEqual(r.status, 200, r.body)
        creds = json.loads(r.text)
        self.assertEqual(creds["Code"], "Success")
        for key in ("AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration", "LastUpdated"):
            self.assertIn(key, creds)
        again = json.loads(self.imds("GET", f"/latest/meta-data/ram/security-credentials/{role.text}", token).text)
        self.assertEqual(again["AccessKeyId"], creds["AccessKeyId"])
        c = self.sts_client(creds)
        self.assertEqual(c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1").status, 200)
        ident = c.rpc(STS, "GetCallerIdentity").json
        self.assertIn("assumed-role/ack-mcp-node-role/", ident["Arn"])

    def test_imds_refuses_requests_without_a_valid_token(self):
        self.assertEqual(self.imds("GET", "/latest/meta-data/ram/security-credentials/").status, 401)
        self.assertEqual(self.imds("GET", "/latest/meta-data/ram/security-credentials/", "bogus").status, 401)
        self.assertEqual(self.imds("PUT", "/latest/api/token").status, 400)
        self.assertEqual(self.imds("PUT", "/latest/api/token", ttl=21601).status, 400)
        self.assertEqual(self.imds("GET", "/latest/api/token", ttl=60).status, 405)
        token = self.imds("PUT", "/latest/api/token", ttl=1).text
        self.assertEqual(self.imds("GET", "/latest/meta-data/instance-id", token).status, 200)
        self.sim.advance(2)
        try:
            self.assertEqual(self.imds("GET", "/latest/meta-data/instance-id", token).status, 401)
        finally:
            self.sim.advance(-2)
        token = self.imds("PUT", "/latest/api/token", ttl=60).text
        self.assertEqual(self.imds("GET", "/latest/meta-data/ram/security-credentials/other-role", token).status, 404)
        self.sim.configure(imds_v1=True)
        try:
            self.assertEqual(self.imds("GET", "/latest/meta-data/ram/security-credentials/").status, 200)
        finally:
            self.sim.configure(imds_v1=False)

    def test_metadata_credentials_rotate_when_short_lived(self):
        self.sim.configure(sts_lifetime=1)
        self.sim.control("POST", "/_sim/credentials/expire")
        token = self.imds("PUT", "/latest/api/token", ttl=60).text
        path = "/latest/meta-data/ram/security-credentials/" + self.sim.info["metadata"]["role_name"]
        first = json.loads(self.imds("GET", path, token).text)
        time.sleep(0.6)
        second = json.loads(self.imds("GET", path, token).text)
        self.assertNotEqual(first["AccessKeyId"], second["AccessKeyId"])


if __name__ == "__main__":
    unittest.main()
