"""Fault injection (throttling, 5xx, latency, dropped connections, incomplete SLS results), the
request log that tests assert on, the control endpoints, command-line faults, and TLS mode."""

import http.client
import json
import os
import ssl
import time
import unittest

import sim_client as sc

STS = "2015-04-01"


class FaultTest(unittest.TestCase):
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

    def setUp(self):
        self.sim.reset()

    def detail(self, **kw):
        return self.c.cs("GET", f"/clusters/{self.prod}", action="DescribeClusterDetail", **kw)

    def test_throttling_for_the_next_n_requests(self):
        self.sim.fault(kind="throttle", product="cs", count=2)
        for _ in range(2):
            r = self.detail()
            self.assertEqual((r.status, r.json["Code"]), (400, "Throttling.User"))
            self.assertEqual(r.json["Message"], "Request was denied due to user flow control.")
        self.assertEqual(self.detail().status, 200)
        self.assertEqual(self.sim.control("GET", "/_sim/faults")["active"], [])
        faults = [e.get("fault") for e in self.sim.requests(product="cs")]
        self.assertEqual(faults, ["throttle", "throttle", None])

    def test_fault_scoped_to_product_and_action(self):
        self.sim.fault(kind="throttle", product="sts", count=1)
        self.sim.fault(kind="error", product="cs", action="DescribeClustersV1", count=1)
        self.assertEqual(self.detail().status, 200)
        r = self.c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1")
        self.assertEqual((r.status, r.json["Code"]), (503, "ServiceUnavailable"))
        r = self.c.rpc(STS, "GetCallerIdentity")
        self.assertEqual((r.status, r.json["Code"]), (400, "Throttling.User"))
        self.assertEqual(self.c.rpc(STS, "GetCallerIdentity").status, 200)

    def test_5xx_variants_and_overrides(self):
        self.sim.fault(kind="error", code="InternalError")
        r = self.detail()
        self.assertEqual((r.status, r.json["Code"]), (500, "InternalError"))
        self.sim.fault(kind="throttle", status=429, code="Throttling")
        r = self.detail()
        self.assertEqual((r.status, r.json["Code"]), (429, "Throttling"))
        self.sim.fault(kind="error", product="sls")
        r = self.c.sls("GET", "/logstores", project="k8s-log-" + self.prod)
        self.assertEqual((r.status, r.json["errorCode"]), (500, "InternalServerError"))
        self.sim.fault(kind="throttle", product="sls")
        r = self.c.sls("GET", "/logstores", project="k8s-log-" + self.prod)
        self.assertEqual((r.status, r.json["errorCode"]), (403, "ReadQuotaExceed"))

    def test_unlimited_fault_until_cleared(self):
        self.sim.fault(kind="error", product="cs", count=0)
        for _ in range(3):
            self.assertEqual(self.detail().status, 503)
        self.sim.control("DELETE", "/_sim/faults")
        self.assertEqual(self.detail().status, 200)

    def test_latency(self):
        self.sim.fault(kind="latency", delay_ms=400)
        t0 = time.time()
        self.assertEqual(self.detail().status, 200)
        self.assertGreaterEqual(time.time() - t0, 0.38)
        t0 = time.time()
        self.assertEqual(self.detail().status, 200)
        self.assertLess(time.time() - t0, 0.3)
        self.assertEqual(self.sim.requests(product="cs")[0]["latency_ms"], 400)

    def test_dropped_connection(self):
        self.sim.fault(kind="drop", product="cs")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.detail()
        self.sim.fault(kind="drop", product="cs", reset=True)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.detail()
        self.assertEqual(self.detail().status, 200)
        self.assertEqual([e["status"] for e in self.sim.requests(product="cs")], ["dropped", "dropped", 200])

    def test_sls_incomplete_progress(self):
        self.sim.fault(kind="sls_incomplete", product="sls")
        q = {"type": "log", "from": 0, "to": 2 ** 31, "query": "*", "line": 10}
        r = self.c.sls("GET", "/logstores/k8s-event", q, project="k8s-log-" + self.prod)
        self.assertEqual((r.status, r.headers["x-log-progress"], len(r.json)), (200, "Incomplete", 5))
        r = self.c.sls("GET", "/logstores/k8s-event", q, project="k8s-log-" + self.prod)
        self.assertEqual((r.headers["x-log-progress"], len(r.json)), ("Complete", 10))

    def test_retry_with_reused_nonce_is_visible_in_the_log(self):
        self.sim.fault(kind="throttle", product="cs")
        nonce = sc.secrets.token_hex(16)
        self.assertEqual(self.detail(nonce=nonce).status, 400)
        r = self.detail(nonce=nonce)
        self.assertEqual(r.json["Code"], "SignatureNonceUsed")
        self.assertEqual(self.detail().status, 200)
        log = self.sim.requests(action="DescribeClusterDetail")
        self.assertEqual(log[0]["nonce"], log[1]["nonce"])
        self.assertNotEqual(log[1]["nonce"], log[2]["nonce"])
        self.assertEqual([e["verified"] for e in log], [True, False, True])

    def test_bad_fault_specs_are_rejected(self):
        for spec in ({"kind": "meteor"}, {"kind": "throttle", "product": "ecs"}, {"kind": "drop", "colour": 1}):
            r = sc.send(self.sim.url, "POST", "/_sim/faults", {"content-type": "application/json"},
                        json.dumps(spec).encode())
            self.assertEqual(r.status, 400, spec)

    # ------------------------------------------------------------------ request log

    def test_request_log_fields_and_filters(self):
        self.detail()
        ro = self.sim.client(profile="readonly")
        ro.cs("POST", f"/clusters/{self.prod}/nodepools/{self.sim.info['nodepools']['prod_default']}",
              body={"count": 1}, action="ScaleClusterNodePool")
        self.c.rpc(STS, "GetCallerIdentity")
        log = self.sim.requests()
        self.assertEqual([e["seq"] for e in log], sorted(e["seq"] for e in log))
        e = log[0]
        for key in ("time", "method", "path", "product", "action", "class", "scheme", "access_key_id", "verified",
                    "nonce", "date", "status", "request_id", "security_token"):
            self.assertIn(key, e)
        self.assertEqual((e["method"], e["product"], e["action"], e["scheme"], e["status"]),
                         ("GET", "cs", "DescribeClusterDetail", "ACS3-HMAC-SHA256", 200))
        writes = [x for x in log if x["class"] == "write"]
        self.assertEqual(len(writes), 1)
        self.assertEqual((writes[0]["status"], writes[0]["error_code"]), (403, "Forbidden.RAM"))
        rpc = self.sim.last_request(product="sts")
        q = dict(rpc["query"])
        self.assertEqual(q["Signature"], "<redacted>")
        self.assertEqual(q["AccessKeyId"], "LTAI****0001")
        text = json.dumps(log)
        for ak in self.sim.info["access_keys"]:
            if len(ak["id"]) > 8:
                self.assertNotIn(ak["id"], text)
            self.assertNotIn(ak["secret"], text)
        self.assertEqual(len(self.sim.requests(product="sts")), 1)
        self.assertEqual(len(self.sim.requests(since=log[-2]["seq"])), 1)
        self.sim.control("DELETE", "/_sim/requests")
        self.assertEqual(self.sim.requests(), [])
        with open(os.path.join(self.sim.state_dir, "requests.jsonl")) as f:
            self.assertGreaterEqual(len(f.readlines()), 3)

    # ------------------------------------------------------------------ control endpoints

    def test_state_clock_and_reset(self):
        np = self.sim.info["nodepools"]["prod_default"]
        self.c.cs("POST", f"/clusters/{self.prod}/nodepools/{np}", body={"count": 1}, action="ScaleClusterNodePool")
        st = self.sim.state()
        pool = next(p for c in st["clusters"] if c["cluster_id"] == self.prod for p in c["nodepools"]
                    if p["nodepool_id"] == np)
        self.assertEqual((pool["desired_size"], pool["status"]["initial_nodes"]), (4, 1))
        before = sc.utc_ts(self.sim.control("GET", "/_sim/clock")["now"])
        after = sc.utc_ts(self.sim.advance(3600)["now"])
        self.assertAlmostEqual(after - before, 3600, delta=3)
        self.sim.reset()
        st = self.sim.state()
        pool = next(p for c in st["clusters"] if c["cluster_id"] == self.prod for p in c["nodepools"]
                    if p["nodepool_id"] == np)
        self.assertEqual(pool["desired_size"], 3)
        self.assertAlmostEqual(sc.utc_ts(st["now"]), time.time(), delta=3)
        self.assertEqual(self.sim.control("GET", "/_sim/info")["port"], self.sim.port)
        r = sc.send(self.sim.url, "GET", "/_sim/nothing", {})
        self.assertEqual(r.status, 404)
        r = sc.send(self.sim.url, "POST", "/_sim/config", {"content-type": "application/json"}, b'{"bogus": 1}')
        self.assertEqual(r.status, 400)

    @unittest.skipUnless(os.path.exists("/proc/net/tcp"), "needs Linux /proc/net/tcp")
    def test_listens_on_loopback_only(self):
        listening = []
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            if not os.path.exists(path):
                continue
            with open(path) as f:
                for line in f.readlines()[1:]:
                    local, st = line.split()[1], line.split()[3]
                    addr, port = local.rsplit(":", 1)
                    if st == "0A" and int(port, 16) == self.sim.port:
                        listening.append(addr)
        self.assertEqual(listening, ["0100007F"])


