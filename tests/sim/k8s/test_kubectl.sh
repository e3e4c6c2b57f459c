#!/usr/bin/env bash
# tests/sim/k8s/test_kubectl.sh: the real kubectl against the Kubernetes API simulator.
#
# Starts server.py on a free port in a temporary directory, drives it with the
# kubectl on PATH (KUBECTL=... to override) and checks what kubectl prints.
# Every check names what it expects, so a failure says what broke. Ends with
# "N passed, M failed"; exits non-zero on any failure. Cleans up its processes
# and files on any exit.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
KUBECTL=${KUBECTL:-kubectl}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/simk8s.XXXXXX")
PIDS=()
PASS=0
FAIL=0

cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "FATAL: $*" >&2; exit 2; }

command -v "$KUBECTL" >/dev/null || die "kubectl not found (set KUBECTL)"

# start_sim DIR [server flags...]: start a simulator; sets SIM_PID and SIM_PORT
start_sim() {
    local dir=$1; shift
    mkdir -p "$dir"
    python3 "$HERE/server.py" --port 0 --state-dir "$dir" "$@" >"$dir/ready" 2>"$dir/server.log" &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    local i
    for i in $(seq 200); do
        [ -s "$dir/ready" ] && break
        kill -0 "$SIM_PID" 2>/dev/null || die "simulator exited: $(cat "$dir/server.log")"
        sleep 0.1
    done
    [ -s "$dir/ready" ] || die "simulator not ready after 20 s"
    SIM_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$dir/ready")
}

pass() { PASS=$((PASS + 1)); }
fail() {
    FAIL=$((FAIL + 1))
    echo "FAIL: $1"
    echo "  expected: $2"
    echo "  got (rc=$RC):"
    printf '%s\n' "$OUT" | head -15 | sed 's/^/    /'
}

# simctl METHOD PATH [JSON]: call a test-only /_sim endpoint of the main simulator
simctl() {
    python3 - "$SIM" "$CA" "$@" <<'PY'
import ssl, sys, urllib.request
base, ca, method, path = sys.argv[1:5]
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
ctx = ssl.create_default_context(cafile=ca)
req = urllib.request.Request(base + path, data=body, method=method)
print(urllib.request.urlopen(req, context=ctx, timeout=10).read().decode())
PY
}

# run CMD...: capture combined output in OUT and the exit code in RC
run() { OUT=$("$@" 2>&1); RC=$?; }
k() { "$KUBECTL" --request-timeout=20s "$@"; }

# ok NAME REGEX CMD...: CMD succeeds and its output matches REGEX (extended grep)
ok() {
    local name=$1 re=$2; shift 2
    run "$@"
    if [ "$RC" -eq 0 ] && grep -Eq -- "$re" <<<"$OUT"; then pass; else fail "$name" "rc=0 and /$re/"; fi
}
# bad NAME REGEX CMD...: CMD fails and its output matches REGEX
bad() {
    local name=$1 re=$2; shift 2
    run "$@"
    if [ "$RC" -ne 0 ] && grep -Eq -- "$re" <<<"$OUT"; then pass; else fail "$name" "rc!=0 and /$re/"; fi
}
# same NAME EXPECTED ACTUAL: string equality (for counts and extracted values)
same() {
    if [ "$2" = "$3" ]; then pass; else OUT=$3; RC=-; fail "$1" "'$2'"; fi
}

start_sim "$WORK/sim"
MAIN_PID=$SIM_PID
export KUBECONFIG="$WORK/sim/kubeconfig" HOME="$WORK/home"
mkdir -p "$HOME"
SIM="https://127.0.0.1:$SIM_PORT"
CA="$WORK/sim/ca.crt"

