#!/usr/bin/env python3
"""Pod readiness churn against an svc-doctor sandbox (issue 5).

Lists the pods once, then for --minutes minutes flips the readiness of
--percent-per-minute percent of all pods per minute, one pod at a time,
evenly spaced (a pod every 60 / (pods * P / 100) seconds). Each flip is one
JSON merge patch on the pod's status subresource,

    PATCH /api/v1/namespaces/NS/pods/NAME/status
    Content-Type: application/merge-patch+json
    {"status": {"conditions": [...], "containerStatuses": [...]}}

carrying the pod's whole `status.conditions` and `status.containerStatuses`
(a merge patch replaces lists whole) with `Ready`, `ContainersReady` and
every container's `ready` flipped. A local copy of each pod's status is
kept, so a pod picked again flips back. Pods are picked at random (--seed)
among those that are ready when listed (so that a crash-looping or pending
pod never turns ready: broken Services stay broken), outside kube-system
unless --include-kube-system (a flapping CoreDNS pod fails the DNS step of
every Service at once: another benchmark). The sandbox has no controllers:
EndpointSlices do not follow the pods.

The rate is a ceiling: patches go out on a fixed schedule (never more than
one per interval since the start), and when the server is slow the slots
that passed are dropped, not made up for in a burst; patches that no longer
fit before the end are not sent. It
stops by itself after --minutes, prints one line per minute (patches sent,
errors, latency) and exits 1 when more than 1% of the patches failed (2 on
bad arguments or when the pods cannot be listed).

One keep-alive HTTPS connection (reopened after a connection error), the
kubeconfig's current context: server URL, bearer token, and
certificate-authority-data / certificate-authority or
insecure-skip-tls-verify. Standard library only.

    python3 benches/churn.py --kubeconfig /tmp/k --percent-per-minute 1 --minutes 10
"""

import argparse
import base64
import http.client
import json
import random
import socket
import ssl
import sys
import time
import urllib.parse

REQUEST_TIMEOUT_S = 60
LIST_PAGE = 500
READINESS_CONDITIONS = ("Ready", "ContainersReady")


# --- a minimal YAML reader, enough for kubeconfigs ------------------------

def _strip_comment(text):
    """Drop a trailing ` # comment` outside quotes."""
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    return text.rstrip()


def _scalar(text):
    text = text.strip()
    if text.startswith('"'):
        return json.loads(text)  # YAML double-quoted escapes are JSON's, near enough
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text == "{}":
        return {}
    if text == "[]":
        return []
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if text in ("null", "Null", "NULL", "~", ""):
        return None
    return text


def _split_key(content):
    """`key: value` or `key:` -> (key, value text); None when not a mapping entry."""
    for i, ch in enumerate(content):
        if ch == ":" and (i + 1 == len(content) or content[i + 1] in " \t"):
            key = content[:i].strip()
            if key[:1] in "\"'":
                key = _scalar(key)
            return key, content[i + 1:].strip()
    return None


def parse_yaml(text):
    """Block mappings, block sequences and flow-free scalars, as kubeconfigs use."""
    lines = []
    for raw in text.splitlines():
        if raw.strip() in ("---", "...") and not raw.startswith(" "):
            continue
        body = _strip_comment(raw)
        if not body.strip():
            continue
        indent = len(body) - len(body.lstrip(" "))
        lines.append([indent, body.strip()])

    def is_item(content):
        return content == "-" or content.startswith("- ")

    def block(i, indent):
        if i < len(lines) and is_item(lines[i][1]):
            return sequence(i, indent)
        return mapping(i, indent)

    def sequence(i, indent):
        out = []
        while i < len(lines) and lines[i][0] == indent and is_item(lines[i][1]):
            rest = lines[i][1][1:].lstrip()
            if not rest:
                if i + 1 < len(lines) and lines[i + 1][0] > indent:
                    value, i = block(i + 1, lines[i + 1][0])
                else:
                    value, i = None, i + 1
            elif _split_key(rest) is None:
                value, i = _scalar(rest), i + 1
            else:
                # "- key: value": a mapping whose first entry sits on the dash line.
                lines[i] = [indent + len(lines[i][1]) - len(rest), rest]
                value, i = mapping(i, lines[i][0])
            out.append(value)
        return out, i

    def mapping(i, indent):
        out = {}
        while i < len(lines) and lines[i][0] == indent and not is_item(lines[i][1]):
            entry = _split_key(lines[i][1])
            if entry is None:
                raise ValueError(f"cannot read YAML line: {lines[i][1]!r}")
            key, value = entry
            i += 1
            if value:
                out[key] = _scalar(value)
            elif i < len(lines) and (
                lines[i][0] > indent or (lines[i][0] == indent and is_item(lines[i][1]))
            ):
                out[key], i = block(i, lines[i][0])
            else:
                out[key] = None
        return out, i

    if not lines:
        return {}
    value, i = block(0, lines[0][0])
    if i != len(lines):
        raise ValueError(f"cannot read YAML from line: {lines[i][1]!r}")
    return value


