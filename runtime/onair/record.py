"""The record of a show on air: one SQLite file per show (WAL mode) with every viewer event and its verdict,
every line spoken (host, text, language, tick, wall time, segment) and every operator request.

Each row is committed before the reply that depends on it is sent, so a show killed at any moment keeps
every event it answered. A show restarted on its record after a crash (its last start has no clean stop)
goes on from the segment it was in; the viewers it had greeted are known again after any restart.
`cohost log SHOW.db` reads it.
"""
from __future__ import annotations

import csv
import json
import os
import sqlite3
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..show.script import Show

KINDS = ("viewer", "line", "operator", "segment", "stream", "show")
SCHEMA = """CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY, wall REAL NOT NULL, tick INTEGER, kind TEXT NOT NULL, host TEXT, user TEXT,
    text TEXT, language TEXT, segment TEXT, verdict TEXT, detail TEXT)"""
COLUMNS = ("id", "wall", "tick", "kind", "host", "user", "text", "language", "segment", "verdict", "detail")
TEXT_KEPT = 2000              # characters of a message kept (a refused 1 MB message is not stored whole)


@dataclass
class Resume:
    """Where a restarted show goes on: the segment it was in, and the viewers it had greeted."""
    segment: str | None
    greeted: list[str]


class ShowRecord:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")       # durable when the process dies; fast
            self.db.execute(SCHEMA)
        except sqlite3.Error as e:
            raise ValueError(f"{self.path}: cannot keep the show's record there: {e}") from None
        self.segment: str | None = None

    def _add(self, kind: str, tick: int | None, **fields) -> None:
        columns = ["wall", "tick", "kind", *fields]
        self.db.execute(f"INSERT INTO log ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                        (time.time(), tick, kind, *fields.values()))

    def viewer(self, raw: str | bytes, reply: dict) -> None:
        """A viewer event and what it got (accepted: the answer; refused: the reason)."""
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            event = json.loads(text)
        except ValueError:
            event = {}
        event = event if isinstance(event, dict) else {}
        said = event.get("text") or " ".join(f"{k}={v}" for k, v in event.items() if k != "user") or text
        self._add("viewer", reply.get("now"), user=str(event.get("user", ""))[:200] or None,
                  text=str(said)[:TEXT_KEPT], host=reply.get("host"), segment=self.segment,
                  verdict="accepted" if reply.get("accepted") else "refused",
                  detail=reply.get("answer") or reply.get("reason"))

    def operator(self, request: dict, reply: dict) -> None:
        self._add("operator", reply.get("tick"), host=request.get("host"), text=json.dumps(request)[:TEXT_KEPT],
                  segment=self.segment, verdict="ok" if reply.get("ok") else "error", detail=reply.get("error"))

    def hear(self, event: dict) -> None:
        """A director's event: lines spoken, segments begun, the stream's drops and returns."""
        kind = event["event"]
        if kind == "line":
            self._add("line", event["tick"], host=event["host"], text=event["text"],
                      language=event["_line"].utterance.voice.language, segment=event.get("segment"))
        elif kind == "segment":
            self.segment = event["name"]
            self._add("segment", event["tick"], segment=event["name"])
        elif kind in ("stream_drop", "stream_reconnect"):
            self._add("stream", None, verdict=kind, detail=json.dumps({k: v for k, v in event.items()
                                                                       if k != "event"}))

    def resume(self) -> Resume:
        """What the record says of the show before this start: its segment only if it did not stop cleanly."""
        last = self.db.execute("SELECT verdict FROM log WHERE kind = 'show' ORDER BY id DESC LIMIT 1").fetchone()
        row = self.db.execute("SELECT segment FROM log WHERE kind = 'segment' ORDER BY id DESC LIMIT 1").fetchone()
        if last is None or last[0] == "stopped":
            row = None
        users = [u for (u,) in self.db.execute("SELECT DISTINCT user FROM log WHERE kind = 'viewer' AND "     # answered
                                               "verdict = 'accepted' AND host IS NOT NULL AND user IS NOT NULL")]
        return Resume(row[0] if row else None, users)

    def resume_show(self, show: Show | None) -> tuple[Show | None, list[str]]:
        """The show as it goes on from this record (its segments from the one it was in), and the viewers
        it had greeted; said in one line when there is anything to go on from."""
        resume = self.resume()
        names = [s.name for s in show.segments] if show else []
        if resume.segment in names:
            i = names.index(resume.segment)
            show = replace(show, segments=show.segments[i:] + (show.segments[:i] if show.loop else ()))
        went_on = f"; it had not stopped cleanly: going on from segment {resume.segment!r}" if resume.segment else ""
        print(f"record {self.path} ({len(resume.greeted)} viewers known{went_on})", file=sys.stderr, flush=True)
        self._add("show", None, verdict="started")
        return show, resume.greeted

    def close(self) -> None:
        """A clean stop: the next start begins the show from the top."""
        self._add("show", None, verdict="stopped")
        self.db.close()


def record_path(scene: str | Path) -> Path:
    """Where a show's record is kept unless told: one file per show under the user's data dir."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    folder = base / "cohost" / "records"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{Path(scene).stem}.db"


def read_log(path: str | Path, since: float | None = None, kinds: list[str] | None = None) -> list[tuple]:
    """Rows of a show's record, oldest first: from `since` (a Unix time) and of `kinds`, when given."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such show record")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        where, args = [], []
        if since is not None:
            where.append("wall >= ?")
            args.append(since)
        if kinds:
            unknown = [k for k in kinds if k not in KINDS]
            if unknown:
                raise ValueError(f"unknown kind {unknown[0]!r}; kinds: {', '.join(KINDS)}")
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            args += kinds
        query = f"SELECT {', '.join(COLUMNS)} FROM log" + (f" WHERE {' AND '.join(where)}" if where else "")
        return db.execute(query + " ORDER BY id", args).fetchall()
    except sqlite3.DatabaseError as e:
        raise ValueError(f"{path}: not a show record ({e})") from None
    finally:
        db.close()


def print_log(rows: list[tuple], out=sys.stdout, as_csv: bool = False) -> None:
    if as_csv:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        return
    for row in rows:
        r = dict(zip(COLUMNS, row))
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["wall"]))
        who = r["user"] or r["host"] or ""
        what = r["text"] or r["segment"] or ""
        verdict = f" [{r['verdict']}]" if r["verdict"] else ""
        detail = f" -> {r['detail']}" if r["detail"] else ""
        print(f"{when}  tick {r['tick'] if r['tick'] is not None else '-':>7}  {r['kind']:<8} {who:<10} {what}"
              f"{verdict}{detail}", file=out)
