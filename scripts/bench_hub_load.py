#!/usr/bin/env python3
"""Hub load benchmark (issue 15 hole 3), driven against the real `ppe hub serve`.

Per run: a fresh hub (`ppe hub init`, a generated plan, two boxes enrolled), then
  - idle: the hub's RSS sampled for a few seconds (the baseline);
  - load for BENCH_SECS: STALLED unauthenticated connections held open from 10 loopback
    addresses (a third silent TCP, a third TLS + half a request's headers, a third TLS + whole
    headers announcing a body that never comes; each reconnects when the hub cuts it), junk
    uploads at JUNK_MBPS from an enrolled box (PATCH bodies whose Upload-Checksum is wrong:
    the hub reads every byte and keeps none), and the genuine box uploading 300 KB pages with
    their checksums (creation-with-upload) on two connections;
  - the hub's RSS (VmRSS from /proc) sampled every 100 ms, VmHWM at the end.
Prints one JSON line per run and a markdown table of medians; exits 1 if a genuine page
failed or the peak RSS reached 256 MiB in any run.
"""

import asyncio
import base64
import hashlib
import json
import os
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

PPE = os.environ.get("PPE_BIN", "target/debug/ppe")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SECS = float(os.environ.get("BENCH_SECS", "20"))
STALLED = int(os.environ.get("BENCH_STALLED", "1000"))
JUNK_MBPS = float(os.environ.get("BENCH_JUNK_MBPS", "100"))
PAGE = 300_000
LIMIT_KIB = 256 * 1024


def run(*args):
    out = subprocess.run([PPE, *args], capture_output=True, text=True, env={**os.environ, "PPE_LOG": "warn"})
    if out.returncode != 0:
        sys.exit(f"{args}: {out.stderr}")