class CommandLineFaultTest(unittest.TestCase):
    def test_fault_flag_and_extra_key(self):
        sim = sc.Sim.start("--fault", "throttle:cs:1", "--fault", '{"kind":"error","product":"sts","count":1}',
                           "--access-key", "LTAI5tExtraReadOnly00009:extrasecret:readonly")
        try:
            c = sim.client()
            prod = sim.info["clusters"]["prod"]
            self.assertEqual(c.cs("GET", f"/clusters/{prod}", action="DescribeClusterDetail").status, 400)
            self.assertEqual(c.cs("GET", f"/clusters/{prod}", action="DescribeClusterDetail").status, 200)
            self.assertEqual(c.rpc(STS, "GetCallerIdentity").status, 503)
            extra = sim.client("LTAI5tExtraReadOnly00009", "extrasecret")
            self.assertEqual(extra.rpc(STS, "GetCallerIdentity").status, 200)
            self.assertIn("LTAI5tExtraReadOnly00009", [k["id"] for k in sim.info["access_keys"]])
        finally:
            sim.stop()

    def test_bad_flags_fail_fast(self):
        with self.assertRaises(RuntimeError):
            sc.Sim.start("--fault", "meteor")


class TLSTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = sc.Sim.start("--tls")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def tearDown(self):
        self.assertNotIn("Traceback", self.sim.stderr(), "the simulator hit a bug")

    def test_https_with_the_generated_ca(self):
        info = self.sim.info
        self.assertTrue(info["url"].startswith("https://127.0.0.1:"))
        self.assertTrue(os.path.exists(info["ca_file"]))
        c = self.sim.client()
        r = c.cs("GET", "/api/v1/clusters", action="DescribeClustersV1")
        self.assertEqual(r.status, 200, r.body)
        with self.assertRaises(ssl.SSLError):
            sc.send(info["url"], "GET", "/_sim/health", {}, ssl_context=ssl.create_default_context())
        plain = sc.send(info["metadata"]["url"], "PUT", "/latest/api/token",
                        {"x-aliyun-ecs-metadata-token-ttl-seconds": "60"})
        self.assertEqual(plain.status, 200)
        self.assertTrue(info["metadata"]["url"].startswith("http://127.0.0.1:"))
        arms = c.rpc3("2019-08-08", "GetPrometheusInstance", {"RegionId": "cn-hangzhou",
                                                              "ClusterId": info["clusters"]["prod"]})
        self.assertTrue(arms.json["Data"]["HttpApiInterUrl"].startswith(info["url"]))


if __name__ == "__main__":
    unittest.main()