# ---- reads -------------------------------------------------------------------------
ok "get pods -A prints kubectl's columns" '^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE$' k get pods -A
same "get pods -A lists the 41 seeded pods" 41 "$(k get pods -A --no-headers | wc -l | tr -d ' ')"
ok "a crash-looping pod shows restarts and when" 'api-[a-z0-9]+-[a-z0-9]+ +0/1 +CrashLoopBackOff +7 \([0-9m]+s? ago\)' k get pods -n shop
ok "an OOM-killed pod shows its restarts" 'worker-.* +1/1 +Running +3 \(2[0-9]m ago\)' k get pods -n shop
ok "pending, image-pull and completed states" 'Pending' k get pods -n shop
ok "image pull back-off" 'ImagePullBackOff' k get pods -n shop
ok "completed job pods" 'db-migrate-v42-[a-z0-9]+ +0/1 +Completed' k get pods -n batch
ok "multi-container pod with an init container" 'prometheus-[a-z0-9]+-[a-z0-9]+ +2/2 +Running' k get pods -n monitoring
ok "-o wide adds IP, NODE, NOMINATED NODE, READINESS GATES" \
    '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$' k get pods -n shop -o wide
ok "-o wide shows node names" 'cn-hangzhou\.10\.0\.1\.1[12]' k get pods -n shop -o wide
run k get pods -n shop -o json
same "-o json is a list of the 13 shop pods" 13 \
    "$(python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(len(d["items"]))' <<<"$OUT" 2>&1)"
ok "-o yaml shows the crash-looping container's last state" 'reason: CrashLoopBackOff' k get pods -n shop -o yaml
ok "-o yaml shows an OOMKilled last termination" 'reason: OOMKilled' k get pods -n shop -o yaml
run k get pods -n shop -o name
same "-o name prints pod/NAME lines" 13 "$(grep -c '^pod/' <<<"$OUT")"
same "-o jsonpath over the app=web pods" 3 \
    "$(k get pods -n shop -l app=web -o jsonpath='{.items[*].metadata.name}' | wc -w | tr -d ' ')"
same "-l app=web selects 3 pods" 3 "$(k get pods -A -l app=web --no-headers | wc -l | tr -d ' ')"
same "-l with in/!= selects api pods" 2 \
    "$(k get pods -A -l 'app in (web,api),tier!=frontend' --no-headers | wc -l | tr -d ' ')"
same "-l !key (does not exist)" 2 "$(k get pods -n default -l '!app' --no-headers | wc -l | tr -d ' ')"
run k get pods -A --field-selector status.phase=Pending --no-headers
same "--field-selector status.phase=Pending" 2 "$(wc -l <<<"$OUT" | tr -d ' ')"
run k get pods -A --field-selector status.phase=Running,spec.nodeName=cn-hangzhou.10.0.1.13 --no-headers
same "--field-selector on phase and node" 4 "$(wc -l <<<"$OUT" | tr -d ' ')"
bad "an unsupported field selector is a BadRequest" 'field label not supported: spec.foo' \
    k get pods --field-selector spec.foo=bar
run k get pods -n shop --sort-by=.status.containerStatuses[0].restartCount --no-headers
same "--sort-by restartCount puts the crash loop last" CrashLoopBackOff "$(tail -1 <<<"$OUT" | awk '{print $3}')"
run k get pods -A --chunk-size=5 --no-headers -v=6
same "--chunk-size=5 pages with continue tokens" 9 "$(grep -c 'GET .*/api/v1/pods?' <<<"$OUT")"
run k get pods -A --chunk-size=5 --no-headers
same "--chunk-size=5 lists every pod exactly once" "41 41" \
    "$(awk '{print $1"/"$2}' <<<"$OUT" | sort | wc -l | tr -d ' ') $(awk '{print $1"/"$2}' <<<"$OUT" | sort -u | wc -l | tr -d ' ')"
ok "nodes: 3 Ready workers" 'cn-hangzhou\.10\.0\.1\.13 +Ready +<none>' k get nodes
ok "deployments: READY UP-TO-DATE AVAILABLE" 'api +1/2 +2 +1' k get deploy -n shop
ok "services: LoadBalancer with external IP and node port" 'web +LoadBalancer +[0-9.]+ +47\.96\.12\.34 +80:3[0-9]+/TCP' k get svc -n shop
ok "jobs: Complete and Failed" 'data-import +Failed +0/1' k get jobs -n batch
ok "cronjob columns" 'nightly-report +0 2 \* \* \* +Asia/Shanghai +False' k get cronjobs -n batch
ok "the CRD's custom resources use its printer columns" '^widget-a +3 +Ready' k get widgets -n shop
ok "the CRD is listed" 'widgets\.example\.com' k get crd
ok "secrets, including a service-account token" 'api-token +kubernetes\.io/service-account-token +3' k get secrets -n shop
ok "events show why pods fail" 'Warning +FailedScheduling +pod/payments' k get events -n shop
ok "a missing namespace lists nothing, as the real server" 'No resources found in nope namespace' k get pods -n nope
bad "a missing pod is NotFound" 'Error from server \(NotFound\): pods "nope" not found' k get pod nope
bad "an unknown resource type" 'the server doesn.t have a resource type "foos"' k get foos