def read_kubeconfig(path, context_name=None):
    with open(path, encoding="utf-8") as f:
        config = parse_yaml(f.read())

    def named(section, name):
        for entry in config.get(section) or []:
            if entry.get("name") == name:
                return entry
        raise ValueError(f"{path}: no {section[:-1]} named {name!r}")

    context_name = context_name or config.get("current-context")
    if not context_name:
        raise ValueError(f"{path}: no current-context")
    context = named("contexts", context_name).get("context") or {}
    cluster = named("clusters", context.get("cluster")).get("cluster") or {}
    user = (named("users", context["user"]).get("user") or {}) if context.get("user") else {}
    server = cluster.get("server")
    if not server:
        raise ValueError(f"{path}: cluster {context.get('cluster')!r} has no server")
    token = user.get("token")
    if not token and user.get("tokenFile"):
        with open(user["tokenFile"], encoding="utf-8") as f:
            token = f.read().strip()
    ca_data = None
    if cluster.get("certificate-authority-data"):
        ca_data = base64.b64decode(cluster["certificate-authority-data"]).decode("ascii")
    elif cluster.get("certificate-authority"):
        with open(cluster["certificate-authority"], encoding="ascii") as f:
            ca_data = f.read()
    insecure = bool(cluster.get("insecure-skip-tls-verify"))
    return server, token, ca_data, insecure


# --- the API client -----------------------------------------------------

class Api:
    """One keep-alive connection to the API server; reopened after an error."""

    def __init__(self, server, token, ca_data, insecure):
        url = urllib.parse.urlsplit(server)
        if url.scheme not in ("https", "http"):
            raise ValueError(f"unsupported server URL {server!r}")
        self.scheme = url.scheme
        self.host = url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.prefix = url.path.rstrip("/")  # /clusters/CONTEXT for a second sandbox cluster
        self.headers = {"Accept": "application/json", "User-Agent": "svc-doctor-churn/1"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.ssl = None
        if url.scheme == "https":
            if insecure:
                self.ssl = ssl.create_default_context()
                self.ssl.check_hostname = False
                self.ssl.verify_mode = ssl.CERT_NONE
            elif ca_data:
                self.ssl = ssl.create_default_context(cadata=ca_data)
            else:
                self.ssl = ssl.create_default_context()
        self.conn = None
        self.reconnects = 0

    def _connect(self):
        if self.scheme == "https":
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=REQUEST_TIMEOUT_S, context=self.ssl)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def request(self, method, path, body=None, content_type=None):
        """(status, body bytes); raises OSError/HTTPException on connection trouble."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = content_type
        if self.conn is None:
            self.conn = self._connect()
        try:
            self.conn.request(method, self.prefix + path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            self.reconnects += 1
            raise
        if response.will_close:
            self.close()
        return response.status, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def list_pods(api):
    """Every pod's namespace, name and the parts of its status that get patched."""
    pods = []
    continue_token = ""
    while True:
        query = {"limit": str(LIST_PAGE)}
        if continue_token:
            query["continue"] = continue_token
        status, data = api.request("GET", "/api/v1/pods?" + urllib.parse.urlencode(query))
        if status != 200:
            raise RuntimeError(f"listing pods: HTTP {status}: {data[:300].decode('utf-8', 'replace')}")
        page = json.loads(data)
        for item in page.get("items") or []:
            meta = item.get("metadata") or {}
            st = item.get("status") or {}
            pods.append({
                "namespace": meta.get("namespace") or "default",
                "name": meta["name"],
                "conditions": st.get("conditions") or [],
                "containerStatuses": st.get("containerStatuses") or [],
            })
        continue_token = (page.get("metadata") or {}).get("continue") or ""
        if not continue_token:
            return pods


def is_ready(pod):
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in pod["conditions"])


