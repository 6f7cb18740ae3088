#!/usr/bin/env python3
"""Log into a running Odoo and screenshot pages with headless Chromium (Chrome DevTools Protocol).

    python3 tools/screenshot.py --url http://127.0.0.1:8069 --db DB --out DIR \
        "contracts=/odoo/action-agent_billing.action_agent_billing_contract" ...

Each NAME=PATH[@@CSS] is opened after logging in (admin/admin unless --login and the
environment variable ODOO_PASSWORD say otherwise), then the element CSS (e.g. a tab) is clicked,
and the page is saved as DIR/NAME.png. Only loopback URLs are used. Needs Debian's chromium and
websocket-client.

The password is read from the environment, never from an option: a command line is visible to
every user of the machine (ps, /proc).
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket


def authenticate(url, db, login, password):
    payload = json.dumps(
        {"jsonrpc": "2.0", "params": {"db": db, "login": login, "password": password}}
    ).encode()
    req = urllib.request.Request(
        f"{url}/web/session/authenticate", payload, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        body = json.loads(resp.read())
        if body.get("error"):
            raise SystemExit(f"login failed: {body['error']}")
        for header in resp.headers.get_all("Set-Cookie"):
            if header.startswith("session_id="):
                return header.split(";")[0].split("=", 1)[1]
    raise SystemExit("no session cookie")


class Browser:
    def __init__(self, width, height):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        self.profile = tempfile.mkdtemp(prefix="ab-shot-")
        self.proc = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=9333",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen("http://127.0.0.1:9333/json", timeout=2) as resp:
                    pages = [t for t in json.loads(resp.read()) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=120)
        self.seq = 0
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method, **params):
        self.seq += 1
        self.ws.send(json.dumps({"id": self.seq, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.seq:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--out", required=True)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--wait", type=float, default=4.0, help="seconds to let the page settle")
    parser.add_argument("pages", nargs="+", help="NAME=PATH")
    args = parser.parse_args()
    if not args.url.startswith(("http://127.", "http://localhost")):
        raise SystemExit("screenshots are taken of a local server only")
    password = os.environ.get("ODOO_PASSWORD", "admin")
    session = authenticate(args.url, args.db, args.login, password)
    browser = Browser(args.width, args.height)
    try:
        host = args.url.split("//", 1)[1].split(":")[0]
        browser.call("Network.enable")
        browser.call("Network.setCookie", name="session_id", value=session, domain=host, path="/")
        for spec in args.pages:
            name, path = spec.split("=", 1)
            path, _sep, click = path.partition("@@")
            browser.call("Page.navigate", url=args.url + path)
            time.sleep(args.wait)
            if click:
                browser.call(
                    "Runtime.evaluate",
                    expression=f"document.querySelector({json.dumps(click)}).click()",
                )
                time.sleep(args.wait / 2)
            shot = browser.call("Page.captureScreenshot", format="png")
            target = f"{args.out}/{name}.png"
            with open(target, "wb") as fh:
                fh.write(base64.b64decode(shot["data"]))
            print(target)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
