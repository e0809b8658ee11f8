"""Batch renders: jobs from folders and CSVs of pitches checked in full before rendering, failed jobs tried
again, one MP4 per job in a plain loop and through a real local Ray instance."""
import os
import subprocess
import sys
from dataclasses import replace

import imageio_ffmpeg
import numpy as np
import pytest

from runtime.batch.farm import LoopPool, RayPool, render_batch, summary
from runtime.batch.jobs import Job, JobError, Rendered, read_jobs

from helpers import PROJECT

SHOP = PROJECT / "scenes" / "shop_studio.toml"
SMALL = Job("", "", "", 0.5, fps=12, size=(160, 96))
HEADER = "name,host,product,camera,seconds,text\n"


def frames_of(video):
    reader = imageio_ffmpeg.read_frames(str(video))
    w, h = next(reader)["size"]
    return np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])


def test_a_pitch_csv_gives_one_job_per_row_timed_to_its_line(tmp_path):
    (tmp_path / "p.csv").write_text(HEADER + "kettle,Mei,kettle,mei,,Only 39 dollars!\n"
                                    "tea,Jun,West Lake green tea gift box,,2.5,Tea for you.\n")
    kettle, tea = read_jobs([str(tmp_path / "p.csv")], tmp_path / "out", SMALL, SHOP)
    assert (kettle.name, kettle.product, kettle.camera, kettle.says) == ("kettle", "kettle", "mei", ("Mei: Only 39 dollars!",))
    assert 2.0 < kettle.seconds < 5.0                     # the line's length plus a second
    assert (tea.product, tea.seconds, tea.camera) == ("tea", 2.5, None)    # by name; seconds as given
    assert kettle.out == str((tmp_path / "out" / "kettle.mp4").resolve()) and kettle.size == (160, 96)


def test_every_problem_in_the_inputs_is_named_before_anything_renders(tmp_path):
    (tmp_path / "p.csv").write_text(HEADER + "ok,Mei,,,,Hello.\n"
                                    "bob,Bob,,,,Hi.\n"
                                    "lamp,Mei,lamp,,,A lamp.\n"
                                    "wide,Jun,,crane,,Up high.\n"
                                    "slow,Mei,,,-2,Slow.\n"
                                    "ok,Jun,,,,Again.\n"
                                    "bad name,Mei,,,,Hi.\n"
                                    "wave,Mei,,,,[wave_goodbye]Bye.\n"
                                    "quiet,Mei,,,,\n")
    with pytest.raises(JobError) as caught:
        read_jobs([str(tmp_path / "p.csv"), str(tmp_path / "nowhere")], tmp_path / "out", SMALL, SHOP)
    p = tmp_path / "p.csv"
    assert caught.value.problems == [
        f"{p}:3: no host 'Bob' in shop_studio.toml; hosts: Mei, Jun",
        f"{p}:4: no product 'lamp' in shop_studio.toml; products: kettle, phone, tea",
        f"{p}:5: no camera 'crane' in shop_studio.toml; cameras: medium, wide, mei, jun, two_shot, product",
        f"{p}:6: seconds must be a positive number, got '-2'",
        f"{p}:7: a second job named 'ok' would overwrite {(tmp_path / 'out' / 'ok.mp4').resolve()} "
        f"(the first comes from {SHOP})",
        f"{p}:8: name 'bad name' must be a file name (letters, digits, - _ .)",
        caught.value.problems[6],
        f"{p}:10: quiet has no text to say",
        f"{tmp_path / 'nowhere'}: no such file or folder",
    ]
    assert caught.value.problems[6].startswith(f"{p}:9: 'Mei: [wave_goodbye]Bye.': ")
    assert "wave_goodbye" in caught.value.problems[6]
    q = tmp_path / "q.csv"
    q.write_text("name,txt,colour\nx,y,red\n")
    with pytest.raises(JobError) as caught:
        read_jobs([str(q)], tmp_path, SMALL, SHOP)
    assert caught.value.problems == [
        f"{q}:1: unknown column 'txt'; did you mean 'text'?",
        f"{q}:1: unknown column 'colour'; expected one of name, text, host, scene, product, camera, seconds",
        f"{q}:1: missing column 'text' (name and text are needed)",
    ]
    (tmp_path / "r.csv").write_bytes("name,text\nkettle,Caf\u00e9 au lait\n".encode("latin-1"))
    with pytest.raises(JobError, match=r"r\.csv: not UTF-8 text \(invalid continuation byte at byte 20\)"):
        read_jobs([str(tmp_path / "r.csv")], tmp_path, SMALL, SHOP)


