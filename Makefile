# The two README commands: `make demo` (build and run the server) and `make test` (everything).
.PHONY: all build asan demo test test-unit test-lua test-e2e test-conformance test-sim test-asan bench bench-sign bench-net bench-k8s bench-cloud clean

JOBS ?= 2

all: build

build:
	cmake --preset default >/dev/null
	cmake --build build -j$(JOBS)

asan:
	cmake --preset asan >/dev/null
	cmake --build build-asan -j$(JOBS)

# Runs the server on stdio with the bundled tools, in dev mode (edit tools/*.lua and watch it
# reload). Type JSON-RPC lines, or point an MCP client at `build/ack-mcp-server`.
demo: build
	@scripts/demo

test: build test-unit test-lua test-sim test-e2e test-conformance

test-unit: build
	ctest --preset default

test-lua:
	tests/lua/run

test-e2e: build
	tests/e2e/run

# The simulators' own tests: the Alibaba Cloud API simulator checks its signature verifier
# against the reference vectors and serves real signed requests; the Kubernetes API
# simulator is driven by the real kubectl.
test-sim:
	python3 -m unittest discover -s tests/sim/aliyun -p 'test_*.py'
	tests/sim/k8s/test_kubectl.sh

# The official MCP conformance suite (both lines) against /mcp.
test-conformance: build
	tests/conformance/run

# The whole suite against the ASan+UBSan build.
test-asan: asan
	ctest --preset asan
	ACK_MCP_BIN=$(CURDIR)/build-asan/ack-mcp-server tests/e2e/run
	ACK_MCP_BIN=$(CURDIR)/build-asan/ack-mcp-server tests/conformance/run

bench: build
	bench/run

# Kubernetes reads (list, get, logs, events) on the API simulator: ours against a direct GET,
# kubectl and the Go and TypeScript peer MCP servers from npm; writes bench/k8s/results.md.
bench-k8s: build
	bench/k8s/run

# Alibaba Cloud reads on the cloud simulator: a signed curl request and a keep-alive client against
# list_clusters (uncached, cached) and describe_cluster through ours; writes bench/cloud/results.md.
bench-cloud:
	bench/cloud/run

# Signatures per second of each Alibaba Cloud signing scheme (src/aliyun_sign.c).
bench-sign:
	cmake --preset default >/dev/null
	cmake --build build -j$(JOBS) --target sign_bench
	build/sign_bench

# Streamable HTTP, stateless HTTP and WebSocket with 1, 64 and 1,000 clients.
bench-net: build
	bench/run-net

clean:
	rm -rf build build-asan