# ---- describe, logs ----------------------------------------------------------------
API_BAD=$(k get pods -n shop --no-headers | awk '/CrashLoopBackOff/{print $1}')
WORKER=$(k get pods -n shop --no-headers | awk '/^worker-/{print $1}')
ok "describe shows the last termination" 'Last State: +Terminated' k describe pod -n shop "$API_BAD"
ok "describe shows the restart count" 'Restart Count: +7' k describe pod -n shop "$API_BAD"
ok "describe shows the pod's events" 'Back-off restarting failed container api' k describe pod -n shop "$API_BAD"
ok "describe of a pending pod shows FailedScheduling" 'FailedScheduling .*Insufficient memory' \
    k describe pod -n shop -l app=payments
ok "describe deployment shows its replica sets" 'NewReplicaSet: +web-[a-z0-9]+ \(3/3 replicas created\)' \
    k describe deploy web -n shop
run k logs -n shop deploy/web --tail 3
same "logs --tail 3" 3 "$(grep -c 'HTTP/1.1' <<<"$OUT")"
ok "logs -c picks a container" 'config-reloader' k logs -n monitoring deploy/prometheus -c config-reloader --tail 1
ok "logs of an init container" 'init-chown-data' k logs -n monitoring deploy/prometheus -c init-chown-data --tail 1
ok "logs --previous of a crash-looping container" '^panic: failed to connect to database' k logs -n shop "$API_BAD" --previous
ok "logs --previous of an OOM-killed container" 'OutOfMemoryError' k logs -n shop "$WORKER" -p
ok "logs --timestamps" '^20[0-9-]+T[0-9:]+\.[0-9]{9}Z ' k logs -n shop "$WORKER" --tail 1 --timestamps
bad "logs --previous of a container that never restarted" 'previous terminated container "nginx" in pod' \
    k logs -n shop deploy/web --previous
bad "logs of a container waiting on its image" 'is waiting to start: trying and failing to pull image' \
    k logs -n shop deploy/report
same "logs --limit-bytes cuts the 100 MiB log" 150 "$(k logs -n default bulk-logger --limit-bytes=150 | wc -c | tr -d ' ')"
same "logs --since keeps only recent lines" 1 "$(k logs -n shop "$WORKER" --since=31s | wc -l | tr -d ' ')"

# ---- apply, patch, scale, rollout ----------------------------------------------------
cat >"$WORK/hello.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
  labels: {app: hello}
spec:
  replicas: 2
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: hello
        image: nginx:1.25.3
        ports:
        - containerPort: 80
        env:
        - name: A
          value: "1"
EOF
ok "apply -f creates" 'deployment.apps/hello created' k apply -f "$WORK/hello.yaml"
ok "the new deployment rolls out pods" 'hello-[a-z0-9]+-[a-z0-9]+ +1/1 +Running' k get pods -l app=hello
sed -i 's/replicas: 2/replicas: 3/' "$WORK/hello.yaml"
ok "apply -f again, changed: configured" 'deployment.apps/hello configured' k apply -f "$WORK/hello.yaml"
ok "apply -f again, unchanged" 'deployment.apps/hello unchanged' k apply -f "$WORK/hello.yaml"
same "the applied change is live" 3 "$(k get deploy hello -o jsonpath='{.spec.replicas}')"
sed -i 's/replicas: 3/replicas: 4/' "$WORK/hello.yaml"
ok "apply --dry-run=server" 'configured \(server dry run\)' k apply -f "$WORK/hello.yaml" --dry-run=server
same "a server dry run changes nothing" 3 "$(k get deploy hello -o jsonpath='{.spec.replicas}')"
sed -e 's/name: hello$/name: hello-ssa/' -e 's/app: hello/app: hello-ssa/g' "$WORK/hello.yaml" >"$WORK/ssa.yaml"
ok "apply --server-side creates" 'deployment.apps/hello-ssa serverside-applied' k apply --server-side -f "$WORK/ssa.yaml"
sed -i 's/replicas: 4/replicas: 1/' "$WORK/ssa.yaml"
ok "apply --server-side again" 'serverside-applied' k apply --server-side -f "$WORK/ssa.yaml"
same "server-side apply changed the field" 1 "$(k get deploy hello-ssa -o jsonpath='{.spec.replicas}')"
ok "managedFields record the apply" 'kubectl Apply' \
    k get deploy hello-ssa -o jsonpath='{range .metadata.managedFields[*]}{.manager} {.operation}{"\n"}{end}'
