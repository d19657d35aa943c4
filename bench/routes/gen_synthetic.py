"""Writes a synthetic 1,000-route REST table and one sample request per route.

    gen_synthetic.py OUTDIR [--resources N]

writes OUTDIR/synthetic.troute and OUTDIR/synthetic.samples (one
`ROUTE METHOD PATH` per line, see bench/routes/troute.py). The output
depends on nothing but N (default 99): 10 routes for each of N resources,
then 10 site-wide routes, 10 * N + 10 in all.

The resources are 33 nouns under three prefixes (/api/v1, /api/v2,
/internal; past 99 resources the nouns get a number), the shape of a versioned JSON API and its back office. Each has

    GET          /P/R                          list
    POST         /P/R                          create
    GET          /P/R/search                   a literal beside the item
    GET          /P/R/by-name/{name:str}       (2 resources in 3)
    GET          /P/R/{KEY}                    item
    PUT PATCH    /P/R/{KEY}                    update
    DELETE       /P/R/{KEY}                    delete
    GET          /P/R/{KEY}/SUB                sub-resource list
    POST         /P/R/{KEY}/SUB                sub-resource create
    GET          /P/R/{KEY}/SUB/{SUBKEY}       nested item
    GET          /P/R/{KEY}/files/{file:path}  (the third resource in 3)

with KEY in turn {id:int}, {id:uint}, {id:uuid}, {slug:slug}, and SUBKEY an
int, uint or str. Where KEY is a slug, "search" and "by-name" are slugs too:
the literal routes come first and win, as in any router (torn refuses a
route that an earlier one hides completely). The site-wide routes include
`GET /` (the hello-world handler's path), declared last: Tornado, which tries
its regexes in order, reaches it after all the others.

Every handler answers "Hello, world" (bench/routes/troute.py writes them);
routes share a handler when their parameters (names and types) are the same.
"""
import argparse
import os
import sys

PREFIXES = ("/api/v1", "/api/v2", "/internal")
NOUNS = (
    "users", "accounts", "orders", "products", "invoices", "payments",
    "customers", "projects", "tickets", "articles", "comments", "teams",
    "repositories", "deployments", "servers", "regions", "subscriptions",
    "plans", "coupons", "shipments", "warehouses", "suppliers", "reviews",
    "categories", "tags", "documents", "folders", "messages", "channels",
    "events", "webhooks", "reports", "dashboards",
)
SUBS = ("items", "notes", "events", "members", "versions", "attachments", "labels")
KEYS = (("id", "int"), ("id", "uint"), ("id", "uuid"), ("slug", "slug"))
SUBKEYS = (("item_id", "int"), ("item_id", "uint"), ("item_name", "str"))

# Sample values: realistic, deterministic, of a few lengths.
SAMPLE = {
    "int": lambda k: str(1 + (k * 7919) % 99991),
    "uint": lambda k: str(100000 + (k * 104729) % 900000),
    "str": lambda k: ("octocat", "alice.smith", "Q3%20report", "x")[k % 4],
    "slug": lambda k: ("summer-sale-2024", "hello-world", "a", "release_notes-v2")[k % 4],
    "uuid": lambda k: "%08x-%04x-4%03x-a%03x-%012x" % (
        (k * 2654435761) & 0xFFFFFFFF, k & 0xFFFF, k & 0xFFF, (k * 31) & 0xFFF, k * 1000003),
    "path": lambda k: ("docs/2024/report.pdf", "a.txt", "img/logo/small.png")[k % 3],
}


def resource_routes(n):
    """The 10 routes of resource n: (name, methods, pattern, handler,
    sample path) each, where the pattern and the sample are lists of pieces:
    a literal string, or a (name, type) parameter."""
    prefix = PREFIXES[n // len(NOUNS) % len(PREFIXES)]
    noun = NOUNS[n % len(NOUNS)]
    if n >= len(PREFIXES) * len(NOUNS):  # past 99: users2, ...
        noun += str(n // (len(PREFIXES) * len(NOUNS)) + 1)
    key = KEYS[n % len(KEYS)]
    sub = SUBS[n % len(SUBS)]
    subkey = SUBKEYS[n % len(SUBKEYS)]
    base = f"{prefix}/{noun}"
    stem = f"{prefix.strip('/').replace('/', '_')}_{noun}"
    shapes = [
        ("list", "GET", [base]),
        ("create", "POST", [base]),
        ("search", "GET", [base + "/search"]),
    ]
    if n % 3 != 2:
        shapes.append(("by_name", "GET", [base + "/by-name/", ("name", "str")]))
    shapes += [
        ("show", "GET", [base + "/", key]),
        ("update", "PUT PATCH", [base + "/", key]),
        ("delete", "DELETE", [base + "/", key]),
        (f"{sub}_list", "GET", [base + "/", key, "/" + sub]),
        (f"{sub}_create", "POST", [base + "/", key, "/" + sub]),
        (f"{sub}_show", "GET", [base + "/", key, f"/{sub}/", subkey]),
    ]
    if n % 3 == 2:
        shapes.append(("file", "GET", [base + "/", key, "/files/", ("file", "path")]))
    return [(f"{stem}_{what}", methods, pieces) for what, methods, pieces in shapes]


SITE = [
    ("health", "GET", ["/health"]),
    ("metrics", "GET", ["/metrics"]),
    ("login", "GET POST", ["/login"]),
    ("logout", "POST", ["/logout"]),
    ("robots", "GET", ["/robots.txt"]),
    ("favicon", "GET", ["/favicon.ico"]),
    ("me", "GET", ["/api/v1/me"]),
    ("status", "GET", ["/api/v1/status"]),
    # ("static" is a .troute keyword: the static-directory declaration.)
    ("static_file", "GET", ["/static/", ("file", "path")]),
    ("home", "GET", ["/"]),
]


def handler_name(pieces):
    params = [p for p in pieces if isinstance(p, tuple)]
    if not params:
        return "home" if pieces == ["/"] else "h_static"
    return "h_" + "_".join(f"{name}_{ptype}" for name, ptype in params)


def generate(nresources):
    """Returns the lines of the .troute file and of the samples."""
    routes = []
    for n in range(nresources):
        routes.extend(resource_routes(n))
    routes.extend(SITE)

    troute = [
        "# synthetic.troute -- generated by bench/routes/gen_synthetic.py "
        f"--resources {nresources}: do not edit.",
        f"# {len(routes)} routes; see the generator for their shapes.",
        "app synthetic;",
        'include "handlers.h";',
    ]
    samples = []
    for k, (name, methods, pieces) in enumerate(routes):
        pattern = "".join(p if isinstance(p, str) else "{%s:%s}" % p for p in pieces)
        path = "".join(p if isinstance(p, str) else SAMPLE[p[1]](k + j)
                       for j, p in enumerate(pieces))
        troute.append(f'route {name} {methods} "{pattern}" -> {handler_name(pieces)};')
        samples.append(f"{name} {methods.split()[0]} {path}")
    return troute, samples


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--resources", type=int, default=99)
    args = ap.parse_args()
    if not 1 <= args.resources <= 10000:
        ap.error("--resources out of range")
    troute, samples = generate(args.resources)
    os.makedirs(args.outdir, exist_ok=True)
    with open(os.path.join(args.outdir, "synthetic.troute"), "w") as f:
        f.write("\n".join(troute) + "\n")
    with open(os.path.join(args.outdir, "synthetic.samples"), "w") as f:
        f.write("\n".join(samples) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
