"""Print the address of the local chain a project command should start: the one in
$APE_FOUNDRY_HOST when it is set, else http://127.0.0.1:<a port nobody listens on>.

ape-foundry starts anvil at APE_FOUNDRY_HOST (default 127.0.0.1:8545) and
connects to whatever already listens there, so two runs on one machine would
share one chain; the Makefile gives each run its own port through this script.
Standard library only (it runs before the virtual environment exists).
"""

import os
import socket
import sys


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    print(os.environ.get("APE_FOUNDRY_HOST") or f"http://127.0.0.1:{free_port()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
