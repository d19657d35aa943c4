"""Tornado's half of the bigtable render benchmark, for bench/run_templates.

    /usr/bin/python3 bench/templates/tornado_render.py [--rounds R]
        [--round-seconds S] [--out FILE]

Tornado's own template benchmark (demos/benchmark/template_benchmark.py):
the same context, the same template text, loaded from
bench/templates/tornado/bigtable.html with tornado.template.Loader (so, as
a .html file, with whitespace "single", like torn's), rendered with
generate(**context). One render goes to FILE (for the byte-for-byte check
against torn's); then timeit.Timer.autorange() picks the number of renders
N whose round takes at least S seconds (default 0.2; timeit's own
threshold), and Timer.repeat() runs R rounds (default 7) of N renders
(timeit turns the garbage collector off while it times, as in Tornado's
benchmark); --rounds 0 only writes FILE. Prints, as render_bench does:

    tornado bytes=B renders=N rounds=R us_median=X us_min=Y mbps=Z
"""
import argparse
import os
import statistics
import timeit

import tornado.template

HERE = os.path.dirname(os.path.abspath(__file__))

context = {
    "page_title": "mitsuhiko's benchmark",
    "table": [dict(a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9, j=10) for x in range(1000)],
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--round-seconds", type=float, default=0.2)
    parser.add_argument("--out")
    args = parser.parse_args()

    loader = tornado.template.Loader(os.path.join(HERE, "tornado"))
    tmpl = loader.load("bigtable.html")

    def render():
        return tmpl.generate(**context)

    page = render()
    if args.out:
        with open(args.out, "wb") as f:
            f.write(page)
    if args.rounds < 1:
        return

    timer = timeit.Timer(render)
    n = 0
    for base in (10**k for k in range(12)):  # autorange, with our threshold
        for step in (1, 2, 5):
            n = base * step
            if timer.timeit(n) >= args.round_seconds:
                break
        else:
            continue
        break
    us = sorted(t * 1e6 / n for t in timer.repeat(repeat=args.rounds, number=n))
    median = statistics.median(us)
    print(f"tornado bytes={len(page)} renders={n} rounds={args.rounds} "
          f"us_median={median:.3f} us_min={us[0]:.3f} mbps={len(page) / median:.1f}", flush=True)


if __name__ == "__main__":
    main()
