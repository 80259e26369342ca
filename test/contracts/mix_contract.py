"""Drives the Switchboard sandbox's Mix with the published Mix SDK (mix-python-sdk 0.8.1).

Every operation Switchboard uses goes through the SDK's own client, so each response is parsed by
the SDK's own pydantic models (a shape mismatch raises ResponseValidationError) and each error by its
own error types. Prints one JSON line per check; exits non-zero on the first failure.

Usage: MIX_SERVER_URL=http://127.0.0.1:PORT/mix python mix_contract.py
       python mix_contract.py --requests FILE   (the other way round: bodies Switchboard sent, as
       [{"op": ..., "body": ...}], must validate in the SDK's request models with no unknown field)
"""
import asyncio
import json
import os
import sys

from contract_checks import check, summary

from mix_python_sdk import Mix, errors, models
from mix_python_sdk.helpers import query

URL = os.environ.get("MIX_SERVER_URL", "")

REQUEST_MODELS = {
    "createSession": models.CreateSessionRequest,
    "sendMessage": models.SendMessageRequestBody,
    "updateSessionCallbacks": models.UpdateSessionCallbacksRequestBody,
    "rewindSession": models.RewindSessionRequestBody,
    "respondToNotification": models.RespondToNotificationRequestBody,
}
# Operations whose SDK request has only a path id: nothing may travel in a body.
NO_BODY = {"grantPermission": models.GrantPermissionRequest, "denyPermission": models.DenyPermissionRequest}


def wire_names(model):
    return {f.alias or name for name, f in model.model_fields.items()}


def unknown_keys(model, body, where):
    """pydantic ignores extra keys; a key the SDK does not know would be dropped by a real server too."""
    out = [f"{where}.{k}" for k in body if k not in wire_names(model)]
    if model is models.UpdateSessionCallbacksRequestBody or model is models.CreateSessionRequest:
        for i, cb in enumerate(body.get("callbacks") or []):
            out += unknown_keys(models.Callback, cb, f"{where}.callbacks[{i}]")
    return out


def check_requests(path):
    with open(path) as f:
        sent = json.load(f)
    for item in sent:
        if item["op"] in NO_BODY:
            check(f"request {item['op']} sends no body ({NO_BODY[item['op']].__name__} has a path id only)", not item["body"], json.dumps(item["body"]))
            continue
        model = REQUEST_MODELS[item["op"]]
        model.model_validate(item["body"])
        extra = unknown_keys(model, item["body"], item["op"])
        check(f"request {item['op']} validates in {model.__name__}", not extra, ",".join(extra))
    summary()




def stream_until(mix, session_id, stop, last_event_id=None, limit=200):
    """Reads the persistent stream with the SDK until `stop(event)`; returns the typed events."""
    res = mix.streaming.stream_events(session_id=session_id, last_event_id=last_event_id)
    seen = []
    with res.result as events:
        for ev in events:
            seen.append(ev)
            if stop(ev) or len(seen) >= limit:
                break
    return seen


async def main_async(mix):
    s = mix.sessions.create(title="contract query script:default", browser_mode="local-browser-service")
    kinds = []
    async for ev in query(mix, s.id, "hello through helpers.query"):
        kinds.append(ev.type)
    check("helpers.query streams a turn to complete", kinds[-1] == "complete" and "content" in kinds, ",".join(kinds))


