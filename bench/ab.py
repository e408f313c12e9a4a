"""A quick A/B run: the ceiling and a few endpoints (or the mix) alone, over gunicorn, as bench/load.py measures them.

    .venv/bin/python -m bench.ab --database postgresql --endpoints worklist,household,mix --duration 20

The same server, virtual users, driver and figures as bench/load.py's closed-loop phases, without the other phases:
about 2 minutes for three endpoints, so that two versions of the code can be run one after the other, several
times, on the same machine (docs/performance.md, ninth session). Prints, per phase, requests per second, the ratio to
the ceiling, the workers' CPU per request, the driver's, and PostgreSQL's and Redis's processes' (the cores they
share with the app). Uses the cached province data of bench/load.py (generated on the first run).

    .venv/bin/python -m bench.ab --database postgresql --endpoints "POST floor,POST floor + scope,visit POST"

measures the visit POST next to its floor (bench/floor.py): the same request with nothing written.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from bench import load


def helper_cpu_seconds() -> float:
    """CPU seconds used so far by every PostgreSQL and Redis process of the machine."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.find("(") + 1:text.rfind(")")]
        if name in ("postgres", "redis-server"):
            fields = text.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--endpoints", default="visit POST",
                        help=f"comma-separated, among: {', '.join(load.MIX)}, mix, and the floor of the visit POST: "
                             f"{', '.join(load.FLOOR_PATHS)} (bench/floor.py)")
    parser.add_argument("--duration", type=float, default=20, help="seconds of each phase")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8, help="closed-loop clients per driver process")
    parser.add_argument("--pages", default="redis://127.0.0.1:6379/2", help="as bench/load.py's --pages")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.endpoints.split(",") if n.strip()]
    unknown = [n for n in names if n != "mix" and n not in load.MIX and n not in load.FLOOR_PATHS]
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(unknown)}")

    master, manifest, _source = load.prepare(args.database, args.scale, args.seed, False)
    url, cleanup = load.working_copy(args.database, master)
    log = Path(tempfile.mkstemp(prefix=f"fieldwork-ab-{args.database}-", suffix=".log")[1])
    pages = load.kept_pages(args.pages)
    # The floor endpoints exist only in bench/floor.py's app: the production app with two routes added.
    app = "bench.floor:create_app()" if set(names) & set(load.FLOOR_PATHS) else "fieldwork:create_app()"
    server = load.Server(url, args.workers, args.threads, log, {"FIELDWORK_PAGE_CACHE_URL": pages} if pages else None,
                         app)
    try:
        villages = load.village_ids_by_commune(url)
        pick = random.Random(args.seed)  # the same sample of users as bench/load.py's
        members = pick.sample([m for m in manifest["members"] if m.get("household_ids")], 60)
        officials = pick.sample([o for o in manifest["officials"] if villages.get(o["commune_id"])], 10)
        with ThreadPoolExecutor(max_workers=2 * args.workers) as pool:
            member_logins = list(pool.map(lambda m: load.sign_in(server.port, m["phone"], manifest["password"]),
                                          members))
            staff_logins = list(pool.map(lambda o: load.sign_in(server.port, o["phone"], manifest["password"]),
                                         officials))
        world = load.World(server.port,
                           [{**login, "household_ids": m["household_ids"]} for login, m in zip(member_logins, members)],
                           [{**login, "village_ids": villages[o["commune_id"]]}
                            for login, o in zip(staff_logins, officials)],
                           [t for t in manifest["search_terms"] if t.strip()])
        load.run_phase("warm-up", world, load.Phase("closed", load.MIX, 5, args.clients), server, 2, 1)
        ceiling = None
        for i, name in enumerate([load.TRIVIAL] + names):
            weights = load.MIX if name == "mix" else {name: 1}
            helpers = helper_cpu_seconds()
            result = load.run_phase(name, world, load.Phase("closed", weights, args.duration, args.clients), server,
                                    2, 10 + i)
            helpers = helper_cpu_seconds() - helpers
            s = load.summary(result.records, result.duration)
            ceiling = ceiling or s["rps"]
            n = max(1, s["requests"])
            print(f"{args.database} {name:<18} {s['rps']:7.1f} rps  {s['rps'] / ceiling:4.2f} × ceiling  "
                  f"p50 {s['p50']:5.1f} ms  errors {s['errors']}  SQL {s['queries']:.1f}  CPU ms/request: "
                  f"workers {result.server_cpu * 1000 / n:.2f}, driver {result.driver_cpu * 1000 / n:.2f}, "
                  f"PostgreSQL+Redis {helpers * 1000 / n:.2f}", flush=True)
    finally:
        server.stop()
        cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
