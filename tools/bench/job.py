"""`make bench`: the job on generated data, measured against baselines from the same run.

    python -m tools.bench.job [--rows 1000000] [--small-rows 250000]

Prints, from one run: wall time and rows/s per stage (read+transform, load), peak memory of
the JVM and of Python, and two ratios on the same data: the whole job against a DuckDB
reference of the same transform plus the same COPY load, and the job's load stage against
a bare COPY of the same staged rows. Peak memory is measured at two sizes to show it stays
flat. Each measured program runs in its own process so peak-memory readings are its own.
Results also land in var/bench/results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[2]
BENCH_DIR = REPO / "var" / "bench"
DAY = dt.date(2024, 1, 1)


def _cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU of a process: less sensitive than wall time to a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---- measured programs (each runs in a child process) -------------------------------------


def measure_job(source: str, db_url: str, output: str) -> dict:
    from flightline_glue.job import JobConfig, run_job
    from flightline_glue.spark import local_session
    from flightline_glue.storage import LocalStorage
    from flightline_glue.warehouse.postgres import PostgresLoader

    started = time.monotonic()
    spark = local_session("flightline-bench")
    session_ready = time.monotonic()
    out = LocalStorage(output)
    summary = run_job(
        spark, JobConfig(DAY, "bench"), LocalStorage(source), out, PostgresLoader(db_url, out)
    )
    finished = time.monotonic()
    jvm_pid = spark.sparkContext._gateway.proc.pid  # the launched JVM (spark-submit execs java)
    return {
        "session_start_s": session_ready - started,
        "read_transform_s": summary.durations_seconds["read_transform"],
        "load_s": summary.durations_seconds["load"],
        "run_job_s": finished - session_ready,
        "wall_s": finished - started,
        "rows_read": summary.rows_read,
        "rows_loaded": summary.rows_loaded,
        "staged_flights": summary.outputs["staged_flights"],
        "jvm_peak_rss_mb": _peak_rss_mb(jvm_pid),
        "cpu_s": _cpu_seconds(jvm_pid) + _cpu_seconds(),
        "python_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


DUCKDB_TRANSFORM = """
copy (
    with src as (
        select row_number() over () + 1 as source_line, *
        from read_csv({flights}, header = true, all_varchar = true)
    ),
    typed as (
        select
            source_line,
            upper(trim(coalesce(Carrier, ''))) as carrier_code,
            trim(coalesce(OriginAirportID, '')) as origin,
            trim(coalesce(DestAirportID, '')) as dest,
            trim(coalesce(DepDelay, '')) as dep,
            trim(coalesce(ArrDelay, '')) as arr
        from src
    ),
    checked as (
        select *,
            case when dep = '' then null else cast(cast(dep as decimal(10, 2)) as integer) end as dep_m,
            case when arr = '' then null else cast(cast(arr as decimal(10, 2)) as integer) end as arr_m
        from typed
        where regexp_full_match(carrier_code, '[A-Z0-9]{2,3}')
          and regexp_full_match(origin, '[0-9]{1,9}') and regexp_full_match(dest, '[0-9]{1,9}')
          and (dep = '' or regexp_full_match(dep, '[+-]?[0-9]{1,6}(\\.0*)?'))
          and (arr = '' or regexp_full_match(arr, '[+-]?[0-9]{1,6}(\\.0*)?'))
    )
    select
        substr(sha256(concat_ws('|', ?, ?, source_line)), 1, 32),
        cast(? as date), carrier_code, cast(origin as integer), cast(dest as integer), dep_m, arr_m,
        dep_m is null, dep_m is not null and arr_m is null,
        o.city, o.state, o.airport_name, d.city, d.state, d.airport_name,
        o.airport_id is not null, d.airport_id is not null,
        ?, source_line, 'duckdb', ?
    from checked
    left join airports o on o.airport_id = cast(origin as integer)
    left join airports d on d.airport_id = cast(dest as integer)
    where coalesce(dep_m between -1440 and 2880, true) and coalesce(arr_m between -1440 and 2880, true)
) to {staged} (format csv, header false)
"""  # noqa: E501


def measure_duckdb(source: str, db_url: str, output: str) -> dict:
    """The reference: the same validation, joins and ids in DuckDB, then the job's own load."""
    import duckdb
    from flightline_glue.inputs import parse_airports
    from flightline_glue.storage import LocalStorage
    from flightline_glue.warehouse import StagedDay
    from flightline_glue.warehouse.postgres import PostgresLoader

    started = time.monotonic()
    flights = f"{source}/daily_flights/date={DAY}/flights.csv"
    name = f"daily_flights/date={DAY}/flights.csv"
    dim = parse_airports(Path(source, "dim/airports.csv").read_bytes(), "dim/airports.csv")
    out_dir = Path(output)
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(
        "create table airports (airport_id integer, city varchar, state varchar, "
        "airport_name varchar, source_file varchar, run_id varchar, loaded_at timestamp)"
    )
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    con.executemany(
        "insert into airports values (?, ?, ?, ?, 'dim/airports.csv', 'duckdb', ?)",
        [(a.airport_id, a.city, a.state, a.name, loaded_at) for a in dim.airports],
    )
    con.execute(f"copy airports to '{out_dir / 'airports.csv'}' (format csv, header false)")
    staged = str(out_dir / "flights.csv")

    def quoted(path: str) -> str:
        return "'" + path.replace("'", "''") + "'"

    sql = DUCKDB_TRANSFORM.replace("{flights}", quoted(flights)).replace("{staged}", quoted(staged))
    con.execute(sql, [DAY.isoformat(), name, DAY.isoformat(), name, loaded_at])
    transformed = time.monotonic()
    staged_day = StagedDay(
        DAY, "duckdb", str(out_dir), (staged,), str(out_dir), (str(out_dir / "airports.csv"),)
    )
    result = PostgresLoader(db_url, LocalStorage(output)).load_day(staged_day)
    finished = time.monotonic()
    return {
        "transform_s": transformed - started,
        "load_s": finished - transformed,
        "wall_s": finished - started,
        "rows_loaded": result.flights_loaded,
        "cpu_s": _cpu_seconds(),
        "python_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_bare_copy(staged_dir: str, db_url: str) -> dict:
    """COPY the job's staged rows into a plain table: the ceiling for any loader."""
    files = sorted(p for p in Path(staged_dir).glob("part-*"))
    with psycopg.connect(db_url) as conn:
        # In staging: the loader's role may create tables nowhere else.
        conn.execute("drop table if exists staging.bench_bare_copy")
        conn.execute("create table staging.bench_bare_copy (like staging.flights)")
        conn.commit()
        started = time.monotonic()
        with (
            conn.cursor() as cur,
            cur.copy("copy staging.bench_bare_copy from stdin (format csv)") as copy,
        ):
            for path in files:
                with open(path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)
        conn.commit()
        elapsed = time.monotonic() - started
        rows = conn.execute("select count(*) from staging.bench_bare_copy").fetchone()[0]
        conn.execute("drop table staging.bench_bare_copy")
        conn.commit()
    return {"copy_s": elapsed, "rows": rows}


# ---- orchestration ------------------------------------------------------------------------


def _child(kind: str, source: Path, db_url: str, output: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tools.bench.job", "--measure", kind, "--source", str(source),
         "--db-url", db_url, "--output", str(output)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"bench: {kind} run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _generate(rows: int) -> Path:
    target = BENCH_DIR / f"data-{rows}"
    marker = target / "_expected" / f"date={DAY}" / "counts.json"
    if not marker.exists():
        subprocess.run(
            [sys.executable, "-m", "tools.datagen", "--out", str(target), "--rows", str(rows),
             "--days", "1", "--start-date", DAY.isoformat(), "--seed", "7"],
            cwd=REPO, check=True,
        )  # fmt: skip
    return target


def _fresh_database(info):
    """A new database with the warehouse bootstrap: the job loads it as its own role."""
    import dataclasses

    from tools.local import postgres as localpg

    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = info.url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    database = dataclasses.replace(info, dbname=name)
    localpg.set_up(database)
    return database


def _drop_database(url: str) -> None:
    admin, name = url.rsplit("/", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def run_bench(rows: int, small_rows: int) -> dict:
    from tools.local import postgres as localpg

    info = localpg.start()
    results: dict = {"rows": rows, "small_rows": small_rows, "cpus": os.cpu_count()}
    for label, n in (("small", small_rows), ("large", rows)):
        source = _generate(n)
        database = _fresh_database(info)
        db_url = database.login("loader").url
        try:
            job = _child("job", source, db_url, BENCH_DIR / f"out-{n}")
            if label == "large":
                results["duckdb"] = _child("duckdb", source, db_url, BENCH_DIR / "duckdb-out")
                results["bare_copy"] = measure_bare_copy(job["staged_flights"], db_url)
        finally:
            _drop_database(database.url)
        results[f"job_{label}"] = job
    return results


def report(r: dict) -> str:
    job, duck, bare = r["job_large"], r["duckdb"], r["bare_copy"]
    n = job["rows_read"]
    load_rate = job["rows_loaded"] / job["load_s"]
    bare_rate = bare["rows"] / bare["copy_s"]
    lines = [
        f"Flightline benchmark: {n:,} rows, one day, {r['cpus']} cores, Spark local[*]",
        "",
        f"{'stage':<28}{'seconds':>10}{'rows/s':>14}",
        f"{'spark session start':<28}{job['session_start_s']:>10.2f}{'':>14}",
        f"{'read + transform + stage':<28}{job['read_transform_s']:>10.2f}"
        f"{n / job['read_transform_s']:>14,.0f}",
        f"{'load (delete + COPY)':<28}{job['load_s']:>10.2f}{load_rate:>14,.0f}",
        f"{'job, session excluded':<28}{job['run_job_s']:>10.2f}{n / job['run_job_s']:>14,.0f}",
        f"{'job, wall':<28}{job['wall_s']:>10.2f}{n / job['wall_s']:>14,.0f}",
        f"{'duckdb reference + COPY':<28}{duck['wall_s']:>10.2f}{n / duck['wall_s']:>14,.0f}",
        f"{'bare COPY':<28}{bare['copy_s']:>10.2f}{bare_rate:>14,.0f}",
        "",
        "ratios (same data, same run)",
        f"  load stage / bare COPY throughput:   {load_rate / bare_rate:6.2f}  (target >= 0.60)",
        f"  job / DuckDB reference, session excl: {job['run_job_s'] / duck['wall_s']:5.2f}x"
        "  (target <= 3x)",
        f"  job / DuckDB reference, wall:         {job['wall_s'] / duck['wall_s']:5.2f}x",
        f"  job / DuckDB reference, CPU seconds:  {job['cpu_s'] / duck['cpu_s']:5.2f}x"
        f"  ({job['cpu_s']:.1f} s vs {duck['cpu_s']:.1f} s; PostgreSQL's own CPU not counted)",
        "",
        f"peak memory (MB)           {r['small_rows']:>10,} rows{r['rows']:>12,} rows{'ratio':>8}",
    ]
    small = r["job_small"]
    for key, label in (("jvm_peak_rss_mb", "JVM (Spark driver)"), ("python_peak_rss_mb", "Python")):
        ratio = job[key] / small[key]
        lines.append(f"  {label:<25}{small[key]:>10.0f}{job[key]:>17.0f}{ratio:>8.2f}")
    lines.append(f"  (rows grew {r['rows'] / r['small_rows']:.0f}x; flat memory = ratio near 1)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.job", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=250_000)
    parser.add_argument("--measure", choices=["job", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        measure = measure_job if args.measure == "job" else measure_duckdb
        print(json.dumps(measure(args.source, args.db_url, args.output)))
        return 0
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results = run_bench(args.rows, args.small_rows)
    (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
