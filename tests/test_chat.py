"""Viewer events: moderation (sizes, JSON, types, rates, control characters, blocklist) and catalogue
answers in English and Mandarin, from the shop studio's real product facts."""
import json
import re
import subprocess
import sys

import numpy as np
import pytest

from runtime.sets.setfile import load_set
from runtime.show.moderation import MAX_TEXT, USERS_TRACKED, Event, Moderator, Rejected
from runtime.show.responder import Responder
from runtime.show.viewers import ViewerTable

from helpers import PROJECT

SHOP = load_set(PROJECT / "scenes" / "shop_studio.toml")
ASK = Responder(SHOP.products)


def chat(user="ana", text="hi", **more) -> str:
    return json.dumps({"user": user, "text": text, **more})


@pytest.mark.parametrize("raw, reason", [
    ("x" * (1 << 20), "too large: 1048576 bytes"),
    ('{"user": "ana", "text": "hi"', "invalid JSON"),
    ("[1, 2]", "invalid event: expected a JSON object"),
    (json.dumps({"event": "raid", "user": "ana"}), "unknown event type: 'raid'"),
    (json.dumps({"event": "gift", "user": "ana"}), "invalid event: gift needs text fields gift"),
    (json.dumps({"user": "ana", "text": 5}), "invalid event: chat needs text fields text"),
    (json.dumps({"user": "\u0007\u0008", "text": "hi"}), "invalid event: an empty user name"),
])
def test_bad_input_is_rejected_with_a_reason(raw, reason):
    verdict = Moderator().check(raw, 0.0)
    assert isinstance(verdict, Rejected) and verdict.reason.startswith(reason), verdict


def test_one_user_flooding_is_rate_limited_others_are_not():
    mod = Moderator()
    verdicts = [mod.check(chat("spam", f"buy {k}"), k / 200) for k in range(200)]       # 200 a second
    accepted = [v for v in verdicts if isinstance(v, Event)]
    assert len(accepted) == 5 and all("rate limited" in v.reason for v in verdicts if isinstance(v, Rejected))
    assert isinstance(mod.check(chat("ana", "hello"), 1.0), Event)
    assert isinstance(mod.check(chat("spam", "back again"), 12.0), Event)                 # the window passed
    assert mod.counts["accepted"] == 7 and mod.counts["rate limited"] == 195


def test_a_long_show_forgets_quiet_viewers_but_still_limits_the_loud_one():
    mod = Moderator()
    for k in range(USERS_TRACKED + 100):                     # a new viewer every 10 ms
        mod.check(chat(f"viewer{k}", "hi"), k / 100)
        if k == 4500:
            for n in range(4):
                mod.check(chat("loud", f"buy {n}"), k / 100)
    assert len(mod._viewers) == USERS_TRACKED and "viewer0" not in mod._viewers and "viewer200" in mod._viewers
    assert isinstance(mod.check(chat("loud", "again"), 51.5), Event)
    assert "rate limited" in mod.check(chat("loud", "and again"), 52.0).reason     # 6 in 7 s: remembered


def test_a_full_viewer_table_gives_the_row_of_the_viewer_seen_longest_ago():
    table = ViewerTable(3, columns=2)
    for k, user in enumerate(("ana", "bo", "chen")):
        table.times[table.add(user, k)] = k
    table.add("ana", 5.0)                                     # ana is back: bo is now the quietest
    row = table.add("dee", 6.0)
    assert "bo" not in table and all(u in table for u in ("ana", "chen", "dee"))
    assert len(table) == 3 and (table.times[row] == -np.inf).all()          # dee starts with no history
    assert (table.times[table.find("ana")] == 0).all()


def test_control_characters_length_and_blocklist():
    mod = Moderator(blocklist=("scam", "骗子"))
    event = mod.check(chat("ana\u202e", "hi\u0000 there\n\nfriends" + "!" * 1000), 0.0)
    assert event.user == "ana" and event.text.startswith("hi there friends") and len(event.text) == MAX_TEXT
    assert mod.check(chat("bob", "this is a SCAM"), 0.0) == Rejected("blocked word")
    assert mod.check(chat("bob", "你是骗子"), 1.0) == Rejected("blocked word")


