"""Finished training runs kept on disk, so that a page reload or a server restart loses none of them.

Each person is an owner id (the app keeps it in the page's URL); their runs live in a folder of that
name, each run as two files: the model (`<run>.safetensors`, the very file the Train tab offers to
download, its card in the header) and what the Train tab draws of it (`<run>.json`: settings, curves,
scores). The model is written first and the record last, both atomically, so a run is either whole or
not there. The store is bounded in runs per owner and in bytes in all; the oldest runs go first.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fashion.files import atomic_write
from fashion.spec import arch_name

log = logging.getLogger(__name__)

ENV_VAR = "FASHION_RUN_STORE"
DEFAULT_ROOT = Path.home() / ".cache" / "fashion-mnist-live" / "runs"
MAX_RUNS_PER_OWNER = 20         # more than a workshop's worth; the history table stays readable
MAX_BYTES = 500 * 2**20         # all owners together: 2,000 runs of the fast network, 120 of the largest
# An owner id is made by new_owner_id; anything else (a path, a dot, a short guess) names no one.
OWNER_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")
SUFFIXES = (".json", ".safetensors")   # a run's record, then its model: the order they are removed in


@dataclass
class StoredRun:
    """What the Train tab shows of a finished run; its model file sits beside it."""
    number: int                     # 1, 2, ... per owner, never reused: "Run 3" stays Run 3
    config: dict                    # the TrainConfig, as a dict
    accuracy: float                 # on the test set, at the end
    per_class: list[float]
    confusion: list[list[int]]
    curves: dict                    # "epoch", "loss", "lr", "eval_epoch", "test_accuracy", "nudges"
    seconds: float
    stopped: bool
    device: str                     # where it trained, in words
    # Each evaluation, the last at the end of the run: {"step", "epoch", "accuracy", "per_class", "confusion"}.
    evals: list[dict] = field(default_factory=list)
    id: str = ""                    # the file stem, set by the store: time-ordered
    parent: int | None = None       # continued training: the number of the run it went on from
    start_epoch: float = 0.0        # where its curves begin: the epochs its parents had trained

    @property
    def name(self) -> str:
        lineage = f" · from Run {self.parent}" if self.parent is not None else ""
        return f"Run {self.number} · {self.architecture} · {self.accuracy:.1%}{lineage}"

    @property
    def end_epoch(self) -> float:
        """Where its curves end on the epoch axis, its parents' epochs included."""
        return self.start_epoch + (self.curves["epoch"][-1] if self.curves["epoch"] else 0.0)

    @property
    def architecture(self) -> str:
        """Its architecture's name: a named one, or a custom design's short name."""
        return arch_name(self.config["arch"], self.config.get("spec"))


def new_owner_id() -> str:
    return secrets.token_urlsafe(16)     # 22 characters, 128 random bits: not guessable


def is_owner_id(text: object) -> bool:
    return isinstance(text, str) and OWNER_ID.fullmatch(text) is not None


class RunStore:
    def __init__(self, root: Path | None = None, max_runs_per_owner: int = MAX_RUNS_PER_OWNER,
                 max_bytes: int = MAX_BYTES):
        self.root = Path(root or os.environ.get(ENV_VAR) or DEFAULT_ROOT)
        self.max_runs_per_owner, self.max_bytes = max_runs_per_owner, max_bytes
        self._lock = threading.Lock()       # one writer at a time in this process: numbers stay unique
        # Runs the disk refused (full, read-only): kept here until the process ends rather than lost.
        self._in_memory: dict[str, list[tuple[StoredRun, bytes]]] = {}
        self._records: dict[Path, StoredRun] = {}

    def folder(self, owner: str) -> Path:
        if not is_owner_id(owner):
            raise ValueError("That is not an owner id made by this store.")
        return self.root / owner

    def save(self, owner: str, run: StoredRun, model_file: bytes) -> StoredRun:
        """Keep a run for `owner`, numbered after their last; returns it with its number and id."""
        folder = self.folder(owner)
        with self._lock:
            run.number = max((r.number for r in self.runs(owner)), default=0) + 1
            run.id = f"{time.time_ns():020d}-{secrets.token_hex(3)}"
            try:
                atomic_write(folder / f"{run.id}.safetensors", model_file)
                atomic_write(folder / f"{run.id}.json", json.dumps(asdict(run)).encode())
                self._prune(owner)
            except OSError:
                log.warning("The run store %s refused a run; it is kept in memory only", self.root, exc_info=True)
                self._in_memory.setdefault(owner, []).append((run, model_file))
        return run

    def runs(self, owner: str) -> list[StoredRun]:
        """The owner's whole runs, oldest first; a record that cannot be read is skipped."""
        folder = self.folder(owner)
        runs = []
        for record in folder.glob("*.json") if folder.is_dir() else []:
            run = self._read(record)
            if run is not None and record.with_suffix(".safetensors").is_file():
                runs.append(run)
        return sorted(runs + [run for run, _ in self._in_memory.get(owner, [])], key=lambda r: r.id)

    def _read(self, record: Path) -> StoredRun | None:
        """A record, parsed once per process: records never change once written (a page asks for them on
        every rerun)."""
        if record not in self._records:
            try:
                self._records[record] = StoredRun(**json.loads(record.read_text()))
            except (OSError, ValueError, TypeError):
                return None
        return self._records[record]

    def model_file(self, owner: str, run: StoredRun) -> bytes:
        for kept, model_file in self._in_memory.get(owner, []):
            if kept.id == run.id:
                return model_file
        return (self.folder(owner) / f"{run.id}.safetensors").read_bytes()

    def _prune(self, owner: str) -> None:
        """Drop the owner's oldest runs beyond the count, then everyone's oldest beyond the bytes."""
        for run in self.runs(owner)[:-self.max_runs_per_owner]:
            self._remove(self.folder(owner), run.id)
        files = [p for suffix in SUFFIXES for p in self.root.glob(f"*/*{suffix}")]
        total = sum(size(p) for p in files)
        for run in sorted({p.with_suffix("") for p in files}, key=lambda p: p.name):   # names start with the time
            if total <= self.max_bytes:
                break
            total -= sum(size(run.with_suffix(suffix)) for suffix in SUFFIXES)
            self._remove(run.parent, run.name)

    def _remove(self, folder: Path, run_id: str) -> None:
        """The record first: a run whose record is gone is not shown, even if its model is still there."""
        for suffix in SUFFIXES:
            (folder / f"{run_id}{suffix}").unlink(missing_ok=True)
        self._records.pop(folder / f"{run_id}.json", None)


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
