"""Drives the Switchboard sandbox's Mycel with the published SDK (mycel-sdk 0.1.83).

The SDK's facade calls its FastAPI-generated client: every path, body and query it sends must be
one the sandbox serves, and every answer must carry what the SDK itself reads (ids, tokens, `seq`
on messages for its history paging). Errors surface as its `ApiError`. Prints one JSON line per
check; exits non-zero on the first failure.

Usage: MYCEL_BASE_URL=http://127.0.0.1:PORT/mycel MYCEL_OWNER_TOKEN=… MYCEL_VISITOR_TOKEN=… python mycel_contract.py
       python mycel_contract.py --requests FILE   (bodies Switchboard sent, [{"op", "body"}]: each must
       parse with the generated model's from_dict, with no key the model lacks and its required keys)
"""
import json
import os
import sys
import threading
import time
import uuid

from contract_checks import check, summary

from mycel_sdk import ApiError, Client

import attrs
from mycel_web_backend_client import AuthenticatedClient, models
from mycel_web_backend_client.api.runtime import wait_runtime_inbox_api_runtime_inbox_wait_post as inbox_wait

URL = os.environ.get("MYCEL_BASE_URL", "")
BODIES = {
    "createChat": models.CreateChatBody,
    "sendMessage": models.SendMessageBody,
    "requestJoin": models.ChatJoinRequestBody,
    "requestRelationship": models.RelationshipRequestBody,
    "mute": models.MuteChatBody,
    "createExternalUser": models.CreateExternalUserRequest,
    "markRead": models.MarkReadBody,
    "approveJoin": models.ChatJoinRequestActionBody,
    "rejectJoin": models.ChatJoinRequestActionBody,
    "approveRelationship": models.RelationshipActionBody,
}


def check_requests(path):
    with open(path) as f:
        sent = json.load(f)
    for item in sent:
        model = BODIES[item["op"]]
        body = item["body"]
        names = {a.name for a in attrs.fields(model) if a.name != "additional_properties"}
        required = {a.name for a in attrs.fields(model) if a.name != "additional_properties" and a.default is attrs.NOTHING}
        model.from_dict(body)
        unknown = [k for k in body if k not in names]
        missing = [k for k in required if k not in body]
        check(f"request {item['op']} fits {model.__name__}", not unknown and not missing, f"unknown={unknown} missing={missing}")
    summary()




def agent_token_for(owner, user_id):
    """A fresh external identity of the owner (its token), to act as one more user."""
    return owner.users.create_external(f"{user_id}-{uuid.uuid4().hex[:6]}", user_id)["token"]


def wait(token, timeout_seconds):
    """The long poll through the SDK's generated client (the facade does not wire it)."""
    raw = AuthenticatedClient(base_url=URL, token=token, raise_on_unexpected_status=True, timeout=timeout_seconds + 10)
    started = time.monotonic()
    answer = inbox_wait.sync(client=raw, timeout_seconds=timeout_seconds)
    return answer.to_dict(), time.monotonic() - started


def check_inbox(owner, asker, chat_id):
    """wait: held until a notification is there, answers with it and takes nothing; drain acknowledges."""
    token = os.environ["MYCEL_OWNER_TOKEN"]
    owner.notifications.drain()
    empty, held = wait(token, 1.0)
    check("inbox wait with nothing new holds for timeout_seconds, then answers empty", empty.get("notifications") == [] and held >= 0.9, f"{empty} after {held:.2f}s")
    result = {}

    def waiter():
        result["answer"], result["held"] = wait(token, 10.0)

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.3)
    req = asker.chats.request_join(chat_id, message="wake the owner")
    thread.join(15)
    got = result.get("answer", {}).get("notifications", [])
    check(
        "inbox wait returns early on a notification, with its seq",
        result.get("held", 99) < 5 and any(n.get("request_id") == req["id"] and isinstance(n.get("seq"), int) for n in got),
        f"{result}",
    )
    again, held = wait(token, 5.0)
    check("inbox wait takes nothing: asked again, the same notification comes at once", [n.get("seq") for n in again.get("notifications", [])] == [n.get("seq") for n in got] and held < 2, f"{again}")
    drained = owner.notifications.drain()
    check("notifications.drain acknowledges what wait showed", [n.get("seq") for n in drained.get("notifications", [])] == [n.get("seq") for n in got], str(drained))
    after, _ = wait(token, 0.5)
    check("after drain, wait has nothing", after.get("notifications") == [], str(after))