def main():
    mix = Mix(server_url=URL, retry_config=None)
    # Sessions
    s = mix.sessions.create(title="contract script:default", browser_mode="local-browser-service")
    check("create → SessionData", isinstance(s, models.SessionData) and s.user_message_count == 0, s.id)
    got = mix.sessions.get(id=s.id)
    check("get → SessionData", got.id == s.id and got.session_type == "main")
    listed = mix.sessions.list()
    check("list → List[SessionData]", any(x.id == s.id for x in listed))
    sent = mix.messages.send(id=s.id, text="say hello", thinking_level="basic")
    check("messages.send → 202 SendMessageResponse", sent.session_id == s.id and bool(sent.status))

    seen = stream_until(mix, s.id, lambda e: e.event == "complete")
    names = [e.event for e in seen]
    check("stream_events → typed events to complete", names[-1] == "complete" and "content" in names, ",".join(names))
    complete = seen[-1]
    check("complete event data", complete.data.done is True and complete.data.content == "done", str(complete.data))
    ids = [e.id for e in seen if e.event not in ("connected", "heartbeat")]
    mid = ids[len(ids) // 2]
    rest = stream_until(mix, s.id, lambda e: e.event == "complete", last_event_id=mid)
    rest_ids = [e.id for e in rest if e.event not in ("connected", "heartbeat")]
    check("stream resumes after Last-Event-ID", rest_ids == ids[ids.index(mid) + 1 :], f"{mid} -> {rest_ids}")

    msgs = mix.messages.list_session(id=s.id)
    check("messages.list_session → List[BackendMessage]", any(m.role == "user" for m in msgs), str(len(msgs)))
    ex = mix.sessions.export_session(id=s.id).result
    tool_calls = [t for m in ex.messages for t in (m.tool_calls or [])]
    check("export_session → ExportSession (tool calls as the SDK models them)", len(tool_calls) == 3 and all(isinstance(t.input, str) for t in tool_calls))
    upd = mix.sessions.update_session_callbacks(
        id=s.id, callbacks=[models.Callback(tool_name="*", type="send_message", message_content="review")]
    )
    check("update_session_callbacks → SessionData", len(upd.callbacks or []) == 1)
    mix.sessions.update_session_callbacks(id=s.id, callbacks=[])
    rew = mix.sessions.rewind_session(id=s.id, message_id=ex.messages[1].id)
    check("rewind_session → SessionData", rew.assistant_message_count == 1)
    cancelled = mix.sessions.cancel_processing(id=s.id)
    check("cancel_processing → {cancelled}", cancelled.cancelled is False)

    # Questions: a notification answered through the SDK.
    q = mix.sessions.create(title="contract question script:ask", browser_mode="local-browser-service")
    mix.messages.send(id=q.id, text="ask me")
    seen = stream_until(mix, q.id, lambda e: e.event == "notification")
    note = seen[-1]
    check("notification question event", note.data.notification_type == "question" and note.data.response_type == "text", str(note.data))
    mix.notifications.respond_to_notification(id=note.data.id, type_="text", value="the first")
    seen = stream_until(mix, q.id, lambda e: e.event == "complete", last_event_id=note.id)
    check("answered question lets the turn complete", seen[-1].event == "complete")

    # Permissions: the SDK's stream model parses the event; grant and deny answer once.
    for verb in ("grant", "deny"):
        p = mix.sessions.create(title="contract permission script:contract-permission", browser_mode="local-browser-service")
        mix.messages.send(id=p.id, text="may I")
        ev = stream_until(mix, p.id, lambda e: e.event == "permission")[-1]
        check(
            f"permission event ({verb}) → SSEPermissionEvent",
            isinstance(ev, models.SSEPermissionEvent) and ev.data.tool_name == "Bash" and ev.data.action == "rm -rf build/" and ev.data.session_id == p.id,
            str(ev.data),
        )
        if verb == "grant":
            res = mix.permissions.grant(id=ev.data.id)
            check("permissions.grant → GrantPermissionResponse", isinstance(res, models.GrantPermissionResponse) and res.granted is True)
        else:
            res = mix.permissions.deny(id=ev.data.id)
            check("permissions.deny → DenyPermissionResponse", isinstance(res, models.DenyPermissionResponse) and res.denied is True)
        try:
            mix.permissions.grant(id=ev.data.id)
            check(f"a second answer to a {verb}ed permission is refused", False)
        except errors.ErrorResponse as e:
            check(f"a second answer to a {verb}ed permission is refused (ErrorResponse not_found)", e.data.error.type == "not_found", str(e.data.error))
        seen = stream_until(mix, p.id, lambda e: e.event == "complete", last_event_id=ev.id)
        check(f"{verb}ed permission lets the turn complete", seen[-1].event == "complete")

    # A choice question: an option not offered is refused; an offered one answers, once.
    c = mix.sessions.create(title="contract choice script:contract-choice", browser_mode="local-browser-service")
    mix.messages.send(id=c.id, text="choose")
    note = stream_until(mix, c.id, lambda e: e.event == "notification")[-1]
    check(
        "choice question event (choices, timeout)",
        note.data.response_type == "choice" and note.data.choices == ["eu", "us"] and note.data.timeout == 30 and isinstance(note.data.created_at, int),
        str(note.data),
    )
    try:
        mix.notifications.respond_to_notification(id=note.data.id, type_="choice", value="apac")
        check("a choice not offered is refused", False)
    except errors.MixDefaultError as e:
        check("a choice not offered is refused (400)", e.status_code == 400, str(e))
    mix.notifications.respond_to_notification(id=note.data.id, type_="choice", value="eu")
    try:
        mix.notifications.respond_to_notification(id=note.data.id, type_="choice", value="us")
        check("a second response is refused", False)
    except errors.ErrorResponse as e:
        check("a second response is refused (ErrorResponse not_found)", e.data.error.type == "not_found")
    seen = stream_until(mix, c.id, lambda e: e.event == "complete", last_event_id=note.id)
    check("answered choice lets the turn complete", seen[-1].event == "complete")

    # An acknowledge question nobody answers expires at its timeout; a late answer is refused.
    a = mix.sessions.create(title="contract ack script:contract-ack", browser_mode="local-browser-service")
    mix.messages.send(id=a.id, text="tell me")
    note = stream_until(mix, a.id, lambda e: e.event == "notification")[-1]
    check("acknowledge question event", note.data.response_type == "acknowledge" and note.data.timeout == 1, str(note.data))
    seen = stream_until(mix, a.id, lambda e: e.event == "complete", last_event_id=note.id)
    check("an unanswered question expires and the turn goes on", seen[-1].event == "complete")
    try:
        mix.notifications.respond_to_notification(id=note.data.id, type_="acknowledge")
        check("a late answer is refused", False)
    except errors.ErrorResponse as e:
        check("a late answer is refused (ErrorResponse not_found)", e.data.error.type == "not_found", str(e.data.error))

    # Errors parse into the SDK's error types with its closed error-type enum.
    try:
        mix.sessions.get(id="sess_missing")
        check("get unknown → ErrorResponse", False)
    except errors.ErrorResponse as e:
        check("get unknown → ErrorResponse(not_found)", e.data.error.type == "not_found" and e.data.error.code == 404, str(e.data.error))
    try:
        mix.sessions.create(title="", browser_mode="local-browser-service")
        check("create without title → ErrorResponse", False)
    except errors.ErrorResponse as e:
        check("create without title → ErrorResponse(bad_request)", e.data.error.type == "bad_request", str(e.data.error))

    asyncio.run(main_async(Mix(server_url=URL, retry_config=None)))

    mix.sessions.delete(id=s.id)
    try:
        mix.sessions.get(id=s.id)
        check("deleted session is gone", False)
    except errors.ErrorResponse as e:
        check("delete → 204, then 404", e.data.error.type == "not_found")
    summary()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--requests":
        check_requests(sys.argv[2])
    else:
        main()
