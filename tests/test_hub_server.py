"""The loopback hub's own behaviour, spoken to over raw HTTP: refs, revisions, auth, LFS, ranges.

`tests.test_publish` checks that the real client publishes through it; these tests hold the server
to the Hub's answers (status codes, X-Error-Code) that the client relies on.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json

import pytest

from tests.hub_server import HubServer

TOKEN = "hf_loopback_secret_7f3a"


@pytest.fixture(scope="module")
def hub():
    with HubServer(TOKEN, page_size=2) as server:
        yield server


def call(server, method: str, path: str, body=None, token: str | None = TOKEN, **headers):
    conn = http.client.HTTPConnection(server.endpoint.removeprefix("http://"), timeout=10)
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def commit(server, repo: str, lines: list[dict], rev: str = "main"):
    payload = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    return call(server, "POST", f"/api/datasets/{repo}/commit/{rev}", payload)


def new_repo(server, name: str, private: bool = False) -> str:
    body = {"name": name, "organization": "srv", "type": "dataset"}
    status, _, reply = call(server, "POST", "/api/repos/create", body | {"private": private})
    assert status == 200, reply
    return f"srv/{name}"


def head(server, repo: str) -> str:
    refs = json.loads(call(server, "GET", f"/api/datasets/{repo}/refs")[2])
    return next(b["targetCommit"] for b in refs["branches"] if b["name"] == "main")


def add_file(path: str, data: bytes) -> dict:
    value = {"path": path, "content": base64.b64encode(data).decode(), "encoding": "base64"}
    return {"key": "file", "value": value}


def test_server_refuses_a_commit_on_a_stale_parent(hub):
    repo = new_repo(hub, "stale")
    parent = head(hub, repo)
    header = {"key": "header", "value": {"summary": "one", "parentCommit": parent}}
    assert commit(hub, repo, [header, add_file("a.txt", b"1")])[0] == 200
    status, _, body = commit(hub, repo, [header, add_file("a.txt", b"2")])
    assert status == 412 and b"A commit has happened since" in body
    assert call(hub, "GET", f"/datasets/{repo}/resolve/main/a.txt")[2] == b"1"


def test_server_tags_once_and_resolves_tag_branch_and_short_sha(hub):
    repo = new_repo(hub, "tags")
    assert (
        commit(hub, repo, [{"key": "header", "value": {"summary": "x"}}, add_file("f", b"v")])[0]
        == 200
    )
    oid = head(hub, repo)
    assert call(hub, "POST", f"/api/datasets/{repo}/tag/main", {"tag": "v1"})[0] == 200
    status, _, body = call(hub, "POST", f"/api/datasets/{repo}/tag/{oid[:7]}", {"tag": "v1"})
    assert status == 409 and b"refs/tags/v1 already exists" in body
    assert (
        call(hub, "POST", f"/api/datasets/{repo}/branch/rel%2F1", {"startingPoint": "v1"})[0] == 200
    )
    for rev in ("v1", oid[:7], "rel%2F1"):
        status, headers, data = call(hub, "GET", f"/datasets/{repo}/resolve/{rev}/f")
        assert (status, headers["X-Repo-Commit"], data) == (200, oid, b"v"), rev
    assert (
        call(hub, "GET", f"/datasets/{repo}/resolve/nope/f")[1]["X-Error-Code"]
        == "RevisionNotFound"
    )


def test_server_answers_repo_not_found_for_missing_and_private_repos(hub):
    status, headers, body = call(hub, "GET", "/api/datasets/nobody/missing")
    assert (status, headers["X-Error-Code"]) == (404, "RepoNotFound") and b"not found" in body
    repo = new_repo(hub, "secret", private=True)
    assert (
        call(hub, "GET", f"/api/datasets/{repo}", token=None)[1]["X-Error-Code"] == "RepoNotFound"
    )
    assert call(hub, "GET", f"/api/datasets/{repo}")[0] == 200
    status, _, body = call(
        hub, "POST", "/api/repos/create", {"name": "secret", "organization": "srv"}
    )
    assert status == 200  # a model repo of the same name is another repo
    status, _, body = call(
        hub, "POST", "/api/repos/create", {"name": "secret", "organization": "srv"}
    )
    assert status == 409 and json.loads(body)["url"].endswith("/srv/secret")


def test_server_requires_the_token_for_writes_and_an_announced_lfs_object(hub):
    repo = new_repo(hub, "auth")
    header = {"key": "header", "value": {"summary": "x"}}
    assert commit(hub, repo, [header])[0] == 200
    assert call(hub, "POST", f"/api/datasets/{repo}/tag/main", {"tag": "t"}, token=None)[0] == 401
    assert (
        call(hub, "POST", f"/api/datasets/{repo}/tag/main", {"tag": "t"}, token="hf_wrong")[0]
        == 401
    )
    assert call(hub, "PUT", "/lfs-upload/" + "0" * 64, b"data", token=None)[0] == 403


def test_server_serves_lfs_files_with_ranges(hub):
    repo = new_repo(hub, "ranges")
    data = bytes(range(256)) * 4
    oid = hashlib.sha256(data).hexdigest()
    batch = {"operation": "upload", "objects": [{"oid": oid, "size": len(data)}]}
    reply = json.loads(call(hub, "POST", f"/datasets/{repo}.git/info/lfs/objects/batch", batch)[2])
    href = reply["objects"][0]["actions"]["upload"]["href"].removeprefix(hub.endpoint)
    assert call(hub, "PUT", href, data[:-1], token=None)[0] == 400  # wrong bytes are refused
    assert call(hub, "PUT", href, data, token=None)[0] == 200
    lfs = {"path": "d/x.bin", "algo": "sha256", "oid": oid, "size": len(data)}
    assert (
        commit(
            hub,
            repo,
            [{"key": "header", "value": {"summary": "x"}}, {"key": "lfsFile", "value": lfs}],
        )[0]
        == 200
    )
    path = f"/datasets/{repo}/resolve/main/d%2Fx.bin"
    status, headers, body = call(hub, "GET", path, Range="bytes=10-19")
    assert (status, body, headers["Content-Range"]) == (
        206,
        data[10:20],
        f"bytes 10-19/{len(data)}",
    )
    assert call(hub, "GET", path, Range="bytes=-3")[2] == data[-3:]
    status, headers, body = call(hub, "HEAD", path)
    assert (status, body, headers["ETag"]) == (200, b"", f'"{oid}"')
    assert headers["Content-Length"] == str(len(data))
    assert call(hub, "GET", path, Range="bytes=5000-")[0] == 416
