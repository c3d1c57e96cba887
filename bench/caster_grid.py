"""caster-bench --job grid: roomcast's program (the output-clocked compositor) vs the
ffmpeg CLI's xstack on the same layout job.

Four 720p30 H.264 + AAC sources pushed by `ffmpeg -re` to live/in1..in4; the job: a
1920x1080 30 fps 2x2 grid of them (each scaled to 960x540, bilinear), the four audio
tracks mixed, x264 ultrafast + zerolatency (2 slice threads, CBR-ish 1.1x maxrate, 1.5x
buffer, 2 s GOP), AAC 128k. (a) roomcast: POST /api/v1/programs, publishing live/grid;
(b) the CLI: one ffmpeg reading the four rtmp:// inputs, scale + xstack + amix, pushing
live/cli_grid. Over a fixed window: CPU-seconds per media-second of each (roomcast's
minus its ingest-only baseline, the CLI process) and the ratio. Then input 3's pusher is
stopped (SIGSTOP) for --stall s: the output's frame arrival intervals over that time,
p99 and max (a program clocked by its output keeps 33 ms; a graph clocked by its inputs
waits for the missing one).
"""

import os
import signal
import statistics
import subprocess
import time

from caster_common import (FlvReader, Roomcast, baseline, by_thread_name, cpu_seconds, log,
                           nearest_rank, release, spawn, thread_cpu, wait_until)

FPS = 30
GOP = 60
WIDTH, HEIGHT = 1920, 1080
CELL_W, CELL_H = WIDTH // 2, HEIGHT // 2
INPUTS = 4
STALLED = 2  # the input stopped in the stall phase (0-based): live/in3
SOURCE_NAME = "bench-src-720p30-h264high-2500k-bf2-aac128k-20s.flv"


def make_source(path):
    if os.path.exists(path):
        return
    log(f"making the source {path} (20 s 1280x720 30 fps H.264 High 2.5 Mbit/s -g 60 -bf 2, "
        "AAC 128k)")
    tmp = path + ".part"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=10:allf=t+u",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "20",
                    "-map", "0:v", "-map", "1:a",
                    "-c:v", "libx264", "-profile:v", "high", "-preset", "veryfast",
                    "-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "5000k",
                    "-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-bf", "2",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ar", "48000",
                    "-ac", "2", "-f", "flv", tmp], check=True, stdin=subprocess.DEVNULL)
    os.replace(tmp, path)


def program_spec(args):
    return {"output": "live/grid", "layout": "grid2x2",
            "inputs": [{"stream": f"live/in{i + 1}"} for i in range(INPUTS)],
            "width": WIDTH, "height": HEIGHT, "fps": FPS, "kbps": args.kbps,
            "preset": "ultrafast", "gop_ms": GOP * 1000 // FPS, "audio_kbps": 128,
            "preview_stream": {"enabled": False}}  # the job is the program alone


