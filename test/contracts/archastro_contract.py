"""Drives the Switchboard sandbox's ArchAstro with the published Python SDK (archastro-sdk 0.11.0).

Every call goes through the SDK's own client with an app key (`with_secret_key`, so the key travels
in `x-archastro-api-key`); each response is validated by the SDK into its pydantic types (a shape
mismatch raises), errors surface as its `ApiError`, and the harness events page on its own `after`
cursor. Prints one JSON line per check; exits non-zero on the first failure.

Usage: ARCHASTRO_BASE_URL=http://127.0.0.1:PORT/archastro ARCHASTRO_API_KEY=… python archastro_contract.py
       python archastro_contract.py --requests FILE   (bodies Switchboard sent, [{"op", "body"}]: every
       key must be one the SDK's input TypedDict declares, and its required keys present)
"""
import json
import os
import sys
import time

from contract_checks import check, summary

from archastro.platform import PlatformClient
from archastro.platform.runtime.http_client import ApiError
from archastro.platform.types.common import AgentSession, AgentSessionEvent

from archastro.platform.v1.resources import agent_routines, agent_sessions

URL = os.environ.get("ARCHASTRO_BASE_URL", "")
KEY = os.environ.get("ARCHASTRO_API_KEY", "")
INPUTS = {
    "createSession": agent_sessions.AgentSessionCreateInput,
    "updateSession": agent_sessions.AgentSessionUpdateInput,
    "sendMessage": agent_sessions.AgentSessionMessageInput,
    "updateRoutine": agent_routines.AgentRoutineUpdateInput,
    "invokeRoutine": agent_routines.AgentRoutineInvokeInput,
}


def check_requests(path):
    with open(path) as f:
        sent = json.load(f)
    for item in sent:
        td = INPUTS[item["op"]]
        body = item["body"]
        unknown = [k for k in body if k not in td.__annotations__]
        missing = [k for k in td.__required_keys__ if k not in body]
        check(f"request {item['op']} fits {td.__name__}", not unknown and not missing, f"unknown={unknown} missing={missing}")
    summary()
AGENT = "agi_contract"




def wait_status(c, sid, want, limit=5.0):
    until = time.time() + limit
    while True:
        s = c.agent_sessions.get(sid)
        if s.status in want or time.time() > until:
            return s
        time.sleep(0.02)


def main():
    c = PlatformClient.with_secret_key(KEY, base_url=URL)
    s = c.agent_sessions.create({"agent": AGENT, "instructions": "contract script:ask", "metadata": {"switchboard_key": "k1"}})
    check("create → AgentSession", isinstance(s, AgentSession) and s.id.startswith("ase_"), s.id)
    waiting = wait_status(c, s.id, {"waiting"})
    check("get → AgentSession (trajectory is an id)", waiting.status == "waiting" and (waiting.trajectory or "").startswith("trj_"), str(waiting.trajectory))
    listed = c.agent_sessions.list(agent=[AGENT], status=["waiting", "running"], limit=100)
    check("list with agent[] and status[] → AgentSessionListResponse", [x.id for x in listed.data] == [s.id])
    none = c.agent_sessions.list(agent=[AGENT], status=["completed", "failed"])
    check("list filters on every status[] value, not the last only", none.data == [])
    events = c.agent_sessions.events(s.id)
    check("events → list[AgentSessionEvent]", all(isinstance(e, AgentSessionEvent) for e in events) and events[-1].event == "needs_input", ",".join(e.event or "" for e in events))
    later = c.agent_sessions.events(s.id, after=events[0].id, limit=1)
    check("events page on the SDK's `after` cursor", [e.id for e in later] == [events[1].id])
    after_msg = c.agent_sessions.message(s.id, {"content": "option B", "metadata": {"switchboard_key": "m1"}})
    check("message → AgentSession with the inbox message", any((m.get("metadata") or {}).get("switchboard_key") == "m1" for m in (after_msg.inbox or [])))
    done = wait_status(c, s.id, {"completed"})
    check("completed session: result is an object", done.status == "completed" and isinstance(done.result, dict), str(done.result))
    updated = c.agent_sessions.update(s.id, {"metadata": {"b": 2}})
    check("update → AgentSession", updated.metadata == {"b": 2})
    cancelled = c.agent_sessions.cancel(s.id)
    check("cancel on a terminal session answers it unchanged", cancelled.status == "completed")
    c.agent_sessions.delete(s.id)
    try:
        c.agent_sessions.get(s.id)
        check("deleted session is gone", False)
    except ApiError as e:
        check("get after delete → ApiError 404", e.status == 404, f"{e.status} {e.error_code}")
    try:
        c.agent_sessions.create({"agent": AGENT, "instructions": ""})
        check("create without instructions → ApiError", False)
    except ApiError as e:
        check("create without instructions → ApiError 422 with its code", e.status == 422 and e.error_code == "validation_error", f"{e.status} {e.error_code}")
    bad = PlatformClient.with_secret_key("not-a-key", base_url=URL)
    try:
        bad.agent_sessions.list()
        check("unknown key → ApiError", False)
    except ApiError as e:
        check("unknown key → ApiError 401", e.status == 401)
    r = c.agent_routines.get("arn_sbx_invoke")
    check("routines.get → AgentRoutine", r.id == "arn_sbx_invoke")
    summary()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--requests":
        check_requests(sys.argv[2])
    else:
        main()
