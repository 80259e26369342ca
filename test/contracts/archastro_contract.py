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
from archastro.platform.types.common import (
    AgentRoutine,
    AgentRoutineRun,
    AgentRoutineRunListResponse,
    AgentSession,
    AgentSessionEvent,
    RoutinePreset,
)

from archastro.platform.v1.resources import agent_routines, agent_sessions, agents

URL = os.environ.get("ARCHASTRO_BASE_URL", "")
KEY = os.environ.get("ARCHASTRO_API_KEY", "")
INPUTS = {
    "createSession": agent_sessions.AgentSessionCreateInput,
    "updateSession": agent_sessions.AgentSessionUpdateInput,
    "sendMessage": agent_sessions.AgentSessionMessageInput,
    "updateRoutine": agent_routines.AgentRoutineUpdateInput,
    "invokeRoutine": agent_routines.AgentRoutineInvokeInput,
    "createRoutine": agents.AgentAgentRoutinesInput,
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
    routines_contract(c)
    streams_contract(c)
    summary()


def wait_run(c, run_id, want, limit=5.0):
    until = time.time() + limit
    while True:
        run = c.agent_routines.agent_routine_runs.get(run_id)
        if run.status in want or time.time() > until:
            return run
        time.sleep(0.02)


def routines_contract(c):
    """Every routine and run operation the sandbox serves, through the SDK's own calls and models."""
    listed = c.agent_routines.list(agent=["agi_sandbox"], event_type="agentroutine.invoked")
    check("routines.list with agent[] → AgentRoutineListResponse", all(isinstance(x, AgentRoutine) for x in listed.data) and {x.id for x in listed.data} == {"arn_sbx_invoke", "arn_sbx_keyed", "arn_sbx_draft"})
    presets = c.agent_routines.presets()
    check("routines.presets → list[RoutinePreset] (label, applicable_events, chainable, sessionable, unique)", all(isinstance(p, RoutinePreset) for p in presets) and "agent_chat" in [p.name for p in presets])
    created = c.agents.agent_routines(AGENT, {
        "name": "contract preset routine",
        "handler_type": "preset",
        "preset_name": "agent_chat",
        "preset_config": {"instructions": "Be brief.", "llm": {"model": "openrouter/x"}, "session_mode": "stateless"},
        "event_type": "agentroutine.invoked",
        "lookup_key": "contract-preset",
    })
    check("agents.agent_routines (create) → AgentRoutine in draft with its preset fields", isinstance(created, AgentRoutine) and created.status == "draft" and created.preset_name == "agent_chat" and created.preset_config is not None and created.preset_config.instructions == "Be brief.", str(created.preset_config))
    try:
        c.agents.agent_routines(AGENT, {"name": "x", "handler_type": "preset", "preset_name": "nope"})
        check("create with an unknown preset → ApiError", False)
    except ApiError as e:
        check("create with an unknown preset → ApiError 422", e.status == 422 and e.error_code == "unknown_preset", f"{e.status} {e.error_code}")
    updated = c.agent_routines.update(created.id, {"preset_config": {"instructions": "Be thorough."}, "description": "v2"})
    check("routines.update → AgentRoutine with the new preset_config", updated.description == "v2" and updated.preset_config.instructions == "Be thorough.")
    check("routines.activate → active", c.agent_routines.activate(created.id).status == "active")
    check("routines.pause → paused", c.agent_routines.pause(created.id).status == "paused")
    c.agent_routines.activate(created.id)
    try:
        c.agent_routines.invoke(created.id, {"idempotency_key": "no-message"})
        check("invoke without message → ApiError", False)
    except ApiError as e:
        check("invoke without message → ApiError 422 validation_error", e.status == 422 and e.error_code == "validation_error", f"{e.status} {e.error_code}")
    run = c.agent_routines.invoke(created.id, {"message": "quick", "idempotency_key": "contract-1", "metadata": {"switchboard_key": "contract-1"}})
    check("invoke → AgentRoutineRun", isinstance(run, AgentRoutineRun) and run.id.startswith("arr_") and run.metadata == {"switchboard_key": "contract-1"})
    done = wait_run(c, run.id, {"completed"})
    check("completed run: result is an object", done.status == "completed" and isinstance(done.result, dict), str(done.result))
    try:
        c.agent_routines.invoke(created.id, {"message": "quick", "idempotency_key": "contract-1"})
        check("invoke with a completed run's key → ApiError", False)
    except ApiError as e:
        check("invoke with a completed run's key → ApiError 409", e.status == 409, f"{e.status} {e.error_code}")
    long = c.agent_routines.invoke("sandbox-invoke", {"message": "wait script:long"})
    sessions = c.agent_sessions.list(routine_run=[long.id])
    check("sessions.list with routine_run[] finds the run's session", len(sessions.data) == 1, str(len(sessions.data)))
    c.agent_sessions.cancel(sessions.data[0].id)
    cancelled = wait_run(c, long.id, {"cancelled"})
    check("a run whose session is cancelled ends cancelled", cancelled.status == "cancelled", str(cancelled.status))
    page = c.agent_routines.runs("sandbox-invoke", status="cancelled", limit=10)
    check("routines.runs with status=cancelled → AgentRoutineRunListResponse", isinstance(page, AgentRoutineRunListResponse) and [x.id for x in page.data] == [long.id])
    first = c.agent_routine_runs.list(agent=["agi_sandbox", AGENT], limit=1)
    rest = c.agent_routine_runs.list(agent=["agi_sandbox", AGENT], limit=10, before_cursor=first.before_cursor)
    check("agent_routine_runs.list with agent[] pages on the SDK's before_cursor", [x.id for x in first.data + rest.data] == [long.id, run.id], str([x.id for x in first.data + rest.data]))
    check("agent_routine_runs.list with status=cancelled", [x.id for x in c.agent_routine_runs.list(status="cancelled").data] == [long.id])
    c.agent_routines.delete(created.id)
    try:
        c.agent_routines.get(created.id)
        check("deleted routine is gone", False)
    except ApiError as e:
        check("routines.get after delete → ApiError 404", e.status == 404)


def streams_contract(c):
    """The SDK's SSE readers: a session's `session_update`/`session_event`, a run's `run_update`."""
    s = c.agent_sessions.create({"agent": AGENT, "instructions": "stream script:default"})
    seen = []
    for ev in c.agent_sessions.stream(s.id):
        if ev["event"] == "session_update":
            seen.append(("update", AgentSession.model_validate(ev["data"]).status))
        elif ev["event"] == "session_event":
            seen.append(("event", AgentSessionEvent.model_validate(ev["data"]).event))
        if len(seen) > 200:
            break
    statuses = [x[1] for x in seen if x[0] == "update"]
    check("agent_sessions.stream: session_update replays, follows every status and closes on the terminal one", statuses[-1] == "completed" and len(statuses) >= 2, ",".join(statuses))
    check("agent_sessions.stream: session_event carries AgentSessionEvent", any(x == ("event", "finished") for x in seen))
    run = c.agent_routines.invoke("sandbox-invoke", {"message": "quick"})
    runs = [AgentRoutineRun.model_validate(ev["data"]).status for ev in c.agent_routine_runs.stream(run.id) if ev["event"] == "run_update"]
    check("agent_routine_runs.stream: run_update until a terminal status", runs[-1] == "completed", ",".join(runs))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--requests":
        check_requests(sys.argv[2])
    else:
        main()
