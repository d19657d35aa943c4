#!/usr/bin/python3
"""Tornado is the oracle of torn's templates: render with tornado.template.

    /usr/bin/python3 tests/unit/tpl/tornado_check.py           # TAP
    /usr/bin/python3 tests/unit/tpl/tornado_check.py --regen   # rewrite goldens

Every case below is a template of tests/unit/tpl.troute whose expressions
are valid both in C and in Python (identifiers, string literals in double
quotes, integers, + - *, comparisons, if/for/while/set/include/extends...),
rendered with the same argument values test_gen_tpl.c passes in C: C
strings are str, ints int, json_t arrays lists. Tornado renders the same
template file with Loader("tests/unit/tpl") (autoescape xhtml_escape,
whitespace by file name), and its output must equal expected/CASE.out byte
for byte -- the golden the C render is compared with. So a golden of this
list is never written by hand: --regen writes them all from Tornado.

Needs Debian's python3-tornado (run with /usr/bin/python3). Prints TAP.
"""

import difflib
import os
import sys

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected")

ITEMS = ["plain", "<script>alert('x')</script>", "a & b", '"quoted"']

# name: (template file, arguments). Keep in step with test_gen_tpl.c.
CASES = {
    "basic": ("basic.html", dict(name="Ben <&> \"'", n=40)),
    "escape": ("escape.html",
               dict(s="<script>alert(\"x&y\")</script> 'q' &amp; \u00e9")),
    "ws_single": ("ws_single.html", dict(n=7)),
    "ws_all": ("ws_all.txt", dict(n=7)),
    "ws_js": ("ws_js.js", dict(n=7)),
    "ws_directive": ("ws_directive.html", dict(n=99)),
    "ws_modes": ("ws_modes.txt", dict(n=3)),
    "crlf": ("crlf.html", dict(n=2)),
    "pre": ("pre.html", dict(x="<x>")),
    "ae_none": ("ae_none.html", dict(name="Bobby <table>s")),
    "ae_last": ("ae_last.html", dict(name="Bobby <table>s")),
    "raw": ("raw.html", dict(name='<>&"', n=21)),
    "ae_url": ("ae_url.html", dict(s="a b&c/\u00e9?")),
    "ae_include": ("ae_include.html", dict(name="Bobby <table>s")),
    "ae_block_esc": ("ae/escaped_block.html", dict(name="<script>")),
    "ae_block_unesc": ("ae/unescaped_block.html", dict(name="<script>")),
    "ae_esc_ext_unesc": ("ae/escaped_extends_unescaped.html",
                         dict(name="<script>")),
    "ae_esc_over_unesc": ("ae/escaped_overrides_unescaped.html",
                          dict(name="<script>")),
    "ae_unesc_ext_esc": ("ae/unescaped_extends_escaped.html",
                         dict(name="<script>")),
    "ae_unesc_over_esc": ("ae/unescaped_overrides_escaped.html",
                          dict(name="<script>")),
    "comments": ("comments.html", dict(n=5)),
    "bang": ("bang.html", dict(n=40)),
    "braces": ("braces.html", dict(x="X&")),
    "brace_end": ("brace_end.html", dict()),
    "ifelse": ("ifelse.html", dict(a=1, b=2, c=3, d=7)),
    "loops": ("loops.html", dict(items=ITEMS, nums=[1, 2, 3], empty=[])),
    "while_loop": ("while_loop.html", dict(n=100)),
    "break_continue": ("break_continue.html",
                       dict(k=0, items=["a", "b", "c", "d", "e"])),
    "set_param": ("set_param.html", dict(x=1)),
    "minimize": ("minimize.txt", dict(items=[0, 1, 2, 3, 4], k=9)),
    "inherit_base": ("inherit_base.html", dict(title="T<1>", name="N&1", n=3)),
    "inherit_child": ("inherit_child.html",
                      dict(title="T<1>", name="N&1", n=3)),
    "inherit_grandchild": ("inherit_grandchild.html",
                           dict(title="T<1>", name="N&1", n=3)),
    "tornado_page": ("tornado_page.html", dict()),
    "include_vars": ("include_vars.html",
                     dict(name="Ann", n=1, items=["i1", "<i2>"])),
    "include_ws": ("include_ws.html", dict(n=8)),
    "include_txt": ("include_txt.txt", dict(n=8)),
    "unicode": ("unicode.html", dict(name="Zo\u00eb <\u00fc>")),
    "empty": ("empty.html", dict()),
    "blank": ("blank.html", dict()),
    "literals": ("literals.html", dict()),
    "incblock_base": ("incblock_base.html", dict(name="N")),
    "incblock_child": ("incblock_child.html", dict(name="N")),
    "loopblock_base": ("loopblock_base.html",
                       dict(items=["a", "<b>"], n=1, k=0)),
    "loopblock_child": ("loopblock_child.html",
                        dict(items=["a", "<b>"], n=1, k=0)),
}


def render(name):
    from tornado.template import Loader
    path, args = CASES[name]
    return Loader(HERE).load(path).generate(**args)


def main(argv):
    regen = "--regen" in argv[1:]
    try:
        import tornado.template  # noqa: F401
    except ImportError as e:
        print("1..0 # SKIP tornado is not installed (%s)" % e)
        return 0
    names = list(CASES)
    print("1..%d" % len(names))
    failed = 0
    for i, name in enumerate(names, 1):
        golden = os.path.join(EXPECTED, name + ".out")
        try:
            got = render(name)
        except Exception as e:  # a template Tornado refuses is a failure
            print("not ok %d - %s" % (i, name))
            print("# tornado raised %s: %s" % (type(e).__name__, e))
            failed += 1
            continue
        if regen:
            with open(golden, "wb") as f:
                f.write(got)
        try:
            with open(golden, "rb") as f:
                want = f.read()
        except OSError as e:
            want = None
            why = ["cannot read %s: %s" % (golden, e)]
        if want == got:
            print("ok %d - %s" % (i, name))
            continue
        if want is not None:
            why = ["expected/%s.out differs from Tornado's output:" % name]
            why += difflib.unified_diff(
                [repr(l) for l in want.splitlines(True)],
                [repr(l) for l in got.splitlines(True)],
                "expected/%s.out" % name, "tornado", lineterm="")
        print("not ok %d - %s" % (i, name))
        for line in why:
            print("# " + line)
        failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
