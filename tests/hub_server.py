"""A loopback Hugging Face Hub API server for tests: no open-source server has the write API.

It speaks the part of the Hub's HTTP API that huggingface_hub 2.x calls for create_repo,
create_commit (preupload, LFS "basic" batch + PUT, ndjson commit), create_tag, create_branch and
list_repo_refs, and that datasets calls to read a repo back (repo info, tree with Link pagination,
paths-info, resolve with Range). Repos live in memory (`tests.hub_repos`); each commit is a
full snapshot of its tree. Clients must run with HF_HUB_DISABLE_XET=1 so uploads go through LFS.
Writes need `Authorization: Bearer <token>`, except the LFS PUT, which (like the Hub's pre-signed
URL) is only accepted for an object that a batch call announced. `HubServer(faults=[Fault(…)])`
injects failures on the wire: a dropped connection, an answer lost after the request was applied,
or no answer at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import yaml

from tests.hub_repos import Hub, HubError, Repo, is_lfs


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`bytes=a-b`, `bytes=a-` or `bytes=-n` → inclusive (start, end); None for the whole file."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header or "")
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    start, end = (max(size - int(last), 0), size - 1) if not first else (int(first), size - 1)
    if first and last:
        end = min(int(last), size - 1)
    if start >= size or start > end:
        raise HubError(416, f"range {header} is outside a file of {size} bytes")
    return start, end


API = r"/api/(?P<kind>model|dataset|space)s/(?P<repo>[^/]+/[^/]+)"
REPO = r"/(?:(?P<kind>dataset|space)s/)?(?P<repo>[^/]+/[^/]+)"
ROUTES = [
    ("POST", r"/api/repos/create", "create_repo"),
    ("POST", r"/api/validate-yaml", "validate_yaml"),
    ("GET", API + r"(?:/revision/(?P<rev>[^/]+))?", "repo_info"),
    ("GET", API + r"/refs", "refs"),
    ("GET", API + r"/tree/(?P<rev>[^/]+)(?:/(?P<path>.+))?", "tree"),
    ("POST", API + r"/paths-info/(?P<rev>[^/]+)", "paths_info"),
    ("POST", API + r"/preupload/(?P<rev>[^/]+)", "preupload"),
    ("POST", API + r"/commit/(?P<rev>[^/]+)", "commit"),
    ("POST", API + r"/tag/(?P<rev>[^/]+)", "tag"),
    ("POST", API + r"/branch/(?P<rev>[^/]+)", "branch"),
    ("POST", REPO + r"\.git/info/lfs/objects/batch", "lfs_batch"),
    ("PUT", r"/lfs-upload/(?P<oid>[0-9a-f]{64})", "lfs_put"),
    ("GET HEAD", REPO + r"/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
]


def match_route(method: str, path: str) -> tuple[str, dict]:
    """The route name and its unquoted path parameters (a revision arrives percent-encoded)."""
    for methods, pattern, route in ROUTES:
        match = re.fullmatch(pattern, path)
        if method in methods.split() and match:
            return route, {k: unquote(v) if v else v for k, v in match.groupdict().items()}
    raise HubError(404, f"no route for {method} {path} in the loopback hub")


WRITES = {"create_repo", "preupload", "commit", "tag", "branch", "lfs_batch"}
HANG_LIMIT = 120  # seconds a hanging request is held at most, if the server is not stopped first


@dataclass
class Fault:
    """A failure injected into the next `times` requests of `route` (to `repo`, if given).

    drop: the connection closes before the request is applied; lost_answer: the request is
    applied, then the connection closes before the answer; hang: no answer until the server
    stops (only the client's timeout ends its wait).
    """

    route: str  # a route name of ROUTES, e.g. "commit" or "tag"
    kind: Literal["drop", "lost_answer", "hang"]
    repo: str | None = None
    times: int = 1

    def matches(self, route: str, repo: str | None) -> bool:
        return route == self.route and self.repo in (None, repo)


class Handler(BaseHTTPRequestHandler):
    """Routes a request to a `do_<route>` method returning (status, headers, body bytes).

    Methods of routes with a repo in their path get it as `repo`, already looked up.
    """

    protocol_version = "HTTP/1.1"
    hub: Hub
    faults: list[Fault]
    fired: list[tuple[str, str, str | None]]
    stopping: threading.Event

    def log_message(self, *args) -> None:
        """Quiet: the hub keeps its own log of (method, path, status)."""

    def do_GET(self) -> None:
        fault = self.take_fault()
        if fault is not None and fault.kind != "lost_answer":
            return self.fail(fault)
        try:
            status, headers, body = self.dispatch()
        except Exception as err:  # a test server must answer, never leave the client hanging
            err = err if isinstance(err, HubError) else HubError(500, f"{type(err).__name__} {err}")
            message = str(err).encode("ascii", "replace").decode()
            headers = {"X-Error-Message": message} | (
                {"X-Error-Code": err.code} if err.code else {}
            )
            status, body = err.status, json.dumps({"error": str(err)} | err.extra).encode()
        self.hub.log.append((self.command, self.path, status))
        if fault is not None:  # applied, and the answer is lost
            return self.fail(fault)
        self.send_response(status)
        headers = {"Content-Type": "application/json", **headers, "Content-Length": len(body)}
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_POST = do_PUT = do_GET

    def take_fault(self) -> Fault | None:
        """The fault armed for this request, counted as fired; None for most requests."""
        try:
            route, params = match_route(self.command, urlsplit(self.path).path)
        except HubError:
            return None
        with self.hub.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(route, params.get("repo")):
                    fault.times -= 1
                    self.fired.append((fault.kind, route, params.get("repo")))
                    return fault
        return None

    def fail(self, fault: Fault) -> None:
        """End the exchange as `fault` says: close the connection without an answer."""
        if fault.kind != "lost_answer":
            self.read_body()
        if fault.kind == "hang":
            self.stopping.wait(HANG_LIMIT)
        self.close_connection = True

    def dispatch(self) -> tuple[int, dict, bytes]:
        url = urlsplit(self.path)
        self.query, self.body = parse_qs(url.query), self.read_body()
        route, params = match_route(self.command, url.path)
        with self.hub.lock:
            if route in WRITES and not self.authorized:
                raise HubError(401, "Invalid credentials in Authorization header")
            if "repo" in params:
                kind = params.pop("kind") or "model"
                params["repo"] = self.hub.repo(kind, params["repo"], self.authorized)
            return getattr(self, f"do_{route}")(**params)

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # the body is left unread
            raise HubError(411, "send a Content-Length: the loopback hub reads no chunked bodies")
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    @property
    def authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {self.hub.token}"

    def json_body(self) -> dict:
        try:
            return json.loads(self.body or b"{}")
        except ValueError as err:
            raise HubError(400, f"request body is not JSON: {err}") from err

    def reply(self, obj, status: int = 200, **headers: str) -> tuple[int, dict, bytes]:
        return status, headers, json.dumps(obj).encode()

    def do_create_repo(self):
        payload = self.json_body()
        repo_id = f"{payload.get('organization') or 'tester'}/{payload['name']}"
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        repo = self.hub.create_repo(payload.get("type") or "model", repo_id, private)
        return self.reply({"url": self.hub.repo_url(repo), "name": repo_id})

    def do_validate_yaml(self):
        match = re.match(r"---\n(.*?)\n---", self.json_body().get("content", ""), re.S)
        try:
            yaml.safe_load(match.group(1) if match else "")
        except yaml.YAMLError as err:
            return self.reply({"errors": [{"message": str(err)}], "warnings": []}, 400)
        return self.reply({"errors": [], "warnings": []})

    def do_repo_info(self, repo: Repo, rev: str | None = None):
        commit = repo.resolve(rev or "main")
        siblings = [{"rfilename": p, "size": len(b.data)} for p, b in sorted(commit.files.items())]
        info = {"id": repo.repo_id, "sha": commit.oid, "private": repo.private}
        return self.reply(info | {"siblings": siblings, "lastModified": commit.date, "tags": []})

    def do_refs(self, repo: Repo):
        def refs(names: dict, kind: str) -> list[dict]:
            return [{"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": names[n]} for n in names]

        body = {"branches": refs(repo.branches, "heads"), "tags": refs(repo.tags, "tags")}
        return self.reply(body | {"converts": [], "pullRequests": []})

    def do_tree(self, repo: Repo, rev: str, path: str | None = None):
        recursive = self.query.get("recursive", ["false"])[0].lower() in ("1", "true")
        entries = repo.entries(repo.resolve(rev), (path or "").strip("/"), recursive)
        start = int(self.query.get("cursor", ["0"])[0])
        page, headers = entries[start : start + self.hub.page_size], {}
        if start + len(page) < len(entries):
            query = {k: v[0] for k, v in self.query.items()} | {"cursor": start + len(page)}
            next_url = f"{self.hub.endpoint}{urlsplit(self.path).path}?{urlencode(query)}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        return self.reply(page, **headers)

    def do_paths_info(self, repo: Repo, rev: str):
        commit, items = repo.resolve(rev), []
        for path in parse_qs(self.body.decode()).get("paths", []):
            if path in commit.files:
                items.append(commit.files[path].entry(path))
            elif any(p.startswith(path.rstrip("/") + "/") for p in commit.files):
                oid = repo.folder_oid(commit, path)
                items.append({"type": "directory", "path": path, "oid": oid})
        return self.reply(items)

    def do_preupload(self, repo: Repo, rev: str):
        commit, files = repo.resolve(rev), []
        for item in self.json_body().get("files", []):
            lfs = is_lfs(item["path"], base64.b64decode(item.get("sample", "")), item["size"])
            current = commit.files.get(item["path"])
            oid = current.etag if current and current.lfs == lfs else None
            mode = "lfs" if lfs else "regular"
            files.append({"path": item["path"], "uploadMode": mode, "shouldIgnore": False})
            files[-1]["oid"] = oid
        return self.reply({"files": files, "commitOid": commit.oid})

    def do_commit(self, repo: Repo, rev: str):
        try:
            lines = [json.loads(line) for line in self.body.splitlines() if line.strip()]
        except ValueError as err:
            raise HubError(400, f"commit payload is not ndjson: {err}") from err
        commit = self.hub.apply(repo, rev, lines)
        url = f"{self.hub.repo_url(repo)}/commit/{commit.oid}"
        return self.reply({"success": True, "commitOid": commit.oid, "commitUrl": url})

    def do_tag(self, repo: Repo, rev: str):
        tag = self.json_body().get("tag", "")
        if tag in repo.tags:
            raise HubError(409, f"Tag reference refs/tags/{tag} already exists")
        repo.tags[tag] = repo.resolve(rev).oid
        return self.reply({})

    def do_branch(self, repo: Repo, rev: str):
        if rev in repo.branches:
            raise HubError(409, f"Reference refs/heads/{rev} already exists")
        repo.branches[rev] = repo.resolve(self.json_body().get("startingPoint") or "main").oid
        return self.reply({})

    def do_lfs_batch(self, repo: Repo):
        objects = []
        for obj in self.json_body().get("objects", []):
            item = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.hub.lfs:
                self.hub.announced[obj["oid"]] = obj["size"]
                href = f"{self.hub.endpoint}/lfs-upload/{obj['oid']}"
                item["actions"] = {"upload": {"href": href}}
            objects.append(item)
        return self.reply({"transfer": "basic", "objects": objects})

    def do_lfs_put(self, oid: str):
        if oid not in self.hub.announced:
            raise HubError(403, f"no LFS batch call announced object {oid}")
        size = self.hub.announced[oid]
        if hashlib.sha256(self.body).hexdigest() != oid or len(self.body) != size:
            raise HubError(400, f"uploaded bytes do not match sha256 {oid} and its announced size")
        self.hub.lfs[oid] = self.body
        del self.hub.announced[oid]
        return 200, {"ETag": f'"{oid}"'}, b""

    def do_resolve(self, repo: Repo, rev: str, path: str):
        commit = repo.resolve(rev)
        blob = commit.files.get(path)
        if blob is None:
            raise HubError(404, f"Entry not found: {path} at {rev}", "EntryNotFound")
        span = parse_range(self.headers.get("Range"), len(blob.data))
        start, end = span or (0, len(blob.data) - 1)
        headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        headers |= {"X-Repo-Commit": commit.oid, "ETag": f'"{blob.etag}"'}
        if span:
            headers["Content-Range"] = f"bytes {start}-{end}/{len(blob.data)}"
        return (206 if span else 200), headers, blob.data[start : end + 1]


class HubServer:
    """A Hub on 127.0.0.1 at a free port, served from a thread; use as a context manager.

    `faults` are failures to inject (see `Fault`); `fired` lists those that fired, in order.
    """

    def __init__(self, token: str, page_size: int = 1000, faults: Sequence[Fault] = ()):
        self.hub = Hub(token, page_size)
        self.faults, self.fired, self.stopping = list(faults), [], threading.Event()
        bound = {"hub": self.hub, "faults": self.faults, "fired": self.fired}
        handler = type("BoundHandler", (Handler,), bound | {"stopping": self.stopping})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.hub.endpoint = self.endpoint = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()  # ends every hanging request
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
