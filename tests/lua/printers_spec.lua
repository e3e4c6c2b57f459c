local printers = require("printers")
local sandboxed = require("sandbox")
local fx = require("worker_fixtures")

local function lines(...) return table.concat({ ... }, "\n") end

local NOW = fx.NOW

describe("printers", function()
  it("loads in the host's sandbox (no io, os, time or settings)", function()
    local p = sandboxed("printers")
    assert.are.equal(lines("NAME   AGE", "w1     <unknown>"), p.objects_table("Widget", { { metadata = { name = "w1" } } }))
  end)

  describe("objects_table", function()
    local function pod(name, status, extra)
      local p = { kind = "Pod", metadata = { name = name, namespace = "shop",
                                             creationTimestamp = "2026-12-05T12:14:32Z" },
                  spec = { containers = { { name = "c" } }, nodeName = "n1" },
                  status = status }
      for k, v in pairs(extra or {}) do p[k] = v end
      return p
    end

    it("prints pods with READY, STATUS and RESTARTS computed as kubectl's printer", function()
      local items = {
        pod("running", { phase = "Running", podIP = "10.0.0.1",
          containerStatuses = { { name = "c", ready = true, restartCount = 0, state = { running = {} } } } }),
        pod("crashing", { phase = "Running", containerStatuses = { { name = "c", ready = false, restartCount = 7,
          state = { waiting = { reason = "CrashLoopBackOff" } },
          lastState = { terminated = { exitCode = 1, finishedAt = "2026-12-05T15:04:32Z" } } } } }),
        pod("pending", { phase = "Pending" }),
        pod("init", { phase = "Pending", initContainerStatuses = { { name = "i", restartCount = 0,
          state = { waiting = { reason = "PodInitializing" } } } } }),
        pod("done", { phase = "Succeeded", containerStatuses = { { name = "c", ready = false, restartCount = 0,
          state = { terminated = { exitCode = 0, reason = "Completed" } } } } }),
        pod("killed", { phase = "Running", containerStatuses = { { name = "c", ready = false, restartCount = 1,
          state = { terminated = { exitCode = 137, signal = 9 } } } } }),
      }
      items[4].spec.initContainers = { { name = "i" } }
      items[6].metadata.deletionTimestamp = "2026-12-05T15:14:00Z"
      assert.are.equal(lines(
        "NAME       READY   STATUS             RESTARTS      AGE",
        "running    1/1     Running            0             3h",
        "crashing   0/1     CrashLoopBackOff   7 (10m ago)   3h",
        "pending    0/1     Pending            0             3h",
        "init       0/1     Init:0/1           0             3h",
        "done       0/1     Completed          0             3h",
        "killed     0/1     Terminating        1             3h"),
        printers.objects_table("Pod", items, { now = NOW }))
      assert.are.equal(lines(
        "NAMESPACE   NAME      READY   STATUS    RESTARTS   AGE   IP         NODE   NOMINATED NODE   READINESS GATES",
        "shop        running   1/1     Running   0          3h    10.0.0.1   n1     <none>           <none>"),
        printers.objects_table("pods", { items[1] }, { now = NOW, wide = true, namespace_column = true }))
    end)

    it("prints deployments, services and nodes", function()
      local dep = { metadata = { name = "api", creationTimestamp = "2026-12-05T12:14:32Z" },
                    spec = { replicas = 2, selector = { matchLabels = { app = "api" } },
                             template = { spec = { containers = { { name = "api", image = "acme/api:2" } } } } },
                    status = { readyReplicas = 1, updatedReplicas = 2, availableReplicas = 1 } }
      assert.are.equal(lines(
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR",
        "api    1/2     2            1           3h    api          acme/api:2   app=api"),
        printers.objects_table("deployment", { dep }, { now = NOW, wide = true }))

      local svcs = {
        { metadata = { name = "web", creationTimestamp = "2026-11-23T15:14:32Z" },
          spec = { type = "LoadBalancer", clusterIP = "192.168.34.17",
                   ports = { { port = 80, nodePort = 30226, protocol = "TCP" } } },
          status = { loadBalancer = { ingress = { { ip = "47.96.12.34" } } } } },
        { metadata = { name = "db", creationTimestamp = "2026-11-23T15:14:32Z" },
          spec = { clusterIP = "None", ports = { { port = 5432 } } } },
        { metadata = { name = "ext", creationTimestamp = "2026-11-23T15:14:32Z" },
          spec = { type = "ExternalName", externalName = "db.example.com" } },
      }
      assert.are.equal(lines(
        "NAME   TYPE           CLUSTER-IP      EXTERNAL-IP      PORT(S)        AGE",
        "web    LoadBalancer   192.168.34.17   47.96.12.34      80:30226/TCP   12d",
        "db     ClusterIP      None            <none>           5432/TCP       12d",
        "ext    ExternalName   <none>          db.example.com   <none>         12d"),
        printers.objects_table("Service", svcs, { now = NOW }))

      local node = { metadata = { name = "cn-hangzhou.10.0.1.11", creationTimestamp = "2026-11-05T15:14:32Z",
                                  labels = { ["node-role.kubernetes.io/worker"] = "" } },
                     spec = { unschedulable = true },
                     status = { conditions = { { type = "Ready", status = "True" } },
                                nodeInfo = { kubeletVersion = "v1.32.1-aliyun.1" } } }
      assert.are.equal(lines(
        "NAME                    STATUS                     ROLES    AGE   VERSION",
        "cn-hangzhou.10.0.1.11   Ready,SchedulingDisabled   worker   30d   v1.32.1-aliyun.1"),
        printers.objects_table("nodes", { node }, { now = NOW }))
    end)

    it("prints events as kubectl get events", function()
      local events = json.decode(fx.WORKER_EVENTS)
      assert.are.equal(lines(
        "LAST SEEN   TYPE      REASON       OBJECT                        MESSAGE",
        "25m         Warning   OOMKilling   pod/worker-pxptb5pwd5-7nphk   Memory cgroup out of memory: Killed process 2817 (java)",
        "25m         Normal    Started      pod/worker-pxptb5pwd5-7nphk   Started container worker",
        "4d23h       Normal    Scheduled    pod/worker-pxptb5pwd5-7nphk   Successfully assigned shop/worker to cn-hangzhou.10.0.1.11"),
        printers.objects_table("events", events, { now = NOW }))
    end)

    it("falls back to NAME and AGE for other kinds", function()
      local items = { { metadata = { name = "w1", namespace = "a", creationTimestamp = "2026-12-05T15:14:02Z" } },
                      { metadata = { name = "w2", namespace = "b" } } }
      assert.are.equal(lines("NAMESPACE   NAME   AGE", "a           w1     30s", "b           w2     <unknown>"),
                       printers.objects_table("Widget", items, { now = NOW, namespace_column = true }))
      assert.are.equal("No resources found.", printers.objects_table("Pod", {}, { now = NOW }))
      assert.are.equal(lines("NAME   AGE", "w1     30s"),
                       printers.objects_table("Widget", { kind = "WidgetList", items = { items[1] } }, { now = NOW }))
    end)

    it("raises on bad arguments", function()
      assert.has_error(function() printers.objects_table(nil, {}) end,
                       "bad argument #1 to 'objects_table' (string expected, got nil)")
      assert.has_error(function() printers.objects_table("Pod", "x") end,
                       "bad argument #2 to 'objects_table' (table expected, got string)")
    end)
  end)

  describe("field texts shared with describe", function()
    it("gives an event's age as kubectl describe and kubectl events do", function()
      local e = json.decode(fx.WORKER_EVENTS)
      assert.are.equal("25m (x3 over 3d)", printers.event_age(e[1], NOW)) -- a series
      assert.are.equal("25m (x4 over 5d)", printers.event_age(e[2], NOW)) -- a count
      assert.are.equal("4d23h", printers.event_age(e[3], NOW))
      assert.are.equal("10m", printers.event_age({ eventTime = "2026-12-05T15:04:32.000000Z" }, NOW))
      -- kubectl prints a series' missing time as <unknown> rather than falling back
      assert.are.equal("<unknown> (x2 over 10m)",
        printers.event_age({ series = { count = 2 }, eventTime = "2026-12-05T15:04:32.000000Z" }, NOW))
      assert.are.equal("<unknown>", printers.event_age({ count = "3" }, NOW))
      assert.are.equal("<unknown>", printers.event_age(json.null, NOW))
    end)

    it("writes a LabelSelector as metav1.LabelSelectorAsSelector does, sorted", function()
      assert.are.equal("app=web,env notin (dev,test),gpu,tier in (a,b)", printers.selector({
        matchLabels = { app = "web" },
        matchExpressions = { { key = "tier", operator = "In", values = { "b", "a" } },
                             { key = "env", operator = "NotIn", values = { "test", "dev" } },
                             { key = "gpu", operator = "Exists" } } }))
      assert.are.equal("<none>", printers.selector({}))
      assert.are.equal("<none>", printers.selector(json.null))
    end)

    it("sorts a DoesNotExist requirement by its key, not by its '!'", function()
      assert.are.equal("app=web,!canary,zone in (a)", printers.selector({
        matchLabels = { app = "web" },
        matchExpressions = { { key = "zone", operator = "In", values = { "a" } },
                             { key = "canary", operator = "DoesNotExist" } } }))
    end)

    it("lists node roles from both role labels, sorted and once", function()
      assert.are.equal("control-plane,worker", printers.node_roles({
        ["node-role.kubernetes.io/worker"] = "", ["node-role.kubernetes.io/control-plane"] = "",
        ["kubernetes.io/role"] = "worker", ["node-role.kubernetes.io/"] = "" }))
      assert.are.equal("<none>", printers.node_roles(nil))
      assert.are.equal("1", printers.count(nil, "1"))
      assert.are.equal("3", printers.count(3.0))
    end)
  end)
end)
