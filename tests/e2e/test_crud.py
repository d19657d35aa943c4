#!/usr/bin/python3
"""End-to-end tests of examples/crud (a JSON API over an in-memory store),
in TAP.

    /usr/bin/python3 tests/e2e/test_crud.py build/examples/crud/crud

Starts the binary on a free loopback port and talks to it over raw sockets
and with curl: an item's whole life (create with 201 and a Location built
by the route's URL builder, read, replace, partial update, delete with
204), paging with ?offset= and ?limit= and the `next` links, every
validation error as a 400 with a JSON body written by the app's
write_error hook (and the runtime's own errors -- a body that is not JSON,
404, 405, 413 -- through the same hook), JSON content types, a server with
--workers 2 taking creates and updates from many connections at once
(every one visible afterwards, ids unique), and the store's bound (507
once full). Environment:
    TORN_EXPECT_STATIC=0   sanitizer build: the static-binary test is skipped
    TORN_E2E_TIMEOUT=S     seconds per socket operation (default 10)
"""

import json
import os
import re
import sys
import threading

sys.dont_write_bytecode = True  # leave no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (SharedServer, Server, Problems, Suite,  # noqa: E402
                     build_request, check, check_eq, check_static_binary,
                     curl, note, show)

JSON_TYPE = "application/json; charset=UTF-8"
MAX_ITEMS = 10000
MAX_NAME = 100
MAX_QUANTITY = 1000000000
REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request",
           404: "Not Found", 405: "Method Not Allowed",
           413: "Content Too Large", 507: "Insufficient Storage"}

suite = Suite()
shared = SharedServer()  # the server most tests talk to


# --- Requests -------------------------------------------------------------

def req(method, target, body=None, headers=()):
    """Raw request bytes. `body` may be a JSON-able value (sent as JSON),
    bytes or str (sent as they are)."""
    headers = list(headers)
    if body is None:
        body = b""
    elif isinstance(body, (bytes, str)):
        body = body.encode() if isinstance(body, str) else body
        headers.append(("Content-Type", "application/json"))
    else:
        body = json.dumps(body).encode()
        headers.append(("Content-Type", "application/json"))
    if body or method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", str(len(body))))
    return build_request(method, target, headers, body)


def fetch(method, target, body=None, headers=(), server=None):
    """One request on a fresh connection; returns the response."""
    with (server or shared.server).connect() as c:
        return c.request(req(method, target, body, headers), method)


def base_url(server=None):
    return "http://127.0.0.1:%d" % (server or shared.server).port


def expect(resp, status):
    """Checks the status line and, but for 204, a JSON body with the JSON
    Content-Type; returns the decoded body (None for 204)."""
    p = Problems(resp)
    if status in REASONS:
        p.eq(resp.status_line, "HTTP/1.1 %d %s" % (status, REASONS[status]),
             "status line")
    else:
        p.eq((resp.version, resp.status), ("HTTP/1.1", status), "status")
    value = None
    if status == 204:
        p.eq(resp.body, b"", "body of a 204")
        p.eq(resp.get("Content-Length"), None, "Content-Length of a 204")
    else:
        p.eq(resp.get("Content-Type"), JSON_TYPE, "Content-Type")
        try:
            value = json.loads(resp.body)
        except ValueError as e:
            p.items.append("body is not JSON (%s)" % e)
    p.done()
    return value


def expect_error(resp, status, detail=None):
    """An error answered by the app's write_error hook: the JSON object
    {"status", "error", "detail"}. `detail` is the text, a compiled regex,
    or None for no detail (JSON null)."""
    body = expect(resp, status)
    check_eq(sorted(body), ["detail", "error", "status"], "error members")
    check_eq(body["status"], status, "error status")
    check_eq(body["error"], REASONS[status], "error reason")
    if hasattr(detail, "fullmatch"):
        check(isinstance(body["detail"], str) and
              detail.fullmatch(body["detail"]),
              "detail %r does not match %r" % (body["detail"],
                                              detail.pattern))
    else:
        check_eq(body["detail"], detail, "error detail")
    return body