sed -i 's/replicas: 1/replicas: 2/' "$WORK/ssa.yaml"
bad "a second field manager conflicts" 'Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas' \
    k apply --server-side --field-manager=other -f "$WORK/ssa.yaml"
ok "--force-conflicts takes the field" 'serverside-applied' \
    k apply --server-side --field-manager=other --force-conflicts -f "$WORK/ssa.yaml"
cat >"$WORK/cm.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: applied, labels: {keep: "yes", extra: "x"}}
data: {a: "1", b: "2"}
EOF
ok "apply --server-side a config map" 'configmap/applied serverside-applied' k apply --server-side -f "$WORK/cm.yaml"
sed -i 's/, extra: "x"//; s/, b: "2"//' "$WORK/cm.yaml"
ok "apply --server-side without some fields" 'serverside-applied' k apply --server-side -f "$WORK/cm.yaml"
same "fields no longer applied are removed" '{"keep":"yes"} {"a":"1"}' \
    "$(k get cm applied -o jsonpath='{.metadata.labels} {.data}')"
ok "patch --type=strategic merges env by name" '"name":"A".*"name":"B"' sh -c \
    "$KUBECTL patch deploy hello --type=strategic -p '{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"hello\",\"env\":[{\"name\":\"B\",\"value\":\"x\"}]}]}}}}' >/dev/null && $KUBECTL get deploy hello -o jsonpath='{.spec.template.spec.containers[0].env}'"
ok "patch --type=merge" 'deployment.apps/hello patched' k patch deploy hello --type=merge -p '{"metadata":{"labels":{"tier":"web"}}}'
ok "patch --type=json with a passing test op" 'patched' \
    k patch deploy hello --type=json -p '[{"op":"test","path":"/spec/replicas","value":3},{"op":"replace","path":"/spec/replicas","value":2}]'
same "the JSON patch applied" 2 "$(k get deploy hello -o jsonpath='{.spec.replicas}')"
bad "patch --type=json with a failing test op" 'The request is invalid' \
    k patch deploy hello --type=json -p '[{"op":"test","path":"/spec/replicas","value":9}]'
bad "a patch with a wrong type is rejected" 'cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas' \
    k patch deploy hello --type=merge -p '{"spec":{"replicas":"x"}}'
ok "scale" 'deployment.apps/hello scaled' k scale deploy hello --replicas=3
same "scale created pods" 3 "$(k get pods -l app=hello --no-headers | wc -l | tr -d ' ')"
bad "scale --current-replicas mismatch" 'Expected replicas to be 5, was 3' k scale deploy hello --replicas=1 --current-replicas=5
ok "rollout restart" 'deployment.apps/hello restarted' k rollout restart deploy/hello
ok "rollout status finishes" 'deployment "hello" successfully rolled out' k rollout status deploy/hello --timeout=20s
ok "rollout history lists revisions" '^3 +<none>' k rollout history deploy/hello
ok "rollout undo to revision 1" 'rolled back' k rollout undo deploy/hello --to-revision=1
same "undo restored the first template" '[{"name":"A","value":"1"}]' \
    "$(k get deploy hello -o jsonpath='{.spec.template.spec.containers[0].env}')"
same "old replica sets are scaled to zero" 1 \
    "$(k get rs -l app=hello --no-headers | awk '$2 != 0' | wc -l | tr -d ' ')"
bad "rollout status of a deployment past its deadline" 'exceeded its progress deadline' \
    k rollout status deploy/api -n shop --timeout=5s