def check_stream(owner):
    """The WebSocket stream as the facade reads it, resumed from since_seq."""
    frames = []
    deadline = time.monotonic() + 5
    try:
        for frame in owner.notifications.stream(since_seq=0, timeout=0.5, should_stop=lambda: len(frames) >= 2 or time.monotonic() > deadline):
            frames.append(frame)
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        check("notifications.stream (WebSocket, resume since_seq)", False, repr(e))
        return
    seqs = [f.get("seq") for f in frames]
    check("notifications.stream (WebSocket, resume since_seq)", len(frames) >= 2 and seqs == sorted(seqs) and all(f.get("type") == "notify" for f in frames), str(seqs))
    resumed = []
    for frame in owner.notifications.stream(since_seq=seqs[0], timeout=0.5, should_stop=lambda: len(resumed) >= 1 or time.monotonic() > deadline + 5):
        resumed.append(frame)
    check("notifications.stream resumes after since_seq", [f.get("seq") for f in resumed][:1] == seqs[1:2], str([f.get("seq") for f in resumed]))


def main():
    owner = Client(auth_token=os.environ["MYCEL_OWNER_TOKEN"], base_url=URL)
    visitor = Client(auth_token=os.environ["MYCEL_VISITOR_TOKEN"], base_url=URL)
    me = owner.me.whoami()
    check("whoami (GET /api/auth/me)", bool(me and me.get("id")), str(me))
    you = visitor.me.whoami()
    ext_id = f"contract-agent-{uuid.uuid4().hex[:8]}"
    ext = owner.users.create_external(ext_id, "Contract agent")
    check("create_external_user (POST /api/auth/external-users) returns a token", bool(ext and ext.get("token")), ext_id)
    agent = Client(auth_token=ext["token"], base_url=URL)
    check("the external user's token works", (agent.me.whoami() or {}).get("id") == ext_id)

    rel = visitor.relationships.request(me["id"], message="hello")
    check("relationships.request", bool(rel and rel.get("id")))
    approved = owner.relationships.approve(rel["id"])
    check("relationships.approve → visit", (approved or {}).get("state") == "visit", str(approved))

    direct = owner.chats.ensure_direct(you["id"])
    again = owner.chats.ensure_direct(you["id"])
    check("chats.ensure_direct finds or creates one direct chat", direct["id"] == again["id"])
    group = owner.chats.create([ext_id], title="Contract group", kind="group")
    check("chats.create kind=group", bool(group and group.get("id")))
    target = visitor.chats.join_target(group["id"])
    check("chats.join_target", bool(target))
    req = visitor.chats.request_join(group["id"], message="let me in")
    check("chats.request_join", bool(req and req.get("id")))
    pending = owner.chats.list_join_requests(group["id"])
    check("chats.list_join_requests", any(r.get("id") == req["id"] for r in pending or []))
    ok = owner.chats.approve_join(group["id"], req["id"])
    check("chats.approve_join", bool(ok))

    for i in range(5):
        agent.messages.send(group["id"], f"message {i}", enforce_caught_up=False)
    history = visitor.messages.list_all(group["id"], page_size=2)
    check("messages.list_all pages history by seq", [m["content"] for m in history] == [f"message {i}" for i in range(5)], str([m.get("seq") for m in history]))
    unread = visitor.messages.unread(group["id"])
    check("messages.unread", len(unread or []) == 5)
    read = visitor.messages.read(group["id"])
    check("messages.read (atomic read + mark)", len(read or []) == 5 and visitor.messages.unread(group["id"]) == [])
    sent = visitor.messages.send(group["id"], "caught up now")
    check("messages.send with enforce_caught_up", (sent or {}).get("content") == "caught up now")
    agent.messages.send(group["id"], "one more", enforce_caught_up=False)
    try:
        visitor.messages.send(group["id"], "stale")
        check("a stale send → ApiError 409", False)
    except ApiError as e:
        check("a stale send → ApiError 409", e.status_code == 409, e.detail)
    drained = owner.notifications.drain()
    check("notifications.drain", isinstance(drained, dict) and "notifications" in drained)

    # reject_join: the owner turns a second visitor's request down.
    second = Client(auth_token=agent_token_for(owner, "contract-late"), base_url=URL)
    late = second.chats.request_join(group["id"], message="me too")
    rejected = owner.chats.reject_join(group["id"], late["id"])
    check("chats.reject_join → rejected", (rejected or {}).get("state") == "rejected", str(rejected))
    check_inbox(owner, second, group["id"])
    check_stream(owner)
    try:
        owner.chats.get("chat_missing")
        check("unknown chat → ApiError 404", False)
    except ApiError as e:
        check("unknown chat → ApiError 404", e.status_code == 404, e.detail)
    summary()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--requests":
        check_requests(sys.argv[2])
    else:
        main()
