"""What every contract script shares: one JSON line per check, and exit 1 on the first failure."""
import json
import sys

results = []


def check(name, ok, detail=""):
    results.append({"check": name, "ok": bool(ok), "detail": detail})
    print(json.dumps(results[-1]), flush=True)
    if not ok:
        sys.exit(1)


def summary():
    print(json.dumps({"summary": len(results)}))
