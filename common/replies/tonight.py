"""Where to go tonight, for someone kicked out or with nowhere to sleep (the LGBTQ+ review: "my
parents kicked me out for being gay, I'm 17 and have nowhere to sleep tonight", then "where can
I sleep tonight?", got care's "There's no need to fix or decide anything right now"; "yes I'm
safe, I'm at the train station. where do I go tonight?" got study steps). A practical answer,
in care or not: the locale's lines for tonight (common.tonight_lines), its LGBTQ+ lines when a
sexuality or gender identity was named, and the emergency number; never "go back and
apologise"."""

from __future__ import annotations

from common.replies.prompt import resource_line
from common.replies.types import ReplyRequest
from common.safety import call_now
from common.tonight_lines import asks_where_tonight

_TONIGHT = (
    "You shouldn't have to sort out tonight on your own, and you don't have to go back anywhere "
    "you aren't safe. These can help you find somewhere safe to sleep: {lines}.{lgbtq} If you're "
    "in danger right now, {call}. While you call, stay somewhere public and well lit, or with a "
    "friend you trust."
)


def tonight_reply(req: ReplyRequest) -> str:
    """The answer to "where do I go tonight?" after being kicked out (asks_where_tonight), with
    the locale's lines for it (or its crisis lines in care); "" when it is not asked, or the
    locale has no line to name."""
    if not asks_where_tonight(req.message, (t.message for t in req.window)):
        return ""
    lines = resource_line(req.tonight_lines or req.care_resources)
    if not lines:
        return ""
    lgbtq = resource_line(req.lgbtq_lines)
    return _TONIGHT.format(
        lines=lines,
        lgbtq=f" For LGBTQ+ support too: {lgbtq}." if lgbtq else "",
        call=call_now(req.local_help),
    )
