"""Opens the sandbox ISP for load tests through the back end's WebSocket.

Usage: set_policy.py WS_URL

Sets OP25B off and "nothing required" on the smtp port (the rest of the policy stays as it is),
waits until the back end confirms the change, then prints the sandbox's endpoints, one
`service port` pair per line.
"""

import json
import sys

from websockets.sync.client import connect

PROTOCOL = 3


def next_sandbox(ws):
    """The next `sandbox` message; fails on an `error` message."""
    while True:
        msg = json.loads(ws.recv(timeout=10))
        if msg.get("type") == "error":
            sys.exit(f"the back end refused: {msg}")
        if msg.get("type") == "sandbox":
            return msg


def main():
    url = sys.argv[1]
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "protocol": PROTOCOL}))
        info = next_sandbox(ws)
        policy = dict(info["policy"])
        policy["op25b"] = "off"
        policy["smtp_requires"] = "nothing"
        if info["policy"] != policy:
            ws.send(json.dumps({"type": "set_sandbox_policy", "policy": policy}))
            info = next_sandbox(ws)
            if info["policy"] != policy:
                sys.exit(f"policy not applied: {info['policy']}")
    for endpoint in info["endpoints"]:
        print(endpoint["service"], endpoint["port"])


if __name__ == "__main__":
    main()