# ---- label, annotate, cordon, drain, delete ----------------------------------------
ok "label" 'pod/sleeper labeled' k label pod sleeper env=test
bad "label without --overwrite" "already has a value \(test\)" k label pod sleeper env=prod
ok "label --overwrite" 'labeled' k label pod sleeper env=prod --overwrite
ok "label removal" 'unlabeled' k label pod sleeper env-
ok "annotate" 'annotated' k annotate deploy hello note=hi
same "annotation stored" hi "$(k get deploy hello -o jsonpath='{.metadata.annotations.note}')"
ok "cordon" 'cordoned' k cordon cn-hangzhou.10.0.1.13
ok "a cordoned node is SchedulingDisabled" 'cn-hangzhou\.10\.0\.1\.13 +Ready,SchedulingDisabled' k get nodes
ok "uncordon" 'uncordoned' k uncordon cn-hangzhou.10.0.1.13
ok "drain evicts through the eviction API" 'node/cn-hangzhou\.10\.0\.1\.12 drained' \
    k drain cn-hangzhou.10.0.1.12 --ignore-daemonsets --delete-emptydir-data --timeout=30s
same "only daemon set pods remain on a drained node" 4 \
    "$(k get pods -A --field-selector spec.nodeName=cn-hangzhou.10.0.1.12 --no-headers | wc -l | tr -d ' ')"
ok "uncordon after drain" 'uncordoned' k uncordon cn-hangzhou.10.0.1.12
ok "delete --dry-run=server" 'deleted \(server dry run\)' k delete deploy hello --dry-run=server
ok "delete a deployment" 'deployment.apps "hello" deleted' k delete deploy hello
bad "the deleted deployment is NotFound" 'NotFound' k get deploy hello
ok "deleting a deployment removes its replica sets and pods" 'No resources found' k get rs,pods -l app=hello
ok "a deleted pod owned by a replica set is replaced" 'deleted' k delete pod -n shop -l app=cart --wait=true
same "the replica set made new pods" 3 "$(k get pods -n shop -l app=cart --no-headers | wc -l | tr -d ' ')"

# ---- create, replace, validation ---------------------------------------------------
ok "create namespace (a protobuf request body)" 'namespace/demo created' k create namespace demo
bad "create it again: AlreadyExists" 'AlreadyExists.*namespaces "demo" already exists' k create namespace demo
ok "create configmap" 'configmap/cfg created' k create configmap cfg -n demo --from-literal=a=b
ok "create deployment" 'deployment.apps/d1 created' k create deployment d1 -n demo --image=nginx:1.25
bad "create in a missing namespace" 'namespaces "nope" not found' k create configmap x -n nope --from-literal=a=b
k get cm cfg -n demo -o json >"$WORK/cfg.json"
k patch cm cfg -n demo --type=merge -p '{"data":{"a":"c"}}' >/dev/null
bad "replace with a stale resourceVersion: Conflict" 'the object has been modified' k replace -f "$WORK/cfg.json"
cat >"$WORK/badsel.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: badsel}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: c, image: nginx}]}
EOF
bad "an invalid object is a 422 with the field" 'is invalid: spec.template.metadata.labels: Invalid value: .*`selector` does not match template `labels`' \
    k apply -f "$WORK/badsel.yaml"

# ---- top, discovery, explain, auth ---------------------------------------------------
ok "top nodes" '^cn-hangzhou\.10\.0\.1\.11 +[0-9]+m +[0-9]+% +[0-9]+Mi +[0-9]+%' k top nodes
ok "top pods" '^worker-[a-z0-9-]+ +[0-9]+m +4[0-9]{2}Mi' k top pods -n shop
ok "api-resources lists built-in resources" '^deployments +deploy +apps/v1 +true +Deployment' k api-resources
ok "api-resources lists the custom resource" '^widgets +wg +example\.com/v1 +true +Widget' k api-resources
ok "api-versions" '^metrics\.k8s\.io/v1beta1$' k api-versions
ok "explain pods" 'spec	<PodSpec>' k explain pods
ok "explain a nested field" 'FIELD: replicas <integer>' k explain deployments.spec.replicas
ok "auth can-i (allowed)" '^yes$' k auth can-i create deployments -n shop
bad "auth can-i (denied by policy)" '^no$' k auth can-i delete nodes
ok "auth whoami (client certificate)" 'sim-cert-admin' k --context sim-cert auth whoami
bad "the policy is enforced" 'Forbidden.*User "sim-admin" cannot delete resource "nodes"' k delete node cn-hangzhou.10.0.1.13
bad "a read-only user cannot delete" 'Forbidden.*User "sim-viewer" cannot delete resource "pods"' \
    k --context sim-viewer delete pod -n default bulk-logger
