-- worker_fixtures.lua: busted helper. The simulator's (tests/sim/k8s) worker pod, OOM-killed
-- once and restarted three times, and its events, as the API server returns them at NOW:
-- shared by the render, printers and describe specs.
local M = {}

M.NOW = 1796483672 -- 2026-12-05T15:14:32Z

-- A fresh copy each call: specs may change it.
function M.worker_pod()
  return json.decode([[{"kind":"Pod","apiVersion":"v1","metadata":{"name":"worker-pxptb5pwd5-7nphk",
"namespace":"shop","uid":"42794299-5e5b-5dc1-97a3-e270171a4288","creationTimestamp":"2026-11-30T15:14:42Z",
"labels":{"app":"worker","pod-template-hash":"pxptb5pwd5"},
"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"worker-pxptb5pwd5","controller":true}]},
"spec":{"containers":[{"name":"worker","image":"registry.cn-hangzhou.aliyuncs.com/acme/worker:1.8.0",
 "env":[{"name":"JAVA_OPTS","value":"-Xmx768m"}],
 "resources":{"requests":{"cpu":"500m","memory":"256Mi"},"limits":{"memory":"512Mi"}},
 "volumeMounts":[{"name":"kube-api-access-gsspb","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]}],
 "volumes":[{"name":"kube-api-access-gsspb","projected":{"defaultMode":420,"sources":[]}}],
 "serviceAccountName":"default","nodeName":"cn-hangzhou.10.0.1.11",
 "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]},
"status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True","lastProbeTime":null},
 {"type":"Ready","status":"True","lastProbeTime":null},{"type":"PodScheduled","status":"True","lastProbeTime":null}],
 "hostIP":"10.0.1.11","podIP":"172.20.1.113","startTime":"2026-11-30T15:14:43Z",
 "containerStatuses":[{"name":"worker","ready":true,"restartCount":3,"started":true,
  "state":{"running":{"startedAt":"2026-12-05T14:49:32Z"}},
  "lastState":{"terminated":{"exitCode":137,"reason":"OOMKilled","startedAt":"2026-12-05T13:39:32Z",
   "finishedAt":"2026-12-05T14:49:29Z"}}}],"qosClass":"Burstable"}}]])
end

M.WORKER_EVENTS = [=[[
{"type":"Warning","reason":"OOMKilling","message":"Memory cgroup out of memory: Killed process 2817 (java)",
 "source":{"component":"kernel-monitor","host":"cn-hangzhou.10.0.1.11"},"count":3,
 "firstTimestamp":"2026-12-02T15:14:32Z","lastTimestamp":"2026-12-05T14:49:29Z",
 "involvedObject":{"kind":"Pod","name":"worker-pxptb5pwd5-7nphk","namespace":"shop"},
 "metadata":{"name":"worker-pxptb5pwd5-7nphk.7e99ec1df22e8609","namespace":"shop"},
 "series":{"count":3,"lastObservedTime":"2026-12-05T14:49:29.000000Z"}},
{"type":"Normal","reason":"Started","message":"Started container worker\n",
 "source":{"component":"kubelet","host":"cn-hangzhou.10.0.1.11"},"count":4,
 "firstTimestamp":"2026-11-30T15:14:32Z","lastTimestamp":"2026-12-05T14:49:32Z",
 "involvedObject":{"kind":"Pod","name":"worker-pxptb5pwd5-7nphk","namespace":"shop"},
 "metadata":{"name":"worker-pxptb5pwd5-7nphk.96b2d6b0df62e4f7","namespace":"shop"}},
{"type":"Normal","reason":"Scheduled","message":"Successfully assigned shop/worker to cn-hangzhou.10.0.1.11",
 "source":{"component":"default-scheduler"},"count":1,"firstTimestamp":"2026-11-30T15:14:42Z",
 "lastTimestamp":"2026-11-30T15:14:42Z",
 "involvedObject":{"kind":"Pod","name":"worker-pxptb5pwd5-7nphk","namespace":"shop"},
 "metadata":{"name":"worker-pxptb5pwd5-7nphk.1","namespace":"shop"}}]]=]

return M
