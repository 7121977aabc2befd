"""Waits until a surviving host follows every camera a dead host followed (follow.sh), and says how long after the
death each was taken over: the dead host's last health file names its cameras, the survivor's shows them appear.
    follow_takeover.py DIR DEAD SURVIVOR TIMEOUT        (DIR/killed_at holds the moment of the death)"""
import json
import sys
import time


def streams(path):
    try:
        with open(path) as health:
            return json.load(health).get("streams", {})
    except (OSError, ValueError):
        return {}


def main():
    directory, dead, survivor, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    killed = float(open(f"{directory}/killed_at").read().split()[1])
    orphans = set(streams(f"{directory}/{dead}/health.json"))
    taken = {}
    while len(taken) < len(orphans) and time.time() < killed + timeout:
        now = time.time()
        for camera, state in streams(f"{directory}/{survivor}/health.json").items():
            if camera in orphans and camera not in taken and state.get("state") == "following":
                taken[camera] = now - killed
        time.sleep(0.2)
    for camera in sorted(orphans):
        print(f"{camera}: taken over after {taken[camera]:.1f} s" if camera in taken else f"{camera}: not taken over")
    if taken:
        print(f"takeover: {len(taken)} of {len(orphans)} cameras, slowest {max(taken.values()):.1f} s")
    sys.exit(0 if orphans and len(taken) == len(orphans) else 1)


if __name__ == "__main__":
    main()