ok "a read-only user can read" 'bulk-logger' k --context sim-viewer get pods -n default

# ---- transport and credentials -----------------------------------------------------
bad "a rejected token: Unauthorized" 'Unauthorized' k --context sim-expired get pods
bad "TLS name mismatch" 'certificate is valid for .*not wrong-name\.example\.com' k --context sim-tls-mismatch get pods
bad "an untrusted server certificate" 'certificate signed by unknown authority' k --context sim-untrusted get pods
ok "a token file" 'default' k --context sim-token-file get ns default

# ---- raw API behaviour ---------------------------------------------------------------
bad "a garbled continue token is a BadRequest" 'invalid continue token' \
    k get --raw '/api/v1/pods?limit=2&continue=garbage'
TOKEN=$(k get --raw '/api/v1/pods?limit=2' | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["continue"])')
ok "a continue token continues" '"items"' k get --raw "/api/v1/pods?limit=2&continue=$TOKEN"
simctl POST /_sim/compact >/dev/null
bad "after compaction the token has expired (410)" 'Expired.*too old to display a consistent list' \
    k get --raw "/api/v1/pods?limit=2&continue=$TOKEN"
"$KUBECTL" get pods -n default -w --request-timeout=8s >"$WORK/watch.out" 2>&1 &
WATCH=$!
PIDS+=("$WATCH")
sleep 1
k run watched --image=busybox:1.36 -n default >/dev/null 2>&1
sleep 1
kill "$WATCH" 2>/dev/null
wait "$WATCH" 2>/dev/null
OUT=$(cat "$WORK/watch.out"); RC=0
if grep -q '^watched ' <<<"$OUT"; then pass; else fail "get -w streams new pods" "a 'watched' row"; fi

# ---- fault knobs ---------------------------------------------------------------------
simctl POST '/_sim/latency?ms=2500' >/dev/null
bad "a slow server times the client out" 'Client.Timeout|context deadline exceeded|timeout' \
    "$KUBECTL" get ns --request-timeout=1s
simctl POST '/_sim/latency?ms=0' >/dev/null
simctl POST /_sim/fault '{"path": "/api/v1/namespaces/default/pods", "status": 500, "count": 1}' >/dev/null
bad "an injected failure is a Status error" 'InternalError.*injected failure \(500\)' k get pods
ok "an injected failure is used up" 'bulk-logger' k get pods
same "the request log records the client" kubectl \
    "$(simctl GET /_sim/requests | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"][-1]["userAgent"].split("/")[0])')"

# ---- a big cluster -------------------------------------------------------------------
start_sim "$WORK/big" --pods 2000
BIG=$SIM_PID
run "$KUBECTL" --kubeconfig "$WORK/big/kubeconfig" get pods -n load --chunk-size=300 --no-headers
same "--pods 2000: every pod once across 7 pages" "2000 2000" \
    "$(awk '{print $1}' <<<"$OUT" | wc -l | tr -d ' ') $(awk '{print $1}' <<<"$OUT" | sort -u | wc -l | tr -d ' ')"
same "--pods 2000: every 50th pod is crash-looping" 40 "$(grep -c CrashLoopBackOff <<<"$OUT")"

# ---- shutdown ------------------------------------------------------------------------
kill -TERM "$BIG"
RC=0
for i in $(seq 50); do kill -0 "$BIG" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$BIG" 2>/dev/null; then OUT="still running"; fail "SIGTERM stops the simulator" "exit within 5 s"; else
    wait "$BIG"; RC=$?; OUT=""; [ "$RC" -eq 0 ] && pass || fail "SIGTERM exits 0" "rc 0"; fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
