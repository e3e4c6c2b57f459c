"""bench/k8s/sim_nodelay.py: starts tests/sim/k8s/server.py unchanged (same flags) with
TCP_NODELAY on its connections, as the real kube-apiserver (Go) has by default. Without it the
simulator writes headers and body in two sends, Nagle holds the body until the client's delayed
ACK, and every small response takes ~40 ms whoever asks: that would be the figure for every
contender. Owner: bench-k8s."""
import os
import sys

SIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "sim", "k8s")
sys.path.insert(0, os.path.normpath(SIM))
sys.argv[0] = os.path.join(SIM, "server.py")

import server  # noqa: E402  (the simulator's own entry point)

server.Handler.disable_nagle_algorithm = True  # socketserver.StreamRequestHandler sets TCP_NODELAY

if __name__ == "__main__":
    sys.exit(server.main())
