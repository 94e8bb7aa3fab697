"""Does classifying stay quick while another session trains? The app's set-up.

Run `.venv/bin/python scripts/responsiveness.py` from the project folder. Like the app, it caps torch at
FASHION_TORCH_THREADS threads (default: all cores but one) and trains through the process-wide job
queue in a worker process, with the threads the app gives one job. It times classifying one real photo
end to end (decode, find the item, classify) with the machine idle, then while a training job runs, and
prints both medians and their ratio.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fashion.cli import median_seconds  # noqa: E402
from fashion.config import TrainConfig  # noqa: E402
from fashion.infer import Classifier  # noqa: E402
from fashion.jobs import RUNNING, JobQueue, in_worker_processes, share_cores, threads_per_job  # noqa: E402

PHOTO = next((ROOT.parent / "shared" / "photos" / "trouser").glob("*.jpg"))
REPEATS = 15


def time_classify(classifier: Classifier, data: bytes) -> float:
    """Median seconds to classify the photo, over REPEATS tries."""
    return median_seconds(lambda: classifier.classify_file(data), REPEATS)


def main() -> None:
    threads = share_cores()
    classifier, data = Classifier.load(), PHOTO.read_bytes()
    time_classify(classifier, data)                    # warm-up: first calls pay for lazy set-up
    idle = time_classify(classifier, data)

    job = JobQueue(in_worker_processes(threads_per_job(1))).submit(TrainConfig(epochs=20))
    while job.snapshot().state != RUNNING or job.snapshot().latest is None:
        time.sleep(0.1)
    busy = time_classify(classifier, data)
    latest = job.snapshot().latest
    job.stop()
    while not job.finished:        # let the worker end before the interpreter does
        time.sleep(0.1)
    print(f"torch threads: {threads}; photo: {PHOTO.name}")
    print(f"classify one photo, idle:            {idle * 1000:.0f} ms (median of {REPEATS})")
    print(f"classify one photo, while training:  {busy * 1000:.0f} ms (median of {REPEATS}); "
          f"{busy / idle:.2f}x idle; training ran at {latest.images_per_s:,.0f} images/s")


if __name__ == "__main__":
    main()