def test_a_folder_gives_a_job_per_scene_and_a_broken_scene_names_its_line(tmp_path):
    shows = tmp_path / "shows"
    shows.mkdir()
    (shows / "a.toml").write_text(SHOP.read_text())
    (shows / "b.toml").write_text(SHOP.read_text().replace("fov = ", "fov = -", 1))
    (shows / "notes.txt").write_text("not a scene")
    with pytest.raises(JobError, match=r"b\.toml:\d+:\d+: .*fov"):
        read_jobs([str(shows)], tmp_path / "out", SMALL, SHOP)
    (shows / "b.toml").unlink()
    (job,) = read_jobs([str(shows)], tmp_path / "out", replace(SMALL, camera="wide"), SHOP)
    assert (job.name, job.camera, job.seconds) == ("a", "wide", 0.5)


def flaky(fail_first: dict):
    """A render that fails the first `fail_first[name]` times it is asked for a job."""
    def render(job: Job) -> Rendered:
        if fail_first.get(job.name, 0) > 0:
            fail_first[job.name] -= 1
            raise RuntimeError(f"worker lost while rendering {job.name}")
        return Rendered(b"video of " + job.name.encode(), 3, 0.1, "here:1")
    return render


def test_failed_jobs_are_tried_again_and_a_hopeless_one_is_reported(tmp_path):
    jobs = [replace(SMALL, name=n, scene=str(SHOP), out=str(tmp_path / f"{n}.mp4")) for n in ("a", "b", "c")]
    outcomes, wall = render_batch(jobs, LoopPool(flaky({"a": 1, "c": 5})), retries=2, progress=False)
    a, b, c = outcomes
    assert (a.ok, a.attempts, b.ok, b.attempts) == (True, 2, True, 1)
    assert (c.ok, c.attempts, c.error) == (False, 3, "RuntimeError: worker lost while rendering c")
    assert (tmp_path / "a.mp4").read_bytes() == b"video of a" and not (tmp_path / "c.mp4").exists()
    table = summary(outcomes, wall, "this machine")
    assert "FAILED: RuntimeError: worker lost while rendering c" in table
    assert table.splitlines()[-1].startswith("2 of 3 jobs rendered in ")


def test_three_jobs_through_a_local_ray_give_three_videos(tmp_path):
    pytest.importorskip("ray")
    (tmp_path / "p.csv").write_text("name,host,product,seconds,text\n"
                                    "kettle,Mei,kettle,0.5,Hi.\nphone,Jun,phone,0.5,Hey.\ntea,Jun,,0.5,Tea.\n")
    jobs = read_jobs([str(tmp_path / "p.csv")], tmp_path / "out", SMALL, SHOP)
    pool = RayPool(None, cpus=2)
    assert pool.where == "a local Ray (2 CPUs)"
    outcomes, wall = render_batch(jobs, pool, retries=1, progress=False)
    assert [o.error for o in outcomes] == [None, None, None]
    workers = {o.worker for o in outcomes}
    assert all(w.split(":")[1] != str(os.getpid()) for w in workers)           # rendered in Ray's workers
    videos = {o.job.name: frames_of(o.job.out) for o in outcomes}
    assert {n: len(v) for n, v in videos.items()} == {"kettle": 6, "phone": 6, "tea": 6}
    # the price card's dark box at the lower left in the two jobs with a product, not in the third
    card = {n: float(v[-1, 81:92, 6:60].mean()) for n, v in videos.items()}
    assert card["kettle"] < card["tea"] - 40 and card["phone"] < card["tea"] - 40, card


def test_cohost_render_many_prints_a_summary_and_fails_on_bad_input(tmp_path):
    (tmp_path / "p.csv").write_text(HEADER + "hello,Mei,,,0.4,Hi.\n")
    run = lambda *a: subprocess.run([sys.executable, "-m", "runtime", "render", *a, "--size", "160x96",  # noqa: E731
                                     "--fps", "10", "--quiet"], cwd=tmp_path, capture_output=True, text=True,
                                    timeout=300)
    out = run("p.csv", str(SHOP), "--seconds", "0.3", "--out", "renders")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "renders").iterdir()) == ["hello.mp4", "shop_studio.mp4"]
    assert len(frames_of(tmp_path / "renders" / "shop_studio.mp4")) == 3
    assert "2 of 2 jobs rendered" in out.stdout and "renders/hello.mp4" in out.stdout
    (tmp_path / "p.csv").write_text(HEADER + "hello,Bob,,,0.4,Hi.\n")
    out = run("p.csv", "--out", "again")
    assert out.returncode == 2 and "p.csv:2: no host 'Bob'" in out.stderr and "nothing rendered" in out.stderr
    assert not (tmp_path / "again").exists()
