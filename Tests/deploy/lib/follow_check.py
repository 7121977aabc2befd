"""Checks (and measures) a live-follow run on hosts of our own (follow.sh): the records every host wrote, merged per
camera. Exits 1 when a window is missing between a camera's first and last, or written twice differently."""
import collections
import json
import os
import sys


def main():
    directory, window, hosts = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    by_camera = collections.defaultdict(dict)
    problems = []
    for host in hosts:
        path = os.path.join(directory, host, "records")
        for line in open(path) if os.path.exists(path) else []:
            _, _, text = line.partition(" ")
            record = json.loads(text)
            camera, start = record["camera_id"], record["start_time"]
            seen = by_camera[camera].setdefault(start, record)
            if seen != record:
                problems.append(f"{camera} {start}: written twice with different bytes")
    for camera, windows in sorted(by_camera.items()):
        starts = sorted(windows)
        for earlier, later in zip(starts, starts[1:]):
            if windows[earlier]["end_time"] != later:
                problems.append(f"{camera}: windows missing between {earlier} and {later}")
    if not by_camera:
        problems.append("no window was written at all")
    print(f"cameras {len(by_camera)}, windows {sum(len(w) for w in by_camera.values())}, problems {len(problems)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