def flip(pod, now):
    """Flip the pod's readiness in the local copy; return the merge patch body."""
    ready = not is_ready(pod)
    status = "True" if ready else "False"
    unready = [c.get("name", "") for c in pod["containerStatuses"]]
    conditions = []
    for c in pod["conditions"]:
        c = dict(c)
        if c.get("type") in READINESS_CONDITIONS:
            if c.get("status") != status:
                c["lastTransitionTime"] = now
            c["status"] = status
            if ready:
                c.pop("reason", None)
                c.pop("message", None)
            else:
                c["reason"] = "ContainersNotReady"
                c["message"] = "containers with unready status: [" + " ".join(unready) + "]"
        conditions.append(c)
    statuses = []
    for s in pod["containerStatuses"]:
        s = dict(s)
        s["ready"] = ready
        statuses.append(s)
    pod["conditions"] = conditions
    pod["containerStatuses"] = statuses
    body = {"status": {"conditions": conditions, "containerStatuses": statuses}}
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def percentile(values, q):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubeconfig", required=True, help="kubeconfig the sandbox wrote")
    parser.add_argument("--context", help="kubeconfig context (default: current-context)")
    parser.add_argument("--percent-per-minute", type=float, default=1.0,
                        help="percent of all pods patched per minute (default 1)")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for picking pods (default 1)")
    parser.add_argument("--include-kube-system", action="store_true",
                        help="also flip pods in kube-system (CoreDNS, kube-proxy)")
    args = parser.parse_args()
    if not args.percent_per_minute > 0 or not args.minutes > 0:
        parser.error("--percent-per-minute and --minutes must be positive")

    try:
        api = Api(*read_kubeconfig(args.kubeconfig, args.context))
        started = time.monotonic()
        pods = list_pods(api)
    except (OSError, ValueError, RuntimeError, http.client.HTTPException, ssl.SSLError) as e:
        print(f"churn: {e}", file=sys.stderr)
        return 2
    candidates = [p for p in pods if is_ready(p)
                  and (args.include_kube_system or p["namespace"] != "kube-system")]
    per_minute = len(pods) * args.percent_per_minute / 100.0
    if not candidates or per_minute <= 0:
        print(f"churn: nothing to patch ({len(pods)} pods, {len(candidates)} ready)",
              file=sys.stderr)
        return 2
    interval = 60.0 / per_minute
    print(f"churn: {len(pods)} pods listed in {time.monotonic() - started:.2f}s, "
          f"{len(candidates)} of them ready{'' if args.include_kube_system else ' outside kube-system'}; "
          f"{per_minute:g} patches/minute (one every {interval:.3f}s) for {args.minutes:g} minutes, "
          f"seed {args.seed}", flush=True)

    rng = random.Random(args.seed)
    start = time.monotonic()
    end = start + args.minutes * 60.0
    next_send = start
    minute_end = start + 60.0
    minute = 1
    sent = errors = 0
    total_sent = total_errors = 0
    latencies = []
    first_errors = []

    def report(now):
        nonlocal sent, errors, latencies
        planned = per_minute * (minute_end - (start + (minute - 1) * 60.0)) / 60.0
        print(f"churn: minute {minute}: {sent} patches sent (planned {planned:.0f}), {errors} errors, "
              f"latency p50 {percentile(latencies, 0.5) * 1000:.1f} ms "
              f"max {max(latencies, default=0) * 1000:.1f} ms, ready now "
              f"{sum(map(is_ready, candidates))}/{len(candidates)}", flush=True)
        sent = errors = 0
        latencies = []

    while True:
        now = time.monotonic()
        if now >= minute_end or now >= end:
            report(now)
            if minute_end >= end - 1e-6 or now >= end:
                break
            minute += 1
            minute_end = min(minute_end + 60.0, end)
            continue
        if now < next_send:
            time.sleep(min(next_send, minute_end) - now)
            continue
        pod = rng.choice(candidates)
        before = (pod["conditions"], pod["containerStatuses"])
        body = flip(pod, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        path = (f"/api/v1/namespaces/{urllib.parse.quote(pod['namespace'], safe='')}"
                f"/pods/{urllib.parse.quote(pod['name'], safe='')}/status")
        t0 = time.monotonic()
        try:
            status, data = api.request("PATCH", path, body, "application/merge-patch+json")
            ok = 200 <= status < 300
            detail = f"HTTP {status}: {data[:200].decode('utf-8', 'replace')}"
        except (OSError, http.client.HTTPException) as e:
            ok = False
            detail = f"{type(e).__name__}: {e}"
        t1 = time.monotonic()
        latencies.append(t1 - t0)
        sent += 1
        total_sent += 1
        if not ok:
            errors += 1
            total_errors += 1
            # The server kept the old status: so does the local copy.
            pod["conditions"], pod["containerStatuses"] = before
            if len(first_errors) < 5:
                first_errors.append(f"{pod['namespace']}/{pod['name']}: {detail}")
                print(f"churn: error: {first_errors[-1]}", file=sys.stderr, flush=True)
        # The ceiling: patch k goes no sooner than start + k * interval, and a
        # late patch is not made up for by a burst: after a slow request the
        # schedule restarts from now (the missed slots are lost).
        next_send = max(next_send + interval, t1)

    api.close()
    planned = args.minutes * per_minute
    failed = total_errors / total_sent if total_sent else 1.0
    print(f"churn: total {total_sent} patches sent (planned {planned:g}), {total_errors} errors "
          f"({failed * 100:.2f}%), {api.reconnects} reconnects", flush=True)
    return 1 if failed > 0.01 else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("churn: interrupted", file=sys.stderr)
        sys.exit(130)