def cli_command(srv, args):
    graph = [f"[{i}:v]scale={CELL_W}:{CELL_H}:flags=bilinear[v{i}]" for i in range(INPUTS)]
    cells = "|".join(f"{(i % 2) * CELL_W}_{(i // 2) * CELL_H}" for i in range(INPUTS))
    graph.append("".join(f"[v{i}]" for i in range(INPUTS)) + f"xstack=inputs={INPUTS}:"
                 f"layout={cells}[v]")
    graph.append("".join(f"[{i}:a]" for i in range(INPUTS)) + f"amix=inputs={INPUTS}[a]")
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin"]
    for i in range(INPUTS):
        cmd += ["-i", srv.rtmp_url(f"in{i + 1}")]
    kbps = args.kbps
    cmd += ["-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-threads", "2",
            "-g", str(GOP), "-keyint_min", str(GOP), "-sc_threshold", "0",
            "-b:v", f"{kbps}k", "-maxrate", f"{round(kbps * 1.1)}k",
            "-bufsize", f"{round(kbps * 1.5)}k", "-pix_fmt", "yuv420p", "-r", str(FPS),
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-f", "flv", srv.rtmp_url("cli_grid")]
    return cmd


def intervals_ms(reader, t0, t1):
    """Wall intervals between consecutive first arrivals of output frames in [t0, t1),
    plus the gap from t0 to the first and from the last to t1 (a stalled output has no
    frames: one long interval)."""
    times = sorted(t for t in list(reader.arrivals.values()) if t0 <= t < t1)
    edges = [t0] + times + [t1]
    return [1000 * (b - a) for a, b in zip(edges, edges[1:])]


def stall_phase(args, pushers, reader):
    """SIGSTOPs one input's pusher for args.stall s and returns the output's frame
    intervals over that time (the first 0.3 s left out: frames in flight)."""
    victim = pushers[STALLED]
    os.kill(victim.pid, signal.SIGSTOP)
    t_stop = time.monotonic()
    try:
        time.sleep(args.stall)
    finally:
        os.kill(victim.pid, signal.SIGCONT)
    t_cont = time.monotonic()
    ivs = intervals_ms(reader, t_stop + 0.3, t_cont)
    return {"p50": nearest_rank(ivs, 0.5), "p99": nearest_rank(ivs, 0.99), "max": max(ivs),
            "frames": len(ivs) - 1, "seconds": t_cont - t_stop - 0.3}


def measure(srv, args, reader, pids, threads_of):
    """Warm-up, then the CPU window: CPU s per pid, the window, frames delivered."""
    wait_until(lambda: len(reader.arrivals) > FPS, 60, f"{reader.path} to play")
    time.sleep(args.warmup)
    th0 = thread_cpu(threads_of)
    c0 = {p: cpu_seconds(p) for p in pids}
    t0 = time.monotonic()
    time.sleep(args.duration)
    c1 = {p: cpu_seconds(p) for p in pids}
    t1 = time.monotonic()
    threads = by_thread_name(th0, thread_cpu(threads_of))
    time.sleep(0.5)
    frames = reader.frames(t0, t1)
    return {p: c1[p] - c0[p] for p in pids}, t1 - t0, frames, threads


def run_roomcast(srv, args, pushers, base_rate):
    st, js = srv.call("POST", "/api/v1/programs", program_spec(args))
    if st != 201:
        raise RuntimeError(f"POST /api/v1/programs: {st} {js}")
    try:
        wait_until(lambda: srv.stream_live("live/grid"), 30, "live/grid")
        reader = FlvReader(srv.http_port, "/live/grid.flv")
        reader.start()
        cpu, window, frames, threads = measure(srv, args, reader, [srv.proc.pid], srv.proc.pid)
        _, api0 = srv.call("GET", "/api/v1/programs/live/grid")
        stall = stall_phase(args, pushers, reader)
        _, api1 = srv.call("GET", "/api/v1/programs/live/grid")
        reader.stop()
    finally:
        srv.call("DELETE", "/api/v1/programs/live/grid")
    gross = cpu[srv.proc.pid]
    shown = [i.get("state") for i in (api1 or {}).get("inputs", [])]
    return {"side": "roomcast", "window_s": window, "gross_cpu_s": gross,
            "cpu_s": gross - base_rate * window, "base_rate": base_rate, "frames": frames,
            "threads": threads, "stall": stall, "error": reader.error,
            "skipped": (api1 or {}).get("output_stats", {}).get("skipped"),
            "inputs_after_stall": shown, "api": api0}


def run_cli(srv, args, pushers, base_rate, workdir, rep):
    cmd = cli_command(srv, args)
    with open(os.path.join(workdir, "cli-grid-command.txt"), "w") as f:
        f.write(" ".join(cmd) + "\n")
    cli = spawn(cmd, os.path.join(workdir, f"cli-grid-{rep}.log"))
    try:
        wait_until(lambda: cli.poll() is not None or srv.stream_live("live/cli_grid"), 40,
                   "live/cli_grid")
        if cli.poll() is not None:
            raise RuntimeError(f"the ffmpeg CLI exited ({cli.returncode}); see "
                               f"{workdir}/cli-grid-{rep}.log")
        reader = FlvReader(srv.http_port, "/live/cli_grid.flv")
        reader.start()
        cpu, window, frames, threads = measure(srv, args, reader, [cli.pid, srv.proc.pid],
                                               cli.pid)
        stall = stall_phase(args, pushers, reader)
        reader.stop()
        exited = cli.poll()
    finally:
        release(cli)
    return {"side": "cli", "window_s": window, "cpu_s": cpu[cli.pid],
            "server_extra_s": cpu[srv.proc.pid] - base_rate * window, "base_rate": base_rate,
            "frames": frames, "threads": threads, "stall": stall, "error": reader.error,
            "exited": exited}


def report(row):
    w, media = row["window_s"], row["frames"] / FPS
    row["media_s"] = media
    eff = media / row["cpu_s"] if row["cpu_s"] > 0 else None
    row["eff"] = eff
    s = row["stall"]
    if row["side"] == "roomcast":
        log(f"  roomcast program: window {w:.1f} s, server CPU {row['gross_cpu_s']:.2f} s minus "
            f"the ingest baseline {row['base_rate'] * 100:.1f}% = {row['cpu_s']:.2f} CPU-s -> "
            f"{row['cpu_s'] / w:.3f} cores; {media:.1f} media-s delivered, "
            f"{eff:.3f} media-s per CPU-s; ticks skipped (total) {row['skipped']}")
    else:
        state = "running" if row["exited"] is None else f"EXITED {row['exited']}"
        log(f"  ffmpeg CLI xstack ({state}): window {w:.1f} s, CLI CPU {row['cpu_s']:.2f} s -> "
            f"{row['cpu_s'] / w:.3f} cores; {media:.1f} media-s delivered, {eff:.3f} media-s "
            f"per CPU-s; the server's extra CPU for the CLI's pulls and push "
            f"{row['server_extra_s']:.2f} s")
    top = ", ".join(f"{n} {c:.2f}" for n, c in row["threads"][:8] if c >= 0.01)
    log(f"    CPU-s by thread name in the window: {top}")
    log(f"    input 3 stopped for {s['seconds']:.1f} s: {s['frames']} output frames, frame "
        f"interval p50 {s['p50']:.0f} ms, p99 {s['p99']:.0f} ms, max {s['max']:.0f} ms "
        f"(1.5 intervals = {1.5 * 1000 / FPS:.0f} ms)"
        + (f"; inputs after: {row['inputs_after_stall']}" if row["side"] == "roomcast" else "")
        + (f"; reader: {row['error']}" if row["error"] else ""))


def spread(values, spec=".2f"):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    if len(values) == 1:
        return format(values[0], spec)
    return (f"{format(statistics.median(values), spec)} ({format(min(values), spec)}-"
            f"{format(max(values), spec)})")


def summary(rows, args):
    rc = [r for r in rows if r["side"] == "roomcast"]
    cli = [r for r in rows if r["side"] == "cli"]
    log(f"\n== summary (grid): median (min-max) of {args.repeat} run(s) ==")
    log(f"  CPU-s per media-s: roomcast {spread([1 / r['eff'] for r in rc if r['eff']], '.3f')}, "
        f"CLI {spread([1 / r['eff'] for r in cli if r['eff']], '.3f')}")
    ratios = [a["eff"] / b["eff"] for a, b in zip(rc, cli) if a["eff"] and b["eff"]]
    verdict = "meets" if ratios and statistics.median(ratios) >= 1.2 else "misses"
    log(f"  throughput per core roomcast/CLI (paired by run): {spread(ratios)} -> {verdict} "
        f"the target >= 1.2x")
    for r in rows:
        if r["media_s"] < 0.97 * r["window_s"]:
            log(f"  NOTE: run {r['run'] + 1}, {r['side']} delivered {r['media_s']:.1f} of "
                f"{r['window_s']:.1f} s of media: not real time")
    limit = 1.5 * 1000 / FPS
    for side, picked in (("roomcast", rc), ("CLI", cli)):
        p99 = [r["stall"]["p99"] for r in picked]
        worst = max(p99, default=None)
        ok = worst is not None and worst <= limit
        log(f"  one input stalled: {side} frame interval p99 {spread(p99, '.0f')} ms, max "
            f"{spread([r['stall']['max'] for r in picked], '.0f')} ms -> "
            f"{'within' if ok else 'past'} {limit:.0f} ms")


def run(args, workdir):
    """The grid job; returns its rows."""
    source_file = args.source or os.path.join(args.build, SOURCE_NAME)
    make_source(source_file)
    log(f"caster-bench --job grid: {INPUTS} x 720p30 -> {WIDTH}x{HEIGHT}@{FPS} 2x2, x264 "
        f"ultrafast+zerolatency {args.kbps}k; warm-up {args.warmup:g} s, window "
        f"{args.duration:g} s, stall {args.stall:g} s, baseline {args.baseline:g} s, repeat "
        f"{args.repeat}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    # NOTE: each packet written as it comes (no write merging), so a reader's arrival
    # times are the frames' own.
    args.server_set = ["viewer.merge_write_ms=0"] + args.server_set
    srv = Roomcast(args, workdir)
    pushers = []
    for i in range(INPUTS):
        pushers.append(spawn(["ffmpeg", "-hide_banner", "-loglevel", "warning", "-nostdin",
                              "-re", "-stream_loop", "-1", "-i", source_file, "-c", "copy",
                              "-f", "flv", srv.rtmp_url(f"in{i + 1}")],
                             os.path.join(workdir, f"push{i + 1}.log")))
    for i in range(INPUTS):
        wait_until(lambda: srv.stream_live(f"live/in{i + 1}"), 20, f"live/in{i + 1}")
    time.sleep(2)
    rows = []
    for rep in range(args.repeat):
        sides = ["roomcast", "cli"] if rep % 2 == 0 else ["cli", "roomcast"]
        for side in sides:
            base = baseline(srv, args)
            log(f"\n== run {rep + 1}, {side} (ingest baseline {base * 100:.1f}% of a core, "
                f"load average {os.getloadavg()[0]:.2f}) ==")
            row = (run_roomcast(srv, args, pushers, base) if side == "roomcast" else
                   run_cli(srv, args, pushers, base, workdir, rep))
            row["run"] = rep
            report(row)
            rows.append(row)
            time.sleep(3)  # the stalled pusher catches up
    for p in pushers:
        release(p)
    if srv.proc.poll() is not None:
        log(f"ROOMCAST EXITED: rc {srv.proc.returncode}")
    summary(rows, args)
    for r in rows:
        r.pop("api", None)
    return rows
