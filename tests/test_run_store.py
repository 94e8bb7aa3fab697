"""The run store: runs kept per owner id on disk, whole or not at all, bounded, and never another's."""
import json

import pytest

from fashion.run_store import RunStore, StoredRun, is_owner_id, new_owner_id


def a_run(accuracy: float = 0.9) -> StoredRun:
    return StoredRun(number=0, config={"arch": "fast"}, accuracy=accuracy, per_class=[accuracy] * 10,
                     confusion=[[0] * 10] * 10, curves={"epoch": [0.5], "loss": [1.0]}, seconds=9.0, stopped=False,
                     device="cpu, 2 threads")


def test_runs_survive_a_new_store_and_belong_to_their_owner_only(tmp_path):
    me, you = new_owner_id(), new_owner_id()
    store = RunStore(tmp_path)
    first = store.save(me, a_run(0.91), b"model one")
    second = store.save(me, a_run(0.92), b"model two")
    store.save(you, a_run(0.5), b"yours")
    again = RunStore(tmp_path)                                  # a server restart
    mine = again.runs(me)
    assert [r.number for r in mine] == [1, 2] and [r.accuracy for r in mine] == [0.91, 0.92]
    assert mine[0] == first and mine[1] == second and mine[1].name == "Run 2 · fast · 92.0%"
    assert again.model_file(me, mine[1]) == b"model two"
    assert [r.accuracy for r in again.runs(you)] == [0.5]
    assert again.runs(new_owner_id()) == []


def test_ids_that_are_not_ours_name_no_one(tmp_path):
    assert is_owner_id(new_owner_id()) and new_owner_id() != new_owner_id()
    store = RunStore(tmp_path)
    for bad in ("../../etc", "a" * 10, "", None, "x/" + "a" * 30, "." * 30):
        assert not is_owner_id(bad)
        with pytest.raises(ValueError):
            store.runs(bad)


def test_a_half_written_or_damaged_run_is_not_shown(tmp_path):
    me = new_owner_id()
    store = RunStore(tmp_path)
    kept = store.save(me, a_run(), b"model")
    (tmp_path / me / "99999999999999999999-abcdef.safetensors").write_bytes(b"a model whose record never came")
    (tmp_path / me / "99999999999999999998-abcdef.json").write_text(json.dumps({"number": 7}))
    (tmp_path / me / "99999999999999999998-abcdef.safetensors").write_bytes(b"model")
    assert store.runs(me) == [kept]


def test_the_oldest_go_first_past_the_count_and_the_bytes(tmp_path):
    me, you = new_owner_id(), new_owner_id()
    counted = RunStore(tmp_path / "counted", max_runs_per_owner=3)
    for i in range(5):
        counted.save(me, a_run(i / 10), b"m")
    assert [r.number for r in counted.runs(me)] == [3, 4, 5]      # numbers are never reused

    store = RunStore(tmp_path / "sized")
    oldest, _, _ = store.save(me, a_run(), b"x" * 1000), store.save(you, a_run(), b"x" * 1000), \
        store.save(me, a_run(), b"x" * 1000)
    total = sum(p.stat().st_size for p in (tmp_path / "sized").glob("*/*"))
    store.max_bytes = total - 1                  # one more run, smaller than the oldest, must push it out
    store.save(you, a_run(), b"x" * 10)
    assert [r.number for r in store.runs(me)] == [2] and [r.number for r in store.runs(you)] == [1, 2]
    assert oldest not in store.runs(me)
    assert sum(p.stat().st_size for p in (tmp_path / "sized").glob("*/*")) <= store.max_bytes


def test_a_disk_that_refuses_keeps_the_run_in_memory(tmp_path):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    me = new_owner_id()
    store = RunStore(blocked)
    run = store.save(me, a_run(), b"model")
    assert store.runs(me) == [run] and store.model_file(me, run) == b"model" and run.number == 1
    assert store.save(me, a_run(), b"two").number == 2
