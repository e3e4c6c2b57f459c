"""ARMS (instances and the Prometheus HTTP API), SLS (projects, logstores, GetLogs/V2, CallAiTools)
and CloudMonitor against a running simulator."""

import base64
import json
import time
import unittest
import zlib
from urllib.parse import quote, urlencode

import sim_client as sc

ARMS = "2019-08-08"
CMS = "2019-01-01"


class ObservabilityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = sc.Sim.start()
        cls.c = cls.sim.client()
        cls.prod = cls.sim.info["clusters"]["prod"]
        cls.staging = cls.sim.info["clusters"]["staging"]
        cls.project = "k8s-log-" + cls.prod
        cls.now = int(time.time())

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def tearDown(self):
        self.assertNotIn("Traceback", self.sim.stderr(), "the simulator hit a bug")

    # ------------------------------------------------------------------ ARMS

    def instance(self, cid, region):
        r = self.c.rpc3(ARMS, "GetPrometheusInstance", {"RegionId": region, "ClusterId": cid})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json["Code"], r.json["Message"]), (200, "success"))
        return r.json["Data"]

    def prom(self, url, op, params, auth=None, method="GET"):
        base, _, path = url.partition("://")[2].partition("/")
        h = {"authorization": auth} if auth else {}
        if method == "POST":
            h["content-type"] = "application/x-www-form-urlencoded"
            return sc.send(self.sim.url, "POST", f"/{path}/api/v1/{op}", h, urlencode(params).encode())
        return sc.send(self.sim.url, "GET", f"/{path}/api/v1/{op}?{urlencode(params, quote_via=quote)}", h)

    def basic(self):
        ak, secret = self.sim.key()
        return "Basic " + base64.b64encode(f"{ak}:{secret}".encode()).decode()

    def test_prometheus_instances(self):
        v2 = self.instance(self.prod, "cn-hangzhou")
        self.assertEqual((v2["ClusterId"], v2["Version"], v2["EnableAuthToken"]), (self.prod, "V2", "false"))
        self.assertTrue(v2["HttpApiInterUrl"].startswith(self.sim.url + "/api/v1/prometheus/"))
        v1 = self.instance(self.staging, "cn-shanghai")
        self.assertEqual((v1["Version"], v1["EnableAuthToken"]), ("V1", "true"))
        self.assertTrue(v1["AuthToken"])
        self.assertIsNone(self.instance(self.sim.info["clusters"]["edge"], "cn-beijing"))
        self.assertIsNone(self.instance(self.prod, "cn-beijing"))
        r = self.c.rpc(ARMS, "ListPrometheusInstances", {"RegionId": "cn-hangzhou", "ShowGlobalView": "false"})
        listed = json.loads(r.json["Data"])
        self.assertEqual([x["clusterId"] for x in listed], [self.prod])
        r = self.c.rpc3(ARMS, "GetPrometheusInstance", {"RegionId": "cn-hangzhou"})
        self.assertEqual((r.status, r.json["Code"]), (400, "MissingParameter"))

    def test_promql_instant_and_range(self):
        url = self.instance(self.prod, "cn-hangzhou")["HttpApiInterUrl"]
        q = ('sum(rate(container_cpu_usage_seconds_total{namespace="shop",pod=~"web-.*",container!="",'
             'container!="POD"}[2m])) by (pod)')
        r = self.prom(url, "query", {"query": q, "time": self.now}, self.basic())
        self.assertEqual(r.status, 200, r.body)
        data = r.json["data"]
        self.assertEqual(data["resultType"], "vector")
        self.assertEqual(len(data["result"]), 3)
        for s in data["result"]:
            self.assertEqual(set(s["metric"]), {"pod"})
            self.assertTrue(s["metric"]["pod"].startswith("web-"))
            self.assertEqual(s["value"][0], self.now)
            self.assertLess(0, float(s["value"][1]))
            self.assertLess(float(s["value"][1]), 0.25 * 1.4)
        again = self.prom(url, "query", {"query": q, "time": self.now}, self.basic(), method="POST")
        self.assertEqual(again.json, r.json)
        rng = self.prom(url, "query_range", {"query": 'sum(container_memory_working_set_bytes{namespace="shop",'
                                                      'container!="",container!="POD"})',
                                             "start": self.now - 3600, "end": self.now, "step": "60s"}, self.basic())
        self.assertEqual(rng.status, 200, rng.body)
        self.assertEqual(rng.json["data"]["resultType"], "matrix")
        series = rng.json["data"]["result"]
        self.assertEqual(len(series), 1)
        self.assertEqual(series[0]["metric"], {})
        self.assertEqual(len(series[0]["values"]), 61)
        week = self.prom(url, "query_range", {"query": 'container_cpu_usage_seconds_total{container="api"}',
                                              "start": self.now - 7 * 86400, "end": self.now, "step": 60},
                         self.basic())
        self.assertEqual(week.status, 200)
        self.assertEqual([len(s["values"]) for s in week.json["data"]["result"]], [10081, 10081])
        raw = self.prom(url, "query", {"query": 'container_cpu_usage_seconds_total{pod=~"api-.*"}'}, self.basic())
        self.assertEqual({s["metric"]["container"] for s in raw.json["data"]["result"]}, {"api", "sidecar", "POD"})
        self.assertEqual(raw.json["data"]["result"][0]["metric"]["__name__"], "container_cpu_usage_seconds_total")

    def test_unseeded_workloads_get_synthesized_series(self):
        url = self.instance(self.prod, "cn-hangzhou")["HttpApiInterUrl"]
        q = 'sum(rate(container_cpu_usage_seconds_total{namespace="batch",pod=~"nightly-.*"}[2m])) by (pod)'
        res = self.prom(url, "query", {"query": q}, self.basic()).json["data"]["result"]
        self.assertEqual(len(res), 2)
        self.assertTrue(all(s["metric"]["pod"].startswith("nightly-") for s in res))
        q = 'container_cpu_usage_seconds_total{namespace="batch"}'
        self.assertEqual(self.prom(url, "query", {"query": q}, self.basic()).json["data"]["result"], [])

    def test_promql_is_deterministic(self):
        url = self.instance(self.prod, "cn-hangzhou")["HttpApiInterUrl"]
        q = {"query": "node_load1", "time": 1700000000}
        self.assertEqual(self.prom(url, "query", q, self.basic()).json, self.prom(url, "query", q, self.basic()).json)

    def test_promql_errors(self):
        url = self.instance(self.prod, "cn-hangzhou")["HttpApiInterUrl"]
        r = self.prom(url, "query_range", {"query": "up", "start": 0, "end": 86400 * 30, "step": "60"}, self.basic())
        self.assertEqual((r.status, r.json["status"], r.json["errorType"]), (400, "error", "bad_data"))
        self.assertIn("11,000 points", r.json["error"])
        r = self.prom(url, "query_range", {"query": "up", "start": 10, "end": 20}, self.basic())
        self.assertEqual(r.status, 400)
        r = self.prom(url, "query", {"query": "sum(rate(up[5m])"}, self.basic())
        self.assertEqual((r.status, r.json["errorType"]), (400, "bad_data"))
        empty = self.prom(url, "query", {"query": "no_such_metric"}, self.basic())
        self.assertEqual((empty.status, empty.json["data"]["result"]), (200, []))
        scalar = self.prom(url, "query", {"query": "1", "time": 5}, self.basic())
        self.assertEqual(scalar.json["data"], {"resultType": "scalar", "result": [5, "1"]})

    def test_prometheus_auth(self):
        v2 = self.instance(self.prod, "cn-hangzhou")["HttpApiInterUrl"]
        self.assertEqual(self.prom(v2, "query", {"query": "up"}).status, 401)
        bad = "Basic " + base64.b64encode(b"LTAI5tSimFullAccess00001:wrong").decode()
        self.assertEqual(self.prom(v2, "query", {"query": "up"}, bad).status, 401)
        v1 = self.instance(self.staging, "cn-shanghai")
        self.assertEqual(self.prom(v1["HttpApiInterUrl"], "query", {"query": "up"}, self.basic()).status, 401)
        self.assertEqual(self.prom(v1["HttpApiInterUrl"], "query", {"query": "up"}, v1["AuthToken"]).status, 200)
        ok = self.prom(v1["HttpApiIntraUrl"], "query", {"query": "up"}, "Bearer " + v1["AuthToken"])
        self.assertEqual(ok.status, 200)
        self.assertEqual(self.sim.last_request(product="prometheus")["scheme"], "bearer")

    def test_prometheus_labels_and_series(self):
        url = self.instance(self.prod, "cn-hangzhou")["HttpApiInterUrl"]
        labels = self.prom(url, "labels", {}, self.basic()).json["data"]
        self.assertIn("namespace", labels)
        ns = self.prom(url, "label/namespace/values", {}, self.basic()).json["data"]
        self.assertEqual(ns, ["default", "kube-system", "monitoring", "shop"])
        series = self.prom(url, "series", {"match[]": 'kube_deployment_spec_replicas{deployment="web"}'},
                           self.basic()).json["data"]
        self.assertEqual(len(series), 1)

    # ------------------------------------------------------------------ SLS

    def logs(self, store, query="*", project=None, **q):
        params = {"type": "log", "from": self.now - 86400 * 2, "to": self.now + 60, "query": query}
        params.update(q)
        return self.c.sls("GET", f"/logstores/{store}", params, project=project or self.project)

    def test_list_projects_and_logstores(self):
        r = self.c.sls("GET", "/", {"offset": 0, "size": 100})
        self.assertEqual(r.status, 200, r.body)
        names = [p["projectName"] for p in r.json["projects"]]
        self.assertIn(self.project, names)
        self.assertEqual(r.json["total"], 3)
        hz = self.c.sls("GET", "/", host="cn-hangzhou.log.aliyuncs.com").json
        self.assertEqual(hz["total"], 2)
        stores = self.c.sls("GET", "/logstores", project=self.project).json
        self.assertIn("k8s-event", stores["logstores"])
        self.assertIn(f"audit-{self.prod}", stores["logstores"])
        one = self.c.sls("GET", "/logstores/k8s-event", project=self.project)
        self.assertEqual(one.json["logstoreName"], "k8s-event")
        real_host = self.c.sls("GET", "/logstores", host=f"{self.project}.cn-hangzhou.log.aliyuncs.com")
        self.assertEqual(real_host.status, 200)
        wrong_region = self.c.sls("GET", "/logstores", host=f"{self.project}.cn-beijing.log.aliyuncs.com")
        self.assertEqual(wrong_region.json["errorCode"], "ProjectNotExist")

    def test_get_logs_search_paging_and_order(self):
        r = self.logs("k8s-event", "level: Warning", line=5)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["x-log-progress"], "Complete")
        self.assertEqual(r.headers["x-log-count"], "5")
        self.assertEqual(r.headers["x-log-has-sql"], "false")
        rows = r.json
        self.assertTrue(all(x["level"] == "Warning" for x in rows))
        times = [int(x["__time__"]) for x in rows]
        self.assertEqual(times, sorted(times))
        newest = self.logs("k8s-event", "level: Warning", line=5, reverse="true").json
        self.assertGreater(int(newest[0]["__time__"]), int(newest[-1]["__time__"]))
        nxt = self.logs("k8s-event", "level: Warning", line=5, offset=5).json
        self.assertFalse({x["__time__"] for x in nxt} & set(map(str, times)))
        backoff = self.logs("k8s-event", "eventId.reason: BackOff and eventId.involvedObject.kind: Pod", line=100).json
        self.assertEqual(len(backoff), 20)
        self.assertEqual(json.loads(backoff[0]["eventId"])["reason"], "BackOff")
        notp = self.logs("k8s-event", "not level: Normal", line=100).json
        self.assertEqual(len(notp), 100)
        self.assertTrue(all(x["level"] == "Warning" for x in notp))

    def test_audit_query_the_tools_build(self):
        q = ('* and objectRef.namespace: "shop" and (verb: "delete" or verb: "patch") '
             'and (objectRef.resource: "pods" or objectRef.resource: "deployments") and user.username: 12345*')
        rows = self.logs(f"audit-{self.prod}", q, line=100, reverse="true").json
        self.assertTrue(rows)
        for x in rows:
            self.assertIn(x["verb"], ("delete", "patch"))
            self.assertEqual(x["objectRef.namespace"], "shop")
            self.assertTrue(x["user.username"].startswith("12345"))
        self.assertEqual(json.loads(rows[0]["sourceIPs"])[0][:5], "10.0.")

    def test_time_window_filters(self):
        rows = self.logs("k8s-event", "*", line=100).json
        t = int(rows[10]["__time__"])
        windowed = self.c.sls("GET", "/logstores/k8s-event", {"type": "log", "from": t, "to": t + 1, "query": "*"},
                              project=self.project).json
        self.assertEqual([x["__time__"] for x in windowed], [str(t)])
        bad = self.c.sls("GET", "/logstores/k8s-event", {"type": "log", "from": 10, "to": 5}, project=self.project)
        self.assertEqual((bad.status, bad.json["errorCode"]), (400, "ParameterInvalid"))
        bad = self.c.sls("GET", "/logstores/k8s-event", {"type": "log", "to": 5}, project=self.project)
        self.assertEqual(bad.status, 400)

    def test_sql(self):
        r = self.logs("k8s-event", "* | select count(1) as c")
        self.assertEqual((r.json, r.headers["x-log-has-sql"]), ([{"c": "240"}], "true"))
        grouped = self.logs("k8s-event", 'level: Warning | select "eventId.reason" as reason, count(*) as c '
                                         'group by reason order by c desc limit 3').json
        self.assertEqual(len(grouped), 3)
        self.assertEqual(set(grouped[0]), {"reason", "c"})
        self.assertGreaterEqual(int(grouped[0]["c"]), int(grouped[-1]["c"]))
        errors5xx = self.logs("web-stdout", "* | select count(1) as c where status >= 500").json
        self.assertEqual(errors5xx, [{"c": "8"}])
        bad = self.logs("k8s-event", "* | select nosuchcol from log")
        self.assertEqual((bad.status, bad.json["errorCode"]), (400, "ParameterInvalid"))
        self.assertIn("Column 'nosuchcol' cannot be resolved", bad.json["errorMessage"])
        bad = self.logs("k8s-event", "* | drop table x")
        self.assertEqual(bad.status, 400)

    def test_control_plane_logs(self):
        rows = self.logs(f"apiserver-{self.prod}", "level: ERROR", line=100).json
        self.assertTrue(rows)
        for x in rows:
            self.assertEqual((x["component"], x["level"]), ("apiserver", "ERROR"))
            self.assertIn("message", x)
        staging = self.logs(f"kcm-{self.staging}", project=f"k8s-log-{self.staging}", line=1)
        self.assertEqual(staging.status, 200)

    def test_missing_project_and_logstore(self):
        r = self.logs("k8s-event", project=f"k8s-log-{self.staging}")
        self.assertEqual((r.status, r.json["errorCode"]), (404, "LogStoreNotExist"))
        r = self.logs("k8s-event", project=f"k8s-log-{self.sim.info['clusters']['edge']}")
        self.assertEqual((r.status, r.json["errorCode"]), (404, "ProjectNotExist"))

    def test_get_logs_v2(self):
        body = {"from": self.now - 86400 * 2, "to": self.now + 60, "query": "level: Warning", "line": 3,
                "offset": 0, "reverse": True, "powerSql": False}
        r = self.c.sls("POST", "/logstores/k8s-event/logs", body=body, project=self.project)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json["meta"]["progress"], r.json["meta"]["count"]), ("Complete", 3))
        self.assertIn("eventId", r.json["meta"]["keys"])
        packed = self.c.sls("POST", "/logstores/k8s-event/logs", body=body, project=self.project,
                            extra={"accept-encoding": "deflate"})
        self.assertEqual(packed.headers["x-log-compresstype"], "deflate")
        raw = zlib.decompress(packed.body)
        self.assertEqual(len(raw), int(packed.headers["x-log-bodyrawsize"]))
        self.assertEqual(json.loads(raw)["meta"]["count"], 3)

    def test_call_ai_tools(self):
        body = {"params": {"project": self.project, "logstore": "k8s-event", "sys.query": "top warning reasons"},
                "regionId": "cn-hangzhou", "toolName": "text_to_sql"}
        r = self.c.sls("POST", "/ml/tool/call", body=body, host="cn-shanghai.log.aliyuncs.com")
        self.assertEqual(r.status, 200, r.body)
        answer = r.text.split("------answer------\n", 1)[1].strip()
        self.assertTrue(answer.startswith("level: Warning |"))
        self.assertEqual(self.logs("k8s-event", answer).status, 200)
        body = {"params": {"project": "workspace-default-cms-1234567890123456-cn-hangzhou",
                           "metricstore": f"aliyun-prom-{self.prod}", "sys.query": "cpu of namespace default"},
                "regionId": "cn-hangzhou", "toolName": "text_to_promql"}
        promql = self.c.sls("POST", "/ml/tool/call", body=body).text.split("------answer------\n", 1)[1].strip()
        self.assertIn('namespace="default"', promql)
        vec = {"params": {"project": "k8s-log-c123", "logStore": "audit-c123", "text": "count 5xx requests"},
               "regionId": "cn-hangzhou", "toolName": "sls_text_to_sql"}
        self.assertEqual(self.c.sls("POST", "/ml/tool/call", body=vec).status, 200)
        bad = self.c.sls("POST", "/ml/tool/call", body={"toolName": "nope", "params": {"sys.query": "x"}})
        self.assertEqual((bad.status, bad.json["errorCode"]), (400, "ParameterInvalid"))

    def test_sls_content_md5_is_checked(self):
        body = {"params": {"project": "p", "logstore": "l", "sys.query": "q"}, "toolName": "text_to_sql"}
        r = self.c.sls("POST", "/ml/tool/call", body=body, extra={"content-md5": "0" * 32})
        self.assertEqual((r.status, r.json["errorCode"]), (400, "InvalidContentMD5"))

    # ------------------------------------------------------------------ CMS

    def test_describe_metric_list_pages_with_next_token(self):
        nodes = self.c.cs("GET", f"/clusters/{self.prod}/nodes", action="DescribeClusterNodes").json["nodes"]
        dims = json.dumps([{"instanceId": n["instance_id"]} for n in nodes[:2]])
        end = (self.now // 60) * 60
        params = {"Namespace": "acs_ecs_dashboard", "MetricName": "CPUUtilization", "Dimensions": dims,
                  "StartTime": str((end - 3600) * 1000), "EndTime": str(end * 1000), "Period": "60", "Length": "50"}
        points, token, pages = [], None, 0
        while True:
            p = dict(params, **({"NextToken": token} if token else {}))
            r = self.c.rpc(CMS, "DescribeMetricList", p)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual((r.json["Code"], r.json["Success"], r.json["Period"]), ("200", True, "60"))
            points += json.loads(r.json["Datapoints"])
            pages += 1
            token = r.json.get("NextToken")
            if not token:
                break
        self.assertEqual((len(points), pages), (120, 3))
        self.assertEqual({p["instanceId"] for p in points}, {n["instance_id"] for n in nodes[:2]})
        for key in ("timestamp", "userId", "instanceId", "Average", "Maximum", "Minimum"):
            self.assertIn(key, points[0])
        self.assertEqual(points[0]["timestamp"], (end - 3600 + 60) * 1000)
        r = self.c.rpc3(CMS, "DescribeMetricList", {"MetricName": "CPUUtilization"})
        self.assertEqual((r.status, r.json["Code"]), (400, "MissingParameter"))
        for bad in (dict(params, Dimensions="[{oops"), dict(params, Period="abc"), dict(params, Period="90"),
                    dict(params, Length="5000")):
            r = self.c.rpc(CMS, "DescribeMetricList", bad)
            self.assertEqual((r.status, r.json["Code"]), (400, "InvalidParameter"), bad)

    def test_metric_last_meta_and_alerts(self):
        last = self.c.rpc(CMS, "DescribeMetricLast", {"Namespace": "acs_ecs_dashboard", "MetricName": "load_1m"}).json
        pts = json.loads(last["Datapoints"])
        self.assertEqual(len({p["instanceId"] for p in pts}), len(pts))
        self.assertGreater(len(pts), 10)
        meta = self.c.rpc(CMS, "DescribeMetricMetaList", {"Namespace": "acs_ecs_dashboard", "PageSize": "2"}).json
        self.assertEqual((meta["TotalCount"], len(meta["Resources"]["Resource"])), (6, 2))
        alerts = self.c.rpc(CMS, "DescribeAlertLogList", {"PageSize": "5", "Level": "P2"}).json
        self.assertEqual(len(alerts["AlertLogList"]), 5)
        self.assertTrue(all(a["Level"] == "P2" for a in alerts["AlertLogList"]))
        for key in ("AlertTime", "RuleName", "MetricName", "InstanceId", "Dimensions", "Escalation"):
            self.assertIn(key, alerts["AlertLogList"][0])
        recent = self.c.rpc(CMS, "DescribeAlertLogList", {"LastMin": "60"}).json
        self.assertLessEqual(len(recent["AlertLogList"]), 2)


if __name__ == "__main__":
    unittest.main()