@pytest.mark.parametrize("question, on_air, expected", [
    ("How much is the kettle?", None, "The Aroma electric kettle is only 39 USD."),
    ("水壶多少钱？", None, "香氛电水壶只要39美元。"),
    ("What colours does the phone come in?", "kettle", "midnight blue and white"),
    ("手机有什么颜色？", None, "午夜蓝、白色"),
    ("When does it ship?", "kettle", "free, 2-3 days"),
    ("Is the tea in stock?", None, "500"),
    ("茶叶还有货吗", None, "还有500件"),
    ("how big is the screen", "kettle", "6.5 inch OLED"),
    ("电池多大", None, "5000毫安时"),
    ("龙井礼盒从哪里来？产地", None, "西湖龙井礼盒的产地：杭州。"),
    ("What about the mobile?", None, "499 USD"),
])
def test_catalogue_answers(question, on_air, expected):
    answer = ASK.answer(question, on_air)
    assert answer is not None and expected in answer.text, answer


@pytest.mark.parametrize("question", ["水壶多少钱？", "茶叶还有货吗", "水壶怎么发货", "茶叶多重"])
def test_a_mandarin_answer_is_all_mandarin(question):
    """Product names, facts and the price in Mandarin (the set's `zh` tables): no English word in it."""
    answer = ASK.answer(question, None)
    assert answer is not None and not re.search(r"[A-Za-z]", answer.text), answer


def test_a_mandarin_fact_must_be_one_of_the_products_facts(tmp_path):
    from runtime.tomlfile import FileError
    text = (PROJECT / "scenes" / "shop_studio.toml").read_text().replace('origin = "杭州"', 'orign = "杭州"')
    (tmp_path / "shop.toml").write_text(text)
    with pytest.raises(FileError, match=r"shop\.toml:\d+:1: products\[2\]\.zh\.facts: unknown fact 'orign'; "
                                        r"did you mean 'origin'\?"):
        load_set(tmp_path / "shop.toml")


def test_chatter_is_not_answered_from_the_catalogue():
    assert ASK.answer("hello everyone", "kettle") is None
    assert ASK.answer("how much is it?", None) is None                    # nothing named, nothing on air


def test_greetings_and_thanks():
    assert ASK.respond(Event("follow", "ana")).text == "Welcome, ana!"
    assert ASK.respond(Event("follow", "小明")).text == "欢迎小明！"
    assert ASK.respond(Event("gift", "bo", gift="roses", count=3)).text == "Thank you for the 3 roses, bo!"
    thanks = ASK.respond(Event("purchase", "cy", product="kettle"))
    assert thanks.text == "Thank you for buying the Aroma electric kettle, cy!" and thanks.product == "kettle"


def test_cohost_ask():
    run = lambda *a: subprocess.run([sys.executable, "-m", "runtime", "ask", *a], cwd=PROJECT,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    out = run("How much is the phone?")
    assert out.returncode == 0 and out.stdout.strip() == "The Nova 12 smartphone is only 499 USD."
    out = run("hello there")
    assert out.returncode == 1 and "no answer" in out.stderr
    out = run("price?", "--product", "toaster")
    assert out.returncode != 0 and "no product 'toaster'" in out.stderr


def test_aliases_must_be_words(tmp_path):
    from runtime.tomlfile import FileError
    text = (PROJECT / "scenes" / "shop_studio.toml").read_text().replace('aliases = ["手机", "mobile"]',
                                                                        'aliases = ["手机", 3]')
    (tmp_path / "shop.toml").write_text(text)
    with pytest.raises(FileError, match=r"shop\.toml:\d+:1: products\[1\]\.aliases: aliases must be a list"):
        load_set(tmp_path / "shop.toml")
