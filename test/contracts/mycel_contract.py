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
import uuid

from contract_checks import check, summary

from mycel_sdk import ApiError, Client

import attrs
from mycel_web_backend_client import models

URL = os.environ.get("MYCEL_BASE_URL", "")
BODIES = {
    "createChat": models.CreateChatBody,
    "sendMessage": models.SendMessageBody,
    "requestJoin": models.ChatJoinRequestBody,
    "requestRelationship": models.RelationshipRequestBody,
    "mute": models.MuteChatBody,
    "createExternalUser": models.CreateExternalUserRequest,
    "markRead": models.MarkReadBody,
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
