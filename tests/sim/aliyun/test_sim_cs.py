"""CS behaviour: listing and paging, node pools and nodes, tasks that advance and change the pool,
diagnosis, inspection, kubeconfig, audit and control-plane log discovery."""

import base64
import json
import os
import tempfile
import time
import unittest

import sim_client as sc

CS_SHAPE = {"code", "message", "requestId", "status"}


class CSTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.ca = os.path.join(cls.tmp.name, "k8s-ca.pem")
        with open(cls.ca, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nMIIBsim\n-----END CERTIFICATE-----\n")
        cls.sim = sc.Sim.start("--k8s-server", "https://127.0.0.1:16443", "--k8s-token", "k8s-sim-token",
                               "--k8s-ca", cls.ca, "--task-duration", "600", "--diagnosis-duration", "300",
                               "--inspect-duration", "300")
        cls.c = cls.sim.client()
        info = cls.sim.info
        cls.prod, cls.staging, cls.edge = (info["clusters"][k] for k in ("prod", "staging", "edge"))
        cls.np = info["nodepools"]["prod_default"]

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.cleanup()

    def tearDown(self):
        self.assertNotIn("Traceback", self.sim.stderr(), "the simulator hit a bug")

    def setUp(self):
        self.sim.reset()

    def get(self, path, query=None, action=""):
        r = self.c.cs("GET", path, query, action=action)
        self.assertEqual(r.status, 200, r.body)
        return r.json

    def assertCsError(self, r, status, code):
        self.assertEqual(r.status, status, r.body)
        self.assertEqual(set(r.json), CS_SHAPE)
        self.assertEqual(r.json["code"], code)
        self.assertEqual(r.headers["x-acs-request-id"], r.json["requestId"])

    # ------------------------------------------------------------------ clusters

    def test_list_clusters_pages_through_everything(self):
        seen = []
        page = 1
        while True:
            body = self.get("/api/v1/clusters", {"page_size": 5, "page_number": page}, "DescribeClustersV1")
            self.assertEqual(body["page_info"], {"page_number": page, "page_size": 5, "total_count": 12})
            if not body["clusters"]:
                break
            seen += [c["cluster_id"] for c in body["clusters"]]
            page += 1
        self.assertEqual(page, 4)
        self.assertEqual(sorted(seen), self.sim.info["clusters"]["all"])
        for c in self.get("/api/v1/clusters", {"page_size": 100}, "DescribeClustersV1")["clusters"]:
            self.assertRegex(c["cluster_id"], r"^c[a-z0-9]{32}$")
            json.loads(c["master_url"])
            self.assertFalse(any(k.startswith("_") for k in c))

    def test_list_clusters_filters(self):
        by_region = self.get("/api/v1/clusters", {"region_id": "cn-shanghai"}, "DescribeClustersV1")
        self.assertEqual([c["cluster_id"] for c in by_region["clusters"]], [self.staging])
        by_name = self.get("/api/v1/clusters", {"name": "dev-0", "page_size": 100}, "DescribeClustersV1")
        self.assertEqual(by_name["page_info"]["total_count"], 9)
        by_type = self.get("/api/v1/clusters", {"cluster_type": "Kubernetes", "page_size": 100}, "DescribeClustersV1")
        self.assertTrue(by_type["clusters"])
        self.assertTrue(all(c["cluster_type"] == "Kubernetes" for c in by_type["clusters"]))

    def test_list_clusters_rejects_page_size_over_100(self):
        self.assertCsError(self.c.cs("GET", "/api/v1/clusters", {"page_size": 101}, action="DescribeClustersV1"),
                           400, "InvalidParameter")

    def test_cluster_detail_and_null_fields(self):
        d = self.get(f"/clusters/{self.prod}", action="DescribeClusterDetail")
        self.assertEqual((d["name"], d["region_id"], d["state"]), ("prod-hz", "cn-hangzhou", "running"))
        master = json.loads(d["master_url"])
        self.assertEqual(master["api_server_endpoint"], "https://127.0.0.1:16443")
        edge = self.get(f"/clusters/{self.edge}", action="DescribeClusterDetail")
        self.assertIsNone(edge["vpc_id"])
        self.assertIsNone(edge["tags"])
        staging = json.loads(self.get(f"/clusters/{self.staging}", action="DescribeClusterDetail")["master_url"])
        self.assertEqual(staging["api_server_endpoint"], "")

    def test_unknown_cluster(self):
        self.assertCsError(self.c.cs("GET", "/clusters/c" + "0" * 32, action="DescribeClusterDetail"), 404,
                           "ErrorClusterNotFound")
        self.assertCsError(self.c.cs("GET", "/clusters/c" + "0" * 32 + "/nodepools", action="DescribeClusterNodePools"),
                           404, "ErrorClusterNotFound")

    # ------------------------------------------------------------------ node pools and nodes

    def test_nodepools(self):
        pools = self.get(f"/clusters/{self.prod}/nodepools", action="DescribeClusterNodePools")["nodepools"]
        self.assertEqual(len(pools), 2)
        p = next(p for p in pools if p["nodepool_info"]["nodepool_id"] == self.np)
        self.assertEqual(p["status"]["total_nodes"], 3)
        self.assertEqual(p["scaling_group"]["desired_size"], 3)
        for key in ("nodepool_info", "status", "scaling_group", "auto_scaling", "kubernetes_config", "management"):
            self.assertIn(key, p)
        one = self.get(f"/clusters/{self.prod}/nodepools/{self.np}", action="DescribeClusterNodePoolDetail")
        self.assertEqual(one["nodepool_info"]["nodepool_id"], self.np)
        named = self.get(f"/clusters/{self.prod}/nodepools", {"NodepoolName": "gpu-pool"}, "DescribeClusterNodePools")
        self.assertEqual([p["nodepool_info"]["name"] for p in named["nodepools"]], ["gpu-pool"])
        self.assertCsError(self.c.cs("GET", f"/clusters/{self.prod}/nodepools/np" + "0" * 32,
                                     action="DescribeClusterNodePoolDetail"), 404, "ErrorNodePoolNotFound")

    def test_nodes_paging_and_filters(self):
        first = self.get(f"/clusters/{self.prod}/nodes", {"pageSize": "3", "pageNumber": "1"}, "DescribeClusterNodes")
        self.assertEqual(first["page"], {"page_number": 1, "page_size": 3, "total_count": 4})
        second = self.get(f"/clusters/{self.prod}/nodes", {"pageSize": "3", "pageNumber": "2"}, "DescribeClusterNodes")
        self.assertEqual(len(second["nodes"]), 1)
        ids = [n["instance_id"] for n in first["nodes"] + second["nodes"]]
        self.assertEqual(len(set(ids)), 4)
        in_pool = self.get(f"/clusters/{self.prod}/nodes", {"nodepool_id": self.np}, "DescribeClusterNodes")
        self.assertEqual(in_pool["page"]["total_count"], 3)
        picked = self.get(f"/clusters/{self.prod}/nodes", {"instanceIds": ",".join(ids[:2])}, "DescribeClusterNodes")
        self.assertEqual(sorted(n["instance_id"] for n in picked["nodes"]), sorted(ids[:2]))
        self.assertEqual([n["node_name"] for n in in_pool["nodes"]],
                         ["cn-hangzhou.10.0.1.11", "cn-hangzhou.10.0.1.12", "cn-hangzhou.10.0.1.13"])
        # the providerID the Kubernetes simulator gives node cn-hangzhou.10.0.1.11
        self.assertEqual(in_pool["nodes"][0]["instance_id"], "i-bp1wzmrkj4gnbq6j4mfq")
        n = first["nodes"][0]
        self.assertRegex(n["instance_id"], r"^i-bp1[a-z0-9]{17}$")
        self.assertEqual((n["state"], n["node_status"], n["instance_role"]), ("running", "Ready", "Worker"))
        none = self.get(f"/clusters/{self.prod}/nodes", {"state": "removing"}, "DescribeClusterNodes")
        self.assertEqual(none["page"]["total_count"], 0)

    # ------------------------------------------------------------------ tasks

    def scale(self, count, cluster=None, pool=None):
        return self.c.cs("POST", f"/clusters/{cluster or self.prod}/nodepools/{pool or self.np}",
                         body={"count": count}, action="ScaleClusterNodePool")

    def test_scale_creates_a_task_that_advances_and_grows_the_pool(self):
        r = self.scale(2)
        self.assertEqual(r.status, 200, r.body)
        tid = r.json["task_id"]
        self.assertRegex(tid, r"^T-[0-9a-f]{24}$")
        info = self.get(f"/tasks/{tid}", action="DescribeTaskInfo")
        self.assertEqual((info["state"], info["task_type"], info["cluster_id"]), ("running", "nodepool_scaleout",
                                                                                  self.prod))
        self.assertEqual(info["target"], {"id": self.np, "type": "nodepool"})
        self.assertEqual([x["status"] for x in info["task_result"]], ["initial", "initial"])
        pool = self.get(f"/clusters/{self.prod}/nodepools/{self.np}", action="DescribeClusterNodePoolDetail")
        self.assertEqual((pool["status"]["state"], pool["status"]["initial_nodes"]), ("scaling", 2))
        self.sim.advance(300)
        mid = self.get(f"/tasks/{tid}", action="DescribeTaskInfo")
        self.assertEqual(mid["state"], "running")
        self.assertEqual(mid["current_stage"], "AttachNodes")
        self.assertEqual(mid["stages"][0]["state"], "success")
        self.sim.advance(301)
        done = self.get(f"/tasks/{tid}", action="DescribeTaskInfo")
        self.assertEqual(done["state"], "success")
        self.assertIsNone(done["error"])
        self.assertEqual([x["status"] for x in done["task_result"]], ["success", "success"])
        pool = self.get(f"/clusters/{self.prod}/nodepools/{self.np}", action="DescribeClusterNodePoolDetail")
        self.assertEqual((pool["status"]["state"], pool["status"]["total_nodes"],
                          pool["scaling_group"]["desired_size"]), ("active", 5, 5))
        listed = self.get(f"/clusters/{self.prod}/tasks", action="DescribeClusterTasks")
        self.assertEqual(listed["tasks"][0]["task_id"], tid)
        self.assertEqual(listed["tasks"][0]["state"], "success")
        self.assertEqual(listed["page_info"]["total_count"], 4)

    def test_task_advances_on_the_wall_clock(self):
        self.sim.configure(task_duration=0.3)
        try:
            tid = self.scale(1).json["task_id"]
            self.assertEqual(self.get(f"/tasks/{tid}", action="DescribeTaskInfo")["state"], "running")
            time.sleep(0.4)
            self.assertEqual(self.get(f"/tasks/{tid}", action="DescribeTaskInfo")["state"], "success")
        finally:
            self.sim.configure(task_duration=600)

    def test_injected_task_failure_rolls_the_pool_back(self):
        self.sim.fault(kind="task_fail")
        tid = self.scale(3).json["task_id"]
        self.sim.advance(700)
        info = self.get(f"/tasks/{tid}", action="DescribeTaskInfo")
        self.assertEqual(info["state"], "failed")
        self.assertEqual(info["error"]["code"], "OperationDenied.NoStock")
        pool = self.get(f"/clusters/{self.prod}/nodepools/{self.np}", action="DescribeClusterNodePoolDetail")
        self.assertEqual((pool["status"]["total_nodes"], pool["scaling_group"]["desired_size"]), (3, 3))
        tid2 = self.scale(1).json["task_id"]
        self.sim.advance(700)
        self.assertEqual(self.get(f"/tasks/{tid2}", action="DescribeTaskInfo")["state"], "success")

    def test_control_endpoint_fails_a_running_task(self):
        tid = self.scale(1).json["task_id"]
        self.sim.control("POST", f"/_sim/tasks/{tid}", {"state": "failed"})
        self.assertEqual(self.get(f"/tasks/{tid}", action="DescribeTaskInfo")["state"], "failed")

    def test_scale_validation(self):
        for count in (0, 501, "2", True):
            self.assertCsError(self.scale(count), 400, "InvalidParameter")
        self.assertCsError(self.scale(1, cluster=self.edge, pool=self.sim.info["nodepools"]["edge"]), 400,
                           "ErrorClusterStateConflict")
        self.assertCsError(self.scale(1, pool="np" + "1" * 32), 404, "ErrorNodePoolNotFound")
        self.assertEqual(self.sim.state()["tasks"][-1]["task_type"], "cluster_addon_install")

    def test_remove_nodes(self):
        nodes = self.get(f"/clusters/{self.prod}/nodes", {"nodepool_id": self.np}, "DescribeClusterNodes")["nodes"]
        victim = nodes[0]["instance_id"]
        r = self.c.cs("DELETE", f"/clusters/{self.prod}/nodepools/{self.np}/nodes",
                      {"instance_ids": json.dumps([victim]), "release_node": "true", "drain_node": "true"},
                      action="RemoveNodePoolNodes")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(set(r.json), {"task_id", "request_id"})
        removing = self.get(f"/clusters/{self.prod}/nodes", {"state": "removing"}, "DescribeClusterNodes")
        self.assertEqual([n["instance_id"] for n in removing["nodes"]], [victim])
        info = self.get(f"/tasks/{r.json['task_id']}", action="DescribeTaskInfo")
        self.assertEqual((info["task_type"], info["current_stage"]), ("nodepool_node_remove", "DrainNodes"))
        self.assertEqual(info["parameters"]["instance_ids"], [victim])
        self.sim.advance(700)
        left = self.get(f"/clusters/{self.prod}/nodes", {"nodepool_id": self.np}, "DescribeClusterNodes")
        self.assertNotIn(victim, [n["instance_id"] for n in left["nodes"]])
        pool = self.get(f"/clusters/{self.prod}/nodepools/{self.np}", action="DescribeClusterNodePoolDetail")
        self.assertEqual(pool["scaling_group"]["desired_size"], 2)

    def test_remove_nodes_validation(self):
        gpu_node = self.get(f"/clusters/{self.prod}/nodes", {"nodepool_id": self.sim.info["nodepools"]["prod_gpu"]},
                            "DescribeClusterNodes")["nodes"][0]["instance_id"]
        bad = [({"instance_ids": "i-a,i-b"}, "InvalidParameter"), ({}, "InvalidParameter"),
               ({"instance_ids": json.dumps([gpu_node])}, "ErrorNodeNotInNodePool")]
        for query, code in bad:
            r = self.c.cs("DELETE", f"/clusters/{self.prod}/nodepools/{self.np}/nodes", query,
                          action="RemoveNodePoolNodes")
            self.assertCsError(r, 400, code)

    def test_cancel_task(self):
        tid = self.scale(1).json["task_id"]
        r = self.c.cs("POST", f"/tasks/{tid}/cancel", action="CancelTask")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.get(f"/tasks/{tid}", action="DescribeTaskInfo")["state"], "canceled")
        self.assertCsError(self.c.cs("POST", f"/tasks/{tid}/cancel", action="CancelTask"), 400,
                           "ErrorTaskStateConflict")
        self.assertCsError(self.c.cs("GET", "/tasks/T-nope", action="DescribeTaskInfo"), 404, "ErrorTaskNotFound")

    def test_modify_nodepool_desired_size(self):
        r = self.c.cs("PUT", f"/clusters/{self.prod}/nodepools/{self.np}", body={"scaling_group": {"desired_size": 1}},
                      action="ModifyClusterNodePool")
        self.assertEqual(r.status, 200, r.body)
        self.sim.advance(700)
        pool = self.get(f"/clusters/{self.prod}/nodepools/{self.np}", action="DescribeClusterNodePoolDetail")
        self.assertEqual((pool["status"]["total_nodes"], pool["scaling_group"]["desired_size"]), (1, 1))

    # ------------------------------------------------------------------ diagnosis

    def diagnose(self, body, cluster=None):
        return self.c.cs("POST", f"/clusters/{cluster or self.prod}/diagnosis", body=body, action="CreateClusterDiagnosis")

    def result(self, did, cluster=None, **q):
        return self.get(f"/clusters/{cluster or self.prod}/diagnosis/{did}/result", q, "GetClusterDiagnosisResult")

    def test_diagnosis_goes_from_created_to_completed(self):
        node = self.get(f"/clusters/{self.prod}/nodes", action="DescribeClusterNodes")["nodes"][0]["node_name"]
        r = self.diagnose({"type": "node", "target": {"name": node}})
        self.assertEqual(r.status, 200, r.body)
        did = r.json["diagnosis_id"]
        self.assertEqual(r.json["cluster_id"], self.prod)
        first = self.result(did)
        self.assertEqual((first["status"], first["code"], first["finished"]), (0, 0, None))
        self.assertEqual(json.loads(first["target"]), {"name": node})
        self.sim.advance(100)
        self.assertEqual(self.result(did)["status"], 1)
        items = self.get(f"/clusters/{self.prod}/diagnosis/{did}/check_items", action="GetClusterDiagnosisCheckItems")
        self.assertEqual(items["check_items"], [])
        self.sim.advance(250)
        done = self.result(did)
        self.assertEqual((done["status"], done["code"], done["message"]), (2, 0, "success"))
        self.assertRegex(done["finished"], r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$")
        result = json.loads(done["result"])
        self.assertEqual(result["phase"], 5)
        self.assertEqual(result["summary"]["warning"], 1)
        items = self.get(f"/clusters/{self.prod}/diagnosis/{did}/check_items", action="GetClusterDiagnosisCheckItems")
        self.assertTrue(items["is_success"])
        self.assertEqual([i["name"] for i in items["check_items"]][:2], ["NodeReady", "KubeletStatus"])
        for key in ("name", "group", "desc", "display", "value", "refer", "level", "message"):
            self.assertIn(key, items["check_items"][0])
        zh = self.get(f"/clusters/{self.prod}/diagnosis/{did}/check_items", {"language": "zh_CN"},
                      "GetClusterDiagnosisCheckItems")
        self.assertEqual(zh["check_items"][0]["message"], "正常")

    def test_diagnosis_of_a_missing_node_completes_as_failed(self):
        did = self.diagnose({"type": "node", "target": {"name": "cn-hangzhou.10.9.9.9"}}).json["diagnosis_id"]
        self.sim.advance(400)
        done = self.result(did)
        self.assertEqual((done["status"], done["code"]), (2, 1))
        self.assertIn("not found", done["message"])

    def test_diagnosis_faults_stuck_and_fail(self):
        self.sim.fault(kind="diagnosis_stuck")
        stuck = self.diagnose({"type": "cluster", "target": {}}).json["diagnosis_id"]
        self.sim.fault(kind="diagnosis_fail")
        failing = self.diagnose({"type": "cluster", "target": {}}).json["diagnosis_id"]
        self.sim.advance(10000)
        self.assertEqual(self.result(stuck)["status"], 1)
        self.assertEqual((self.result(failing)["status"], self.result(failing)["code"]), (2, 1))

    def test_diagnosis_validation(self):
        self.assertCsError(self.diagnose({"type": "kernel", "target": {}}), 400, "InvalidParameter")
        self.assertCsError(self.diagnose({"type": "pod", "target": {"name": "web"}}), 400, "InvalidParameter")
        self.assertCsError(self.diagnose(b"{not json"), 400, "InvalidParameter")
        ok = self.diagnose({"type": "network", "target": json.dumps({"src": "10.0.0.1", "dst": "10.0.0.2",
                                                                     "dport": "80", "protocol": "tcp"})})
        self.assertEqual(ok.status, 200, ok.body)
        self.assertCsError(self.c.cs("GET", f"/clusters/{self.prod}/diagnosis/{'f' * 32}/result",
                                     action="GetClusterDiagnosisResult"), 404, "ErrorDiagnosisNotFound")

    # ------------------------------------------------------------------ inspection

    def test_seeded_report_and_detail_paging(self):
        reports = self.get(f"/clusters/{self.prod}/inspectReports", {"maxResults": 1}, "ListClusterInspectReports")
        self.assertEqual(len(reports["reports"]), 1)
        self.assertNotIn("nextToken", reports)
        rep = reports["reports"][0]
        self.assertEqual(rep["status"], "completed")
        self.assertIsNotNone(rep["endTime"])
        s = rep["summary"]
        self.assertEqual((s["errorCount"], s["warnCount"], s["adviceCount"], s["normalCount"], s["code"]),
                         (3, 2, 3, 17, "error"))
        items, token, pages = [], None, 0
        while True:
            q = {"maxResults": 10}
            if token:
                q["nextToken"] = token
            d = self.get(f"/clusters/{self.prod}/inspectReports/{rep['reportId']}", q, "GetClusterInspectReportDetail")
            items += d["checkItemResults"]
            pages += 1
            token = d.get("nextToken")
            if not token:
                break
        self.assertEqual((len(items), pages), (25, 3))
        for key in ("category", "checkItemUid", "name", "description", "fix", "level", "result", "targetType",
                    "targets"):
            self.assertIn(key, items[0])
        abnormal = self.get(f"/clusters/{self.prod}/inspectReports/{rep['reportId']}",
                            {"enableFilter": "true", "maxResults": 50}, "GetClusterInspectReportDetail")
        self.assertEqual(len(abnormal["checkItemResults"]), 8)
        self.assertTrue(all(i["result"] == "true" for i in abnormal["checkItemResults"]))
        sec = self.get(f"/clusters/{self.prod}/inspectReports/{rep['reportId']}",
                       {"category": "security", "level": "error"}, "GetClusterInspectReportDetail")
        self.assertEqual([i["checkItemUid"] for i in sec["checkItemResults"]], ["SecurityGroupRules"])

    def test_run_inspection(self):
        r = self.c.cs("POST", f"/clusters/{self.prod}/inspectReports", body={"clientToken": "tok-1"},
                      action="RunClusterInspect")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(set(r.json), {"reportId", "taskId", "requestId"})
        again = self.c.cs("POST", f"/clusters/{self.prod}/inspectReports", body={"clientToken": "tok-1"},
                          action="RunClusterInspect")
        self.assertEqual(again.json["reportId"], r.json["reportId"])
        rid = r.json["reportId"]
        d = self.get(f"/clusters/{self.prod}/inspectReports/{rid}", action="GetClusterInspectReportDetail")
        self.assertEqual((d["status"], d["checkItemResults"], d["endTime"]), ("running", [], None))
        latest = self.get(f"/clusters/{self.prod}/inspectReports", {"maxResults": 1}, "ListClusterInspectReports")
        self.assertEqual(latest["reports"][0]["reportId"], rid)
        self.assertIn("nextToken", latest)
        self.sim.advance(301)
        d = self.get(f"/clusters/{self.prod}/inspectReports/{rid}", action="GetClusterInspectReportDetail")
        self.assertEqual(d["status"], "completed")
        self.assertEqual(len(d["checkItemResults"]), 20)
        self.assertCsError(self.c.cs("POST", f"/clusters/{self.edge}/inspectReports", body={},
                                     action="RunClusterInspect"), 400, "ErrorInspectionNotSupported")
        self.assertCsError(self.c.cs("GET", f"/clusters/{self.prod}/inspectReports/nope",
                                     action="GetClusterInspectReportDetail"), 404, "ErrorReportNotFound")

    # ------------------------------------------------------------------ kubeconfig and log discovery

    def test_user_kubeconfig(self):
        t0 = time.time()
        body = self.get(f"/k8s/{self.prod}/user_config", {"PrivateIpAddress": "false", "TemporaryDurationMinutes": 60},
                        "DescribeClusterUserKubeconfig")
        cfg = body["config"]
        self.assertIn("server: https://127.0.0.1:16443\n", cfg)
        self.assertIn("token: k8s-sim-token\n", cfg)
        with open(self.ca, "rb") as f:
            self.assertIn("certificate-authority-data: " + base64.b64encode(f.read()).decode(), cfg)
        self.assertIn(f"current-context: 1234567890123456-{self.prod}", cfg)
        exp = sc.utc_ts(body["expiration"])
        self.assertAlmostEqual(exp - t0, 3600, delta=5)
        private = self.get(f"/k8s/{self.staging}/user_config", {"PrivateIpAddress": "true",
                                                                "TemporaryDurationMinutes": 15},
                           "DescribeClusterUserKubeconfig")
        self.assertIn("server: https://127.0.0.1:16443", private["config"])
        self.assertCsError(self.c.cs("GET", f"/k8s/{self.staging}/user_config", {"TemporaryDurationMinutes": 60},
                                     action="DescribeClusterUserKubeconfig"), 400, "ErrorPublicEndpointNotEnabled")
        self.assertCsError(self.c.cs("GET", f"/k8s/{self.prod}/user_config", {"TemporaryDurationMinutes": 5},
                                     action="DescribeClusterUserKubeconfig"), 400, "InvalidParameter")
        self.assertEqual(self.sim.state()["kubeconfigs_issued"], 2)

    def test_audit_and_controlplane_log_discovery(self):
        self.assertEqual(self.get(f"/clusters/{self.prod}/audit", action="GetClusterAuditProject"),
                         {"sls_project_name": f"k8s-log-{self.prod}", "audit_enabled": True})
        self.assertFalse(self.get(f"/clusters/{self.staging}/audit", action="GetClusterAuditProject")["audit_enabled"])
        cp = self.get(f"/clusters/{self.prod}/controlplanelog", action="CheckControlPlaneLogEnable")
        self.assertEqual((cp["log_project"], cp["log_ttl"]), (f"k8s-log-{self.prod}", "30"))
        self.assertIn("apiserver", cp["components"])
        odd = self.get(f"/clusters/{self.staging}/controlplanelog", action="CheckControlPlaneLogEnable")
        self.assertEqual(json.loads(odd["components"][0]), ["apiserver", "kcm", "scheduler"])
        self.assertEqual(odd["log_ttl"], 7)


if __name__ == "__main__":
    unittest.main()
