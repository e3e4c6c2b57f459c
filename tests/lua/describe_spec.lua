local D = require("describe")
local sandboxed = require("sandbox")
local fx = require("worker_fixtures")

local function lines(...) return table.concat({ ... }, "\n") end

local NOW, worker_pod, WORKER_EVENTS = fx.NOW, fx.worker_pod, fx.WORKER_EVENTS

describe("describe", function()
  it("loads in the host's sandbox (no io, os, time or settings)", function()
    local d = sandboxed("describe")
    assert.is_truthy(d.describe({ kind = "Pod", metadata = { name = "p", creationTimestamp = "2026-12-05T15:14:32Z" },
      status = { startTime = "2026-12-05T15:14:32Z" } }):find("Start Time:       2026-12-05T15:14:32Z\n", 1, true))
  end)

  it("describes a pod: containers, last state, conditions, volumes, events", function()
    assert.are.equal(lines(
      "Name:             worker-pxptb5pwd5-7nphk",
      "Namespace:        shop",
      "Labels:           app=worker",
      "                  pod-template-hash=pxptb5pwd5",
      "Annotations:      <none>",
      "Service Account:  default",
      "Node:             cn-hangzhou.10.0.1.11/10.0.1.11",
      "Start Time:       2026-11-30T15:14:43Z (4d23h ago)",
      "Status:           Running",
      "IP:               172.20.1.113",
      "Controlled By:    ReplicaSet/worker-pxptb5pwd5",
      "Containers:",
      "  worker:",
      "    Image:          registry.cn-hangzhou.aliyuncs.com/acme/worker:1.8.0",
      "    Port:           <none>",
      "    State:          Running",
      "      Started:      2026-12-05T14:49:32Z (25m ago)",
      "    Last State:     Terminated",
      "      Reason:       OOMKilled",
      "      Exit Code:    137",
      "      Started:      2026-12-05T13:39:32Z (95m ago)",
      "      Finished:     2026-12-05T14:49:29Z (25m ago)",
      "    Ready:          True",
      "    Restart Count:  3",
      "    Limits:",
      "      memory:  512Mi",
      "    Requests:",
      "      cpu:     500m",
      "      memory:  256Mi",
      "    Environment:",
      "      JAVA_OPTS:  -Xmx768m",
      "    Mounts:",
      "      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-gsspb (ro)",
      "Conditions:",
      "  Type          Status",
      "  ----          ------",
      "  Initialized   True",
      "  Ready         True",
      "  PodScheduled  True",
      "Volumes:",
      "  kube-api-access-gsspb:",
      "    Type:        Projected",
      "QoS Class:       Burstable",
      "Node-Selectors:  <none>",
      "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
      "Events:",
      "  Type     Reason      Age               From               Message",
      "  ----     ------      ----              ----               -------",
      "  Warning  OOMKilling  25m (x3 over 3d)  kernel-monitor     Memory cgroup out of memory: Killed process 2817 (java)",
      "  Normal   Started     25m (x4 over 5d)  kubelet            Started container worker",
      "  Normal   Scheduled   4d23h             default-scheduler  Successfully assigned shop/worker to cn-hangzhou.10.0.1.11"),
      D.describe(worker_pod(), json.decode(WORKER_EVENTS), { now = NOW }))
  end)

  it("shows waiting states, probes, env references, init containers and the controller", function()
    local p = json.decode([[{"kind":"Pod","metadata":{"name":"api-x","namespace":"shop",
      "deletionTimestamp":"2026-12-05T15:14:00Z"},
      "spec":{"initContainers":[{"name":"migrate","image":"acme/migrate:1","command":["sh","-c","migrate up"]}],
        "containers":[{"name":"api","image":"acme/api:2","ports":[{"containerPort":8080},{"containerPort":9090,"protocol":"UDP"}],
        "livenessProbe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":5},
        "readinessProbe":{"tcpSocket":{"port":8080}},
        "env":[{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}},
               {"name":"API_TOKEN","value":"<redacted: 20 bytes, fnv:fbd8127e>"},
               {"name":"POD_NS","valueFrom":{"fieldRef":{"fieldPath":"metadata.namespace"}}}],
        "envFrom":[{"configMapRef":{"name":"api-config"}}]}]},
      "status":{"phase":"Running","reason":"Evicted","message":"low on memory",
        "initContainerStatuses":[{"name":"migrate","ready":true,"restartCount":0,
          "state":{"terminated":{"exitCode":0,"reason":"Completed"}}}],
        "containerStatuses":[{"name":"api","ready":false,"restartCount":7,
          "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 5m0s restarting failed container"}},
          "lastState":{"terminated":{"exitCode":1,"reason":"Error","message":"panic: boom\ngoroutine 1"}}}]}}]])
    -- Alignment is checked elsewhere: here runs of spaces count as one.
    local text = D.describe(p, nil, { now = NOW }):gsub(" +", " ")
    for _, want in ipairs({
      "Terminating Since: 2026-12-05T15:14:00Z (32s ago)\n",
      "Status: Terminating\nReason: Evicted\nMessage: low on memory\nIP:\nControlled By: <none>\n",
      "Init Containers:\n migrate:\n Image: acme/migrate:1\n Port: <none>\n Command:\n sh\n -c\n migrate up\n"
        .. " State: Terminated\n Reason: Completed\n Exit Code: 0\n Started: <unknown>\n Finished: <unknown>\n"
        .. " Ready: True\n Restart Count: 0\n",
      " Ports: 8080/TCP, 9090/UDP\n",
      " State: Waiting\n Reason: CrashLoopBackOff\n Message: back-off 5m0s restarting failed container\n",
      " Last State: Terminated\n Reason: Error\n Message: panic: boom\n goroutine 1\n Exit Code: 1\n",
      " Ready: False\n Restart Count: 7\n",
      " Liveness: http-get http://:8080/healthz delay=0s timeout=1s period=5s #success=1 #failure=3\n",
      " Readiness: tcp-socket :8080 delay=0s timeout=1s period=10s #success=1 #failure=3\n",
      " Environment Variables from:\n api-config ConfigMap Optional: false\n",
      " Environment:\n DB_PASSWORD: <set to the key 'password' in secret 'db'>\n"
        .. " API_TOKEN: <redacted: 20 bytes, fnv:fbd8127e>\n POD_NS: (v1:metadata.namespace)\n",
      "\nEvents: <none>",
    }) do
      assert.is_truthy(text:find(want, 1, true), "missing: " .. want .. "\n---\n" .. text)
    end
    -- The continuation of a multi-line message lines up under its first line.
    assert.is_truthy(D.describe(p, nil, { now = NOW }):find(
      "\n      Message:      panic: boom\n                    goroutine 1\n", 1, true))
  end)

  it("describes a deployment with its pod template and conditions", function()
    local d = json.decode([[{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"api","namespace":"shop",
      "creationTimestamp":"2026-12-05T12:14:32Z","labels":{"app":"api"},"annotations":{
      "kubectl.kubernetes.io/last-applied-configuration":"{}","deployment.kubernetes.io/revision":"1"}},
      "spec":{"replicas":2,"selector":{"matchLabels":{"app":"api"}},"strategy":{"type":"RollingUpdate",
        "rollingUpdate":{"maxUnavailable":"25%","maxSurge":1}},
        "template":{"metadata":{"labels":{"app":"api","tier":"backend"}},"spec":{"containers":[{"name":"api",
        "image":"acme/api:2.3.1","ports":[{"containerPort":8080,"protocol":"TCP"}],
        "resources":{"requests":{"cpu":"250m"}}}]}}},
      "status":{"replicas":2,"updatedReplicas":2,"readyReplicas":1,"availableReplicas":1,"unavailableReplicas":1,
        "conditions":[{"type":"Available","status":"False","reason":"MinimumReplicasUnavailable",
        "message":"Deployment does not have minimum availability."}]}}]])
    assert.are.equal(lines(
      "Name:                   api",
      "Namespace:              shop",
      "CreationTimestamp:      2026-12-05T12:14:32Z (3h ago)",
      "Labels:                 app=api",
      "Annotations:            deployment.kubernetes.io/revision: 1",
      "Selector:               app=api",
      "Replicas:               2 desired | 2 updated | 2 total | 1 available | 1 unavailable",
      "StrategyType:           RollingUpdate",
      "MinReadySeconds:        0",
      "RollingUpdateStrategy:  25% max unavailable, 1 max surge",
      "Pod Template:",
      "  Labels:  app=api",
      "           tier=backend",
      "  Containers:",
      "    api:",
      "      Image:  acme/api:2.3.1",
      "      Port:   8080/TCP",
      "      Requests:",
      "        cpu:        250m",
      "      Environment:  <none>",
      "      Mounts:       <none>",
      "  Volumes:          <none>",
      "Conditions:",
      "  Type       Status  Reason                      Message",
      "  ----       ------  ------                      -------",
      "  Available  False   MinimumReplicasUnavailable  Deployment does not have minimum availability.",
      "Events:      <none>"),
      D.describe(d, json.array(), { now = NOW }))
  end)

  it("describes a node: roles, taints, conditions, addresses, capacity", function()
    local n = json.decode([[{"kind":"Node","metadata":{"name":"n3","creationTimestamp":"2026-11-05T15:14:32Z",
      "labels":{"node-role.kubernetes.io/gpu":"","workload":"gpu"}},
      "spec":{"taints":[{"key":"dedicated","value":"gpu","effect":"NoSchedule"}],"podCIDR":"172.20.3.0/24"},
      "status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady",
        "message":"kubelet is posting ready status"}],
        "addresses":[{"type":"InternalIP","address":"10.0.1.13"}],
        "capacity":{"cpu":"4","memory":"15944116Ki"},"allocatable":{"cpu":"3900m"},
        "nodeInfo":{"kubeletVersion":"v1.32.1-aliyun.1","osImage":"Alibaba Cloud Linux 3"}}}]])
    assert.are.equal(lines(
      "Name:               n3",
      "Roles:              gpu",
      "CreationTimestamp:  2026-11-05T15:14:32Z (30d ago)",
      "Labels:             node-role.kubernetes.io/gpu=",
      "                    workload=gpu",
      "Annotations:        <none>",
      "Taints:             dedicated=gpu:NoSchedule",
      "Unschedulable:      false",
      "Conditions:",
      "  Type   Status  Reason        Message",
      "  ----   ------  ------        -------",
      "  Ready  True    KubeletReady  kubelet is posting ready status",
      "Addresses:",
      "  InternalIP:  10.0.1.13",
      "Capacity:",
      "  cpu:     4",
      "  memory:  15944116Ki",
      "Allocatable:",
      "  cpu:  3900m",
      "System Info:",
      "  OS Image:         Alibaba Cloud Linux 3",
      "  Kubelet Version:  v1.32.1-aliyun.1",
      "PodCIDR:            172.20.3.0/24",
      "Events:             <none>"),
      D.describe(n, nil, { now = NOW }))
  end)

  it("describes a service with endpoints from an Endpoints object or EndpointSlices", function()
    local s = json.decode([[{"kind":"Service","metadata":{"name":"web","namespace":"shop"},
      "spec":{"type":"LoadBalancer","clusterIP":"192.168.34.17","selector":{"app":"web"},
        "ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30226,"protocol":"TCP"}],
        "sessionAffinity":"None","externalTrafficPolicy":"Local"},
      "status":{"loadBalancer":{"ingress":[{"ip":"47.96.12.34"}]}}}]])
    local ep = json.decode([[{"kind":"Endpoints","subsets":[{"addresses":[{"ip":"172.20.2.109"},
      {"ip":"172.20.2.108"},{"ip":"172.20.1.109"},{"ip":"172.20.1.110"}],"ports":[{"name":"http","port":8080}]}]}]])
    local text = D.describe(s, nil, { now = NOW, endpoints = ep })
    assert.are.equal(lines(
      "Name:                     web",
      "Namespace:                shop",
      "CreationTimestamp:        <unknown>",
      "Labels:                   <none>",
      "Annotations:              <none>",
      "Selector:                 app=web",
      "Type:                     LoadBalancer",
      "IP:                       192.168.34.17",
      "LoadBalancer Ingress:     47.96.12.34",
      "Port:                     http  80/TCP",
      "TargetPort:               8080/TCP",
      "NodePort:                 http  30226/TCP",
      "Endpoints:                172.20.2.109:8080,172.20.2.108:8080,172.20.1.109:8080 + 1 more...",
      "Session Affinity:         None",
      "External Traffic Policy:  Local",
      "Events:                   <none>"), text)
    local slices = json.decode([=[[{"kind":"EndpointSlice","ports":[{"name":"http","port":8080}],
      "endpoints":[{"addresses":["172.20.2.109"],"conditions":{"ready":true}},
                   {"addresses":["172.20.2.200"],"conditions":{"ready":false}}]}]]=])
    local t2 = D.describe(s, nil, { now = NOW, endpoints = slices })
    assert.is_truthy(t2:find("Endpoints:                172.20.2.109:8080\n", 1, true))
    assert.is_nil(D.describe(s, nil, { now = NOW }):find("Endpoints:  ", 1, true))
  end)

  it("never shows secret values, only markers or sizes", function()
    local s = { kind = "Secret", metadata = { name = "db", namespace = "shop" }, type = "Opaque",
                data = { password = "<redacted: 16 bytes, fnv:cc1018f3>", username = "c2hvcA==", raw = "aHVudGVyMg==" } }
    local text = D.describe(s, nil, { now = NOW })
    assert.is_truthy(text:find("Type:               Opaque\nData:\n  password:  <redacted: 16 bytes, fnv:cc1018f3>\n  raw:       7 bytes\n  username:  4 bytes\n", 1, true), text)
    assert.is_nil(text:find("c2hvcA", 1, true))
  end)

  it("dumps spec, other fields and status of any other kind", function()
    local cm = json.decode([[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web-config","namespace":"shop"},
      "data":{"default.conf":"server {\n  listen 80;\n}\n","mode":"fast"},"immutable":false}]])
    assert.are.equal(lines(
      "Name:               web-config",
      "Namespace:          shop",
      "Kind:               ConfigMap",
      "API Version:        v1",
      "CreationTimestamp:  <unknown>",
      "Labels:             <none>",
      "Annotations:        <none>",
      "Data:",
      "  default.conf: |",
      "    server {",
      "      listen 80;",
      "    }",
      "  mode: fast",
      "Immutable:  false",
      "Events:     <none>"),
      D.describe(cm, nil, { now = NOW }))
    local w = { apiVersion = "example.com/v1", kind = "Widget", metadata = { name = "w" },
                status = { phase = "Ready" }, spec = { size = 3 } }
    local text = D.describe(w, nil, { now = NOW, yaml_encode = function(v) return json.encode(v) .. "\n" end })
    assert.is_truthy(text:find('Spec:\n  {"size":3}\nStatus:\n  {"phase":"Ready"}\nEvents:', 1, true), text)
  end)

  it("cuts long annotations and leaves out last-applied", function()
    local o = { kind = "ConfigMap", metadata = { name = "c", annotations = {
      ["kubectl.kubernetes.io/last-applied-configuration"] = "{}", big = string.rep("x", 2000) } } }
    local text = D.describe(o, nil, { now = NOW })
    assert.is_truthy(text:find("Annotations:        big: " .. string.rep("x", 512) .. "... (2000 bytes)\n", 1, true))
    assert.is_nil(text:find("last-applied", 1, true))
  end)

  it("raises on a non-table object", function()
    assert.has_error(function() D.describe("pod") end,
                     "bad argument #1 to 'describe' (table expected, got string)")
  end)
end)