def create(fields, server=None):
    """POSTs `fields`; checks the 201 and returns the item."""
    r = fetch("POST", "/api/items", fields, server=server)
    it = expect(r, 201)
    check_eq(r.get("Location"), "/api/items/%d" % it["id"], "Location")
    return it


def get_item(item_id, server=None):
    return expect(fetch("GET", "/api/items/%d" % item_id, server=server), 200)


def list_all(limit=100, server=None):
    """Every item, following the `next` links; checks each page."""
    out, target = [], "/api/items?limit=%d" % limit
    while target is not None:
        page = expect(fetch("GET", target, server=server), 200)
        check_eq(sorted(page), ["items", "limit", "next", "offset", "total"],
                 "members of a page")
        check(len(page["items"]) <= limit, "page longer than the limit")
        check_eq(page["offset"], len(out), "offset of the page")
        out += page["items"]
        target = page["next"]
        if target is not None:
            check_eq(target, "/api/items?offset=%d&limit=%d"
                     % (len(out), limit), "next link")
        else:
            check_eq(len(out), page["total"], "items listed vs total")
    ids = [it["id"] for it in out]
    check_eq(ids, sorted(set(ids)), "ids of the listing (in order, unique)")
    return out


def item_of(it):
    """An item as the server writes it."""
    return {"id": it["id"], "name": it["name"], "quantity": it["quantity"],
            "url": "/api/items/%d" % it["id"]}


# --- Basics ---------------------------------------------------------------

suite.add("static binary", lambda: check_static_binary(shared.binary))


@suite.test("GET / -> JSON naming the items' URL (built by crud_url_items)")
def t_home():
    check_eq(expect(fetch("GET", "/"), 200), {"items": "/api/items"}, "body")


@suite.test("an item's life: POST 201 + Location, GET, PUT, PATCH, DELETE 204, then 404")
def t_lifecycle():
    r = fetch("POST", "/api/items", {"name": "apple", "quantity": 3})
    it = expect(r, 201)
    check(isinstance(it["id"], int) and it["id"] > 0, "id %r" % it["id"])
    url = "/api/items/%d" % it["id"]
    check_eq(r.get("Location"), url, "Location")
    check_eq(it, {"id": it["id"], "name": "apple", "quantity": 3,
                  "url": url}, "created item")
    # Follow the Location: the same item.
    check_eq(expect(fetch("GET", r.get("Location")), 200), it, "GET")
    # PUT replaces: a field left out takes its default.
    put = expect(fetch("PUT", url, {"name": "green apple"}), 200)
    check_eq(put, dict(it, name="green apple", quantity=0), "after PUT")
    # PATCH changes only what it names.
    patched = expect(fetch("PATCH", url, {"quantity": 12}), 200)
    check_eq(patched, dict(put, quantity=12), "after PATCH quantity")
    patched = expect(fetch("PATCH", url, {"name": "crab apple"}), 200)
    check_eq(patched, dict(put, name="crab apple", quantity=12),
             "after PATCH name")
    check_eq(get_item(it["id"]), patched, "GET after the updates")
    # DELETE: 204 without a body, and the item is gone for every method.
    expect(fetch("DELETE", url), 204)
    for method, body in (("GET", None), ("PUT", {"name": "x"}),
                         ("PATCH", {"quantity": 1}), ("DELETE", None)):
        expect_error(fetch(method, url, body), 404, "no item %d" % it["id"])
    check(it["id"] not in [x["id"] for x in list_all()],
          "deleted item still listed")