def rss_kib(pid, field="VmRSS:"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


class Hub:
    def __init__(self, tmp):
        self.dir = tmp
        toml = os.path.join(tmp, "hub", "hub.toml")
        run("hub", "init", "--dir", os.path.join(tmp, "hub"))
        plan = os.path.join(tmp, "region.json")
        run("hub", "demo-plan", "--out", plan, "--points", "2", "--participants", "600")
        run("hub", "import-plan", plan, "--config", toml)
        with open(plan) as f:
            region = json.load(f)
        regs = region["registrations"]
        self.exam = regs[0]["exam_id"]
        self.points = sorted({r["ppe_code"] for r in regs})[:2]
        for p in self.points:
            out = os.path.join(tmp, f"box-{p}")
            run("hub", "enroll", "--ppe", p, "--out", out, "--run-dir", os.path.join(out, "run"), "--config", toml)
        self.proc = subprocess.Popen([PPE, "hub", "serve", "--listen", "127.0.0.1:0", "--config", toml],
                                     stderr=subprocess.PIPE, text=True, env={**os.environ, "PPE_LOG": "warn"})
        while True:
            line = self.proc.stderr.readline()
            if not line:
                sys.exit("ppe hub serve ended before listening")
            m = re.search(r"https://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        # Keep draining the hub's log so it never blocks on a full pipe.
        asyncio.get_event_loop().run_in_executor(None, lambda: [None for _ in self.proc.stderr])
        self.ca = os.path.join(tmp, "hub", "keys", "ca.crt")

    def tls(self, point=None):
        ctx = ssl.create_default_context(cafile=self.ca)
        if point:
            keys = os.path.join(self.dir, f"box-{point}", "keys")
            ctx.load_cert_chain(os.path.join(keys, "client.crt"), os.path.join(keys, "client.key"))
        return ctx

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def b64(s):
    return base64.b64encode(s.encode()).decode()


async def open_conn(hub, point=None, source="127.0.0.1"):
    return await asyncio.open_connection("127.0.0.1", hub.port, ssl=hub.tls(point), server_hostname="localhost",
                                         local_addr=(source, 0))


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    text = head.decode("latin-1")
    status = int(text.split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in text.split("\r\n")[1:] if ":" in l)}
    n = int(headers.get("content-length", "0"))
    if n:
        await reader.readexactly(n)
    return status, headers


async def stalled_one(hub, source, kind, stop, counts):
    """One stalled connection, opened again a second after the hub cuts or refuses it."""
    while not stop.is_set():
        try:
            if kind == 0:
                reader, writer = await asyncio.open_connection("127.0.0.1", hub.port, local_addr=(source, 0))
            else:
                reader, writer = await open_conn(hub, None, source)
                if kind == 1:
                    writer.write(b"POST /v1/uploads HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\n")
                    await writer.drain()
            counts["open"] += 1
            try:
                await asyncio.wait_for(reader.read(1), timeout=max(0.1, SECS))
            except asyncio.TimeoutError:
                pass
            counts["open"] -= 1
            counts["cut"] += 1
            writer.close()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            counts["refused"] += 1
        await asyncio.sleep(1)


async def junk(hub, point, stop, stats, rate):
    """Junk PATCH bodies (wrong checksum) from an enrolled box; the lanes together keep to
    `rate` bytes/s."""
    chunk = os.urandom(1 << 20)
    wrong = base64.b64encode(b"\0" * 32).decode()
    per_request = 8 << 20
    started = time.monotonic()
    while not stop.is_set():
        try:
            reader, writer = await open_conn(hub, point)
            meta = f"exam_id {b64(hub.exam)},ppe_code {b64(point)},file_name {b64('junk.bin')},kind {b64('page')}"
            writer.write(f"POST /v1/uploads HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\nUpload-Length: {per_request}\r\n"
                         f"Upload-Metadata: {meta}\r\nContent-Length: 0\r\n\r\n".encode())
            status, headers = await read_response(reader)
            if status != 201:
                stats["junk_refused"] += 1
                writer.close()
                await asyncio.sleep(0.5)
                continue
            location = headers["location"]
            while not stop.is_set():
                writer.write(f"PATCH {location} HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
                             f"Content-Type: application/offset+octet-stream\r\nUpload-Checksum: sha256 {wrong}\r\n"
                             f"Content-Length: {per_request}\r\n\r\n".encode())
                for _ in range(per_request // len(chunk)):
                    writer.write(chunk)
                    await writer.drain()
                    stats["junk_bytes"] += len(chunk)
                    # Pace to the rate.
                    ahead = stats["junk_bytes"] / rate - (time.monotonic() - started)
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                status, headers = await read_response(reader)
                stats[f"junk_{status}"] = stats.get(f"junk_{status}", 0) + 1
                if headers.get("connection", "").lower() == "close":
                    break
            writer.close()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError, KeyError) as e:
            stats["junk_errors"] += 1
            stats.setdefault("junk_error_list", []).append(repr(e))
            await asyncio.sleep(0.2)


async def genuine(hub, point, stop, stats, lane):
    """Pages of the genuine box, each created with its bytes and its checksum; a page whose
    request breaks is sent again (as the box's tus client does), up to 5 tries."""
    n = 0
    reader = writer = None
    while not stop.is_set():
        body = os.urandom(PAGE)
        digest = hashlib.sha256(body).digest()
        meta = (f"exam_id {b64(hub.exam)},ppe_code {b64(point)},file_name {b64(f'page-{lane}-{n}.png')},kind {b64('page')},"
                f"sha256 {b64(digest.hex())}")
        t0 = time.monotonic()
        for attempt in range(5):
            if stop.is_set():
                break
            try:
                if writer is None:
                    reader, writer = await open_conn(hub, point)
                writer.write(f"POST /v1/uploads HTTP/1.1\r\nHost: hub\r\nTus-Resumable: 1.0.0\r\nUpload-Length: {PAGE}\r\n"
                             f"Upload-Metadata: {meta}\r\nContent-Type: application/offset+octet-stream\r\n"
                             f"Upload-Checksum: sha256 {base64.b64encode(digest).decode()}\r\nContent-Length: {PAGE}\r\n\r\n".encode())
                writer.write(body)
                await writer.drain()
                status, headers = await asyncio.wait_for(read_response(reader), timeout=30)
                if headers.get("connection", "").lower() == "close":
                    writer = None
                if status == 201 and headers.get("upload-offset") == str(PAGE):
                    stats["pages"] += 1
                    stats["latency_ms"].append((time.monotonic() - t0) * 1000)
                    break
                stats.setdefault("page_statuses", []).append(status)
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
                stats.setdefault("page_errors", []).append(repr(e))
                writer = None
            stats["page_retries"] += 1
            await asyncio.sleep(0.2 * (attempt + 1))
        else:
            stats["page_failures"] += 1
        n += 1


async def one_run():
    tmp = tempfile.mkdtemp(prefix="ppe-bench-hub-load-")
    try:
        hub = Hub(tmp)
        pid = hub.proc.pid
        await asyncio.sleep(1)
        idle = []
        for _ in range(20):
            idle.append(rss_kib(pid))
            await asyncio.sleep(0.1)
        stop = asyncio.Event()
        counts = {"open": 0, "cut": 0, "refused": 0}
        stats = {"junk_bytes": 0, "junk_errors": 0, "junk_refused": 0, "pages": 0, "page_failures": 0, "page_retries": 0, "latency_ms": []}
        sources = [f"127.0.0.{i}" for i in range(2, 42)]
        tasks = []
        for i in range(STALLED):
            tasks.append(asyncio.create_task(stalled_one(hub, sources[i % len(sources)], i % 3, stop, counts)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)
        tasks += [asyncio.create_task(junk(hub, hub.points[1], stop, stats, JUNK_MBPS * 1e6)) for _ in range(4)]
        tasks += [asyncio.create_task(genuine(hub, hub.points[0], stop, stats, lane)) for lane in range(2)]
        t0 = time.monotonic()
        peak, held = 0, []
        while time.monotonic() - t0 < SECS:
            peak = max(peak, rss_kib(pid))
            held.append(counts["open"])
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - t0
        stop.set()
        hwm = rss_kib(pid, "VmHWM:")
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        hub.stop()
        lat = sorted(stats["latency_ms"]) or [0]
        return {
            "idle_rss_mib": statistics.median(idle) / 1024,
            "peak_rss_mib": peak / 1024,
            "hwm_mib": hwm / 1024,
            "ratio": peak / max(1, statistics.median(idle)),
            "stalled_held_median": statistics.median(held),
            "stalled_cut": counts["cut"],
            "stalled_refused": counts["refused"],
            "junk_mb_per_s": stats["junk_bytes"] / elapsed / 1e6,
            "junk_460": stats.get("junk_460", 0),
            "junk_errors": stats["junk_errors"],
            "pages": stats["pages"],
            "page_failures": stats["page_failures"],
            "page_retries": stats["page_retries"],
            "page_p50_ms": lat[len(lat) // 2],
            "page_p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
            "detail": {k: v[:10] for k, v in stats.items() if k in ("page_statuses", "page_errors", "junk_error_list")},
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    results = []
    for i in range(RUNS):
        r = asyncio.run(one_run())
        print(json.dumps(r), flush=True)
        results.append(r)
    med = lambda k: statistics.median(r[k] for r in results)
    print(f"\n{RUNS} runs × {SECS:.0f} s, {STALLED} stalled connections, junk target {JUNK_MBPS:.0f} MB/s (medians):\n")
    print("| figure | median |\n| --- | ---: |")
    for k, fmt in [("idle_rss_mib", "{:.1f} MiB"), ("peak_rss_mib", "{:.1f} MiB"), ("hwm_mib", "{:.1f} MiB"), ("ratio", "{:.2f}×"),
                   ("stalled_held_median", "{:.0f}"), ("stalled_cut", "{:.0f}"), ("stalled_refused", "{:.0f}"),
                   ("junk_mb_per_s", "{:.1f} MB/s"), ("junk_460", "{:.0f}"), ("pages", "{:.0f}"), ("page_retries", "{:.0f}"), ("page_failures", "{:.0f}"),
                   ("page_p50_ms", "{:.0f} ms"), ("page_p99_ms", "{:.0f} ms")]:
        print(f"| {k} | {fmt.format(med(k))} |")
    bad = any(r["page_failures"] or r["peak_rss_mib"] * 1024 >= LIMIT_KIB or r["hwm_mib"] * 1024 >= LIMIT_KIB for r in results)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
