"""A short scripted conversation through the local gateway, printed as a person would read it."""

from __future__ import annotations

import sys
import textwrap
import urllib.error
import uuid

import httpx

from scripts.auth_emulator import sign_up

GATEWAY = "http://127.0.0.1:8080"
MESSAGES = (
    "I have a Python take-home for a job at Stripe due tomorrow and my tests keep failing!!",
    "I tried rerunning them and clearing the cache but that didn't work",
    "ok it passes now. honestly I'm nervous about the interview on Friday",
)


def main() -> int:
    try:
        converse()
    except (urllib.error.URLError, httpx.TransportError) as e:  # refused, or timed out
        reason = getattr(e, "reason", None) or e
        print(
            f"cannot reach the local stack: {reason} (is the stack up? `make up`)", file=sys.stderr
        )
        return 1
    return 0


def converse() -> None:
    user = sign_up()
    print(f"signed in as {user.email} (uid {user.uid})\n")
    session_id = None
    with httpx.Client(base_url=GATEWAY, headers=user.headers, timeout=30) as http:
        for n, message in enumerate(MESSAGES, 1):
            r = http.post(
                "/v2/chat/turns",
                json={
                    "session_id": session_id,
                    "client_turn_id": uuid.uuid4().hex,
                    "message": message,
                },
            )
            r.raise_for_status()
            turn = r.json()
            session_id = turn["session_id"]
            a = turn["analysis"]
            alts = ", ".join(f"{x['name']} {x['score']:.2f}" for x in turn["alternatives"])
            print(f"turn {n} — you: {message}")
            print(
                f"  read as: tone {a['tone']['label']}, pace {a['pace']['label']}, "
                f"intent {a['intent']['label']}; entities "
                f"{', '.join(e['text'] for e in a['entities']) or '-'}"
            )
            print(
                f"  persona: {turn['persona']['name']} ({turn['persona']['score']:.2f}) — "
                f"{'; '.join(turn['persona']['reasons'][:2])}"
            )
            print(f"  alternatives: {alts}")
            print(
                textwrap.fill(
                    turn["reply"], 100, initial_indent="  reply: ", subsequent_indent="         "
                )
            )
            print()
        session = http.get(f"/v2/sessions/{session_id}").json()
    print(
        f"session {session_id}: {session['turn_count']} turns, "
        f"current persona {session['current_persona']}, expires {session['expires_at']}"
    )


if __name__ == "__main__":
    sys.exit(main())