@suite.test("ids are never reused; an unknown id is a 404 in JSON")
def t_ids():
    a = create({"name": "first"})
    expect(fetch("DELETE", "/api/items/%d" % a["id"]), 204)
    b = create({"name": "second"})
    check(b["id"] > a["id"], "id %d after deleted %d" % (b["id"], a["id"]))
    for target, detail in (("/api/items/0", "no item 0"),
                           ("/api/items/-5", "no item -5"),
                           ("/api/items/9223372036854775807",
                            "no item 9223372036854775807")):
        expect_error(fetch("GET", target), 404, detail)


@suite.test("POST: quantity defaults to 0; id and url sent back are ignored")
def t_defaults():
    it = create({"name": "plum"})
    check_eq(it["quantity"], 0, "default quantity")
    it2 = create({"name": "fig", "quantity": 5, "id": 1, "url": "/elsewhere"})
    check(it2["id"] > it["id"], "id chosen by the server: %r" % it2)
    check_eq(it2["url"], "/api/items/%d" % it2["id"], "url")
    # Sending an item back as it came (GET, edit, PUT) works.
    got = get_item(it2["id"])
    got["quantity"] = 6
    check_eq(expect(fetch("PUT", got["url"], got), 200), got, "PUT of a GET")


@suite.test("names: 1 to 100 bytes of any UTF-8 text, kept exactly")
def t_names():
    for name in ("x", "a" * MAX_NAME, "caf\u00e9 \u2603 <b>&amp;\"'</b>",
                 "\u00e9" * (MAX_NAME // 2), "tab\there\nnewline"):
        it = create({"name": name, "quantity": MAX_QUANTITY})
        check_eq(get_item(it["id"])["name"], name, "name read back")
        check_eq(it["quantity"], MAX_QUANTITY, "largest quantity")


@suite.test("PATCH {} changes nothing; PATCH of both fields at once")
def t_patch_edges():
    it = create({"name": "pear", "quantity": 2})
    url = it["url"]
    check_eq(expect(fetch("PATCH", url, {}), 200), it, "PATCH {}")
    check_eq(expect(fetch("PATCH", url, {"name": "nashi", "quantity": 4}),
                    200), dict(it, name="nashi", quantity=4), "PATCH both")


# --- Errors: 400 with a JSON body -------------------------------------------

NAME_RULE = "'name' must be a string of 1 to 100 bytes"
QTY_RULE = "'quantity' must be an integer from 0 to 1000000000"

BAD_FIELDS = [
    ({}, "missing field 'name'"),
    ({"quantity": 1}, "missing field 'name'"),
    ({"name": ""}, NAME_RULE),
    ({"name": "a" * (MAX_NAME + 1)}, NAME_RULE),
    ({"name": "\u00e9" * (MAX_NAME // 2 + 1)}, NAME_RULE),  # 102 bytes
    ({"name": 7}, NAME_RULE),
    ({"name": None}, NAME_RULE),
    ({"name": ["a"]}, NAME_RULE),
    ({"name": "a", "quantity": -1}, QTY_RULE),
    ({"name": "a", "quantity": MAX_QUANTITY + 1}, QTY_RULE),
    ({"name": "a", "quantity": 1.5}, QTY_RULE),
    ({"name": "a", "quantity": 1.0}, QTY_RULE),
    ({"name": "a", "quantity": "3"}, QTY_RULE),
    ({"name": "a", "quantity": True}, QTY_RULE),
    ({"name": "a", "quantity": None}, QTY_RULE),
    ({"name": "a", "colour": "red"}, "unknown field 'colour'"),
    ([{"name": "a"}], "the body must be a JSON object"),
    ("a string", "the body must be a JSON object"),
    (42, "the body must be a JSON object"),
    (None, "the body must be a JSON object"),
]


@suite.test("POST and PUT with missing or invalid fields -> 400 JSON naming the rule")
def t_bad_fields():
    it = create({"name": "kept", "quantity": 1})
    for fields, detail in BAD_FIELDS:
        body = json.dumps(fields)
        note("fields %s" % body)
        expect_error(fetch("POST", "/api/items", body), 400, detail)
        expect_error(fetch("PUT", it["url"], body), 400, detail)
    check_eq(get_item(it["id"]), it, "item after the refused PUTs")


@suite.test("PATCH with invalid fields -> 400 JSON, the item unchanged")
def t_bad_patch():
    it = create({"name": "steady", "quantity": 8})
    for fields, detail in BAD_FIELDS:
        if detail == "missing field 'name'":
            continue  # a PATCH may leave any field out
        body = json.dumps(fields)
        note("fields %s" % body)
        expect_error(fetch("PATCH", it["url"], body), 400, detail)
    check_eq(get_item(it["id"]), it, "item after the refused PATCHes")


INVALID_JSON = re.compile(r"Invalid JSON body: .+")


@suite.test("a body that is not JSON -> the runtime's 400, written as JSON by the hook")
def t_invalid_json():
    it = create({"name": "solid"})
    for body in (b"{bad", b"{\"name\": \"a\"", b"name=a", b"{\"name\": NaN}",
                 b"\xff\xfe", b"{\"name\": \"a\\u0000b\"}"):
        note("body %r" % body)
        for method, target in (("POST", "/api/items"), ("PUT", it["url"]),
                               ("PATCH", it["url"])):
            expect_error(fetch(method, target, body), 400, INVALID_JSON)
    # No body at all.
    expect_error(fetch("POST", "/api/items", b""), 400,
                 re.compile(r"Invalid JSON body.*"))
    check_eq(get_item(it["id"]), it, "item after the refused bodies")


@suite.test("a detail quoting bytes that are not UTF-8 is left out (null), the error still JSON")
def t_detail_not_utf8():
    # jansson's message quotes the token it choked on: here a lone 0xff.
    r = fetch("POST", "/api/items", b"{\"name\": x\xff}")
    body = expect(r, 400)
    check(body["detail"] is None or isinstance(body["detail"], str),
          "detail %r" % body["detail"])
    check_eq(body["status"], 400, "status member")


@suite.test("404 of an unknown path, a non-canonical id; 405 with Allow: all JSON")
def t_router_errors():
    for target in ("/nope", "/api/items/abc", "/api/items/007",
                   "/api/items/1/x", "/api/items/+1"):
        note("target %s" % target)
        expect_error(fetch("GET", target), 404, None)
    r = fetch("DELETE", "/api/items")
    expect_error(r, 405, None)
    check_eq(r.get("Allow"), "GET, HEAD, POST", "Allow of /api/items")
    r = fetch("POST", "/api/items/1", {"name": "x"})
    expect_error(r, 405, None)
    check_eq(r.get("Allow"), "GET, HEAD, PUT, PATCH, DELETE",
             "Allow of /api/items/{id}")


@suite.test("a body over the app's max_body_size (64K) -> 413 in JSON")
def t_too_large():
    body = json.dumps({"name": "x" * (64 * 1024)}).encode()
    with shared.server.connect() as c:
        r = c.request(req("POST", "/api/items", body), "POST")
    body = expect(r, 413)
    check_eq(body["status"], 413, "status member")


@suite.test("errors keep the connection: valid and refused requests on one keep-alive connection")
def t_keep_alive():
    with shared.server.connect() as c:
        it = expect(c.request(req("POST", "/api/items", {"name": "ka"})),
                    201)
        expect_error(c.request(req("POST", "/api/items", b"{")), 400,
                     INVALID_JSON)
        expect_error(c.request(req("POST", "/api/items", {"name": ""})),
                     400, NAME_RULE)
        expect_error(c.request(req("GET", "/api/items/0")), 404, "no item 0")
        check_eq(expect(c.request(req("GET", it["url"])), 200), it,
                 "GET on the same connection")
        # Pipelined: three requests in one write, three answers in order.
        c.send(req("PATCH", it["url"], {"quantity": 4}) +
               req("GET", it["url"]) + req("DELETE", it["url"]))
        a, b, d = c.read_responses(["PATCH", "GET", "DELETE"])
        check_eq(expect(a, 200)["quantity"], 4, "pipelined PATCH")
        check_eq(expect(b, 200)["quantity"], 4, "pipelined GET")
        expect(d, 204)
        expect_error(c.request(req("GET", it["url"])), 404,
                     "no item %d" % it["id"])


# --- Listing ----------------------------------------------------------------

@suite.test("GET /api/items pages: offset, limit, next links, total")
def t_list_pages():
    made = [create({"name": "page-%d" % i, "quantity": i}) for i in range(7)]
    everything = list_all(limit=3)
    for it in made:
        check(item_of(it) in everything, "item %r not listed" % it)
    total = len(everything)
    # Default limit 20; offset beyond the end: an empty last page.
    page = expect(fetch("GET", "/api/items"), 200)
    check_eq(page["limit"], 20, "default limit")
    check_eq(page["items"], everything[:20], "first page")
    page = expect(fetch("GET", "/api/items?offset=%d" % total), 200)
    check_eq((page["items"], page["next"], page["total"]),
             ([], None, total), "page past the end")
    # The arguments come through tn_get_argument: the last value wins.
    page = expect(fetch("GET", "/api/items?limit=50&limit=2"), 200)
    check_eq(len(page["items"]), min(2, total), "limit=50&limit=2")
    # HEAD: the GET's headers, no body.
    with shared.server.connect() as c:
        h, g = c.head_then_get(req("HEAD", "/api/items?limit=5"),
                               req("GET", "/api/items?limit=5"))
    check_eq(h.get("Content-Type"), JSON_TYPE, "HEAD Content-Type")
    check_eq(h.status, 200, "HEAD status")


@suite.test("bad ?limit= / ?offset= -> 400 JSON naming the range")
def t_list_bad_args():
    lim = "'limit' must be an integer from 1 to 100"
    off = "'offset' must be an integer from 0 to 10000"
    for query, detail in (("limit=0", lim), ("limit=101", lim),
                          ("limit=abc", lim), ("limit=-1", lim),
                          ("limit=007", lim), ("limit=", lim),
                          ("limit=1e2", lim), ("offset=-1", off),
                          ("offset=10001", off), ("offset=x", off),
                          ("offset=99999999999999999999", off)):
        note("query %s" % query)
        expect_error(fetch("GET", "/api/items?" + query), 400, detail)
    # "%205" is " 5": argument values are stripped, as in Tornado.
    for query in ("limit=1", "limit=100", "offset=0", "offset=10000",
                  "limit=%205"):
        note("query %s" % query)
        expect(fetch("GET", "/api/items?" + query), 200)


# --- curl -------------------------------------------------------------------

@suite.test("curl: create, read, update, delete from the command line")
def t_curl():
    url = base_url() + "/api/items"
    out = curl("-i", "-H", "Content-Type: application/json",
               "-d", '{"name": "from curl", "quantity": 2}', url)
    head, _, body = out.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 201 Created\r\n"), "head %s" % show(head))
    m = re.search(rb"(?im)^location: (/api/items/[0-9]+)\r?$", head)
    check(m, "no Location in %s" % show(head))
    it = json.loads(body)
    check_eq(it["url"], m.group(1).decode(), "url vs Location")
    item_url = base_url() + it["url"]
    check_eq(json.loads(curl(item_url)), it, "curl GET")
    changed = json.loads(curl("-X", "PATCH", "-d", '{"quantity": 9}',
                              item_url))
    check_eq(changed, dict(it, quantity=9), "curl PATCH")
    code = curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE",
                item_url)
    check_eq(code, b"204", "curl DELETE status")
    out = curl("-w", "\n%{http_code} %{content_type}", item_url)
    body, _, tail = out.rpartition(b"\n")
    check_eq(tail, b"404 " + JSON_TYPE.encode(), "curl GET after DELETE")
    check_eq(json.loads(body)["detail"], "no item %d" % it["id"], "detail")


# --- Workers ------------------------------------------------------------------

def run_threads(n, fn):
    """Runs fn(k) in n threads at once; re-raises the first failure."""
    errors = []

    def wrap(k):
        try:
            fn(k)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=wrap, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(not any(t.is_alive() for t in threads), "threads still running")
    if errors:
        raise errors[0]


@suite.test("--workers 2: creates from 8 clients at once, all listed, ids unique")
def t_workers_consistent():
    s = Server(shared.binary, ["--workers", "2"]).start()
    try:
        clients, per_client = 8, 30
        made = [[] for _ in range(clients)]

        def client(k):
            # A new connection every 5 requests, so the kernel spreads
            # them over both workers' listeners.
            for start in range(0, per_client, 5):
                with s.connect() as c:
                    for i in range(start, start + 5):
                        r = c.request(req("POST", "/api/items",
                                          {"name": "c%d-%d" % (k, i),
                                           "quantity": i}))
                        made[k].append(expect(r, 201))
        run_threads(clients, client)
        created = [it for per in made for it in per]
        ids = [it["id"] for it in created]
        check_eq(len(set(ids)), clients * per_client, "distinct ids")
        check_eq(sorted(ids), list(range(1, clients * per_client + 1)),
                 "ids given (1..N, none lost or doubled)")
        listed = list_all(server=s)
        check_eq(sorted(listed, key=lambda x: x["id"]),
                 sorted([item_of(it) for it in created],
                        key=lambda x: x["id"]), "listing vs created")
        # Two clients PATCH different fields of one item at once: each
        # update is one step under the store's lock, so neither is lost.
        target = created[0]["url"]

        def patcher(k):
            with s.connect() as c:
                for i in range(40):
                    body = ({"name": "n%d" % i} if k == 0
                            else {"quantity": i})
                    expect(c.request(req("PATCH", target, body)), 200)
        run_threads(2, patcher)
        final = get_item(created[0]["id"], server=s)
        check_eq((final["name"], final["quantity"]), ("n39", 39),
                 "both PATCH streams' last values")
        # Deletes from both workers, then the listing again.
        gone = set(ids[::3])

        def deleter(k):
            for i in sorted(gone)[k::4]:
                expect(fetch("DELETE", "/api/items/%d" % i, server=s), 204)
        run_threads(4, deleter)
        left = [it["id"] for it in list_all(limit=37, server=s)]
        check_eq(left, sorted(set(ids) - gone), "ids left after deletes")
    finally:
        s.stop()


@suite.test("the store holds 10,000 items: the next POST is a 507 in JSON; a DELETE makes room")
def t_store_full():
    s = Server(shared.binary, ["--workers", "1"]).start()
    try:
        post = req("POST", "/api/items", {"name": "n"})
        with s.connect() as c:
            batch = 500
            for done in range(0, MAX_ITEMS, batch):
                c.send(post * batch)
                for r in c.read_responses(["POST"] * batch):
                    check_eq(r.status, 201, "status of a create")
            check_eq(r.get("Location"), "/api/items/%d" % MAX_ITEMS,
                     "the last Location")
            full = "the store is full (10000 items): delete some first"
            expect_error(c.request(post), 507, full)
            expect_error(c.request(post), 507, full)
            page = expect(c.request(req("GET", "/api/items?limit=1")), 200)
            check_eq(page["total"], MAX_ITEMS, "total when full")
            expect(c.request(req("DELETE", "/api/items/5000")), 204)
            it = expect(c.request(post), 201)
            check_eq(it["id"], MAX_ITEMS + 1, "id after making room")
            expect_error(c.request(post), 507, full)
            page = expect(c.request(req("GET", "/api/items?offset=9999")),
                          200)
            check_eq([x["id"] for x in page["items"]], [MAX_ITEMS + 1],
                     "the last item")
    finally:
        s.stop()


if __name__ == "__main__":
    sys.exit(shared.main(suite))
