"""Command line: python -m fashion {train, lr-find, join, evaluate, classify, evaluate-photos, fit-unfamiliar,
bench, download} --help."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch
from tqdm import tqdm

from fashion.bench import format_bench, run_bench
from fashion.calibrate import fit_unfamiliar
from fashion.classes import CLASS_NAMES, DEFAULT_WEIGHTS
from fashion.config import CUSTOM, LR_SWEEP_STEPS, TrainConfig, settings
from fashion.data import DataError, download, load_fashion_mnist
from fashion.devices import ENV_VAR, choose, describe
from fashion.evaluate import report_from_probs
from fashion.events import DoneEvent, EvalEvent, StepEvent, SweepDone
from fashion.infer import Classifier
from fashion.lr_finder import find_lr
from fashion.metrics import metrics_report
from fashion.model import MAX_MEMBERS, Ensemble, configure_cpu
from fashion.photo_eval import evaluate_photos
from fashion.spec import arch_name, read_spec_file
from fashion.train import train
from fashion.trained import join, scored_card
from fashion.unfamiliar import KNOWN_FLAG_RATE, save_stats, sidecar_path
from fashion.weights import WeightsError, load_model, save_model


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """One option per TrainConfig setting, its help, choices and default read from fashion.config."""
    for setting in settings():
        flag = "--" + setting.name.replace("_", "-")
        text = setting.help.replace("%", "%%")     # argparse formats help strings with %
        if isinstance(setting.default, bool):
            default = flag if setting.default else "--no-" + flag[2:]
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=setting.default,
                                help=f"{text} (default: {default})")
        else:
            parser.add_argument(flag, type=type(setting.default), choices=setting.choices, default=setting.default,
                                help=f"{text} (default: {setting.default})")


def set_threads(threads: int | None) -> None:
    configure_cpu(threads or os.cpu_count() or 1)


def train_with_progress(config, data, device, desc: str = "training") -> DoneEvent:
    """Run the training loop with a progress bar on the terminal; returns its DoneEvent."""
    test_acc = float("nan")
    with tqdm(desc=f"{desc} on {device}", unit="step", dynamic_ncols=True) as bar:
        for event in train(config, data, INTERRUPTED, device):
            if isinstance(event, StepEvent):
                bar.total = event.total_steps
                bar.update(1)
                bar.set_postfix(epoch=event.epoch, loss=f"{event.loss:.3f}", train=f"{event.train_accuracy:.3f}",
                                test=f"{test_acc:.4f}", img_s=f"{event.images_per_s:.0f}", refresh=False)
            elif isinstance(event, EvalEvent):
                test_acc = event.report.accuracy
            elif isinstance(event, DoneEvent):
                done = event
    raise_if_interrupted()
    return done


def config_of(args) -> TrainConfig:
    """The TrainConfig the options give, checked against its bounds."""
    values = {s.name: getattr(args, s.name) for s in settings()}
    if args.spec is not None:            # a design file means the custom architecture, whatever --arch says
        values.update(arch=CUSTOM, spec=read_spec_file(args.spec))
    return TrainConfig(**values).validate()


def cmd_train(args) -> int:
    config = config_of(args)
    data = load_fashion_mnist().to(args.device)
    # Member i is the model `--seed` + i alone would give, so each can be checked on its own.
    runs = [train_with_progress(replace(config, seed=config.seed + i), data, args.device,
                                f"member {i + 1}/{args.members}" if args.members > 1 else "training")
            for i in range(args.members)]
    model = runs[0].model if args.members == 1 else Ensemble([run.model for run in runs])
    card = scored_card(model, config, data, args.mirror, sum(r.elapsed_s for r in runs), sum(r.step for r in runs),
                       runs[0].device)
    save_and_say(model, card, args.out)
    return 0


def cmd_lr_find(args) -> int:
    """Sweep the learning rate for these settings; print the curve's points and the suggested rate."""
    config = config_of(args)
    with tqdm(desc=f"lr sweep on {args.device}", unit="step", total=args.steps, disable=args.json) as bar:
        for event in find_lr(config, load_fashion_mnist(), INTERRUPTED, args.device, args.steps):
            if isinstance(event, StepEvent):
                bar.update(1)
                bar.set_postfix(lr=f"{event.lr:.2g}", loss=f"{event.loss:.3f}", refresh=False)
            elif isinstance(event, SweepDone):
                done = event
    raise_if_interrupted()
    if args.json:
        print(json.dumps({"lrs": done.lrs, "losses": done.losses, "suggested": done.suggested,
                          "optimizer": config.optimizer, "arch": arch_name(config.arch, config.spec)}))
        return 0
    for lr, loss in list(zip(done.lrs, done.losses, strict=True))[::max(1, len(done.lrs) // 20)]:
        print(f"  lr {lr:9.2g}  loss {loss:.3f}")
    if done.suggested is None:
        print("The loss never fell: try a smaller batch, or more --steps.")
    else:
        print(f"suggested learning rate {done.suggested:.3g} (a tenth of where the loss was lowest); "
              f"train with --lr {done.suggested:.3g}")
    return 0


def cmd_join(args) -> int:
    """Join models saved by `train` with one recipe into one ensemble, as `train --members` saves it."""
    model, card = join([load_model(path) for path in args.models], load_fashion_mnist())
    save_and_say(model, card, args.out)
    return 0


def save_and_say(model, card, out: Path) -> None:
    save_model(model, out, card)
    members = f", an ensemble of {card.members}" if card.members > 1 else ""
    print(f"test accuracy {card.test_accuracy:.4f} ({'with' if card.mirror else 'without'} mirror averaging"
          f"{members}) after {card.steps} steps in {card.training_time_s:.0f} s; saved to {out}")


def cmd_evaluate(args) -> int:
    classifier = Classifier.load(args.model, args.device)
    data = load_fashion_mnist()
    start = time.perf_counter()
    probs = classifier.probs(data.test_images)
    seconds = time.perf_counter() - start
    report = report_from_probs(probs, data.test_labels)
    metrics = metrics_report(probs, data.test_labels)
    batch_1000_s = median_seconds(lambda: classifier.probs(data.test_images[:1000]))
    result = {
        "model": str(args.model), "arch": classifier.card.arch, "members": classifier.card.members,
        "spec": asdict(classifier.card.spec) if classifier.card.spec else None,
        "params": classifier.card.params,
        "accuracy": report.accuracy, "per_class": report.per_class, "confusion": report.confusion,
        "precision": metrics.precision, "recall": metrics.recall, "f1": metrics.f1, "ece": metrics.ece,
        "mirror": classifier.mirror, "images": len(data.test_labels), "seconds": round(seconds, 3),
        "batch_1000_s": round(batch_1000_s, 4), "threads": torch.get_num_threads(),
        "device": describe(args.device),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{args.model}: {arch_name(classifier.card.arch, classifier.card.spec)}, {result['params']:,} parameters, "
          f"mirror averaging {classifier.mirror}")
    print(f"test accuracy {report.accuracy:.4f} on {len(data.test_labels)} images in {seconds:.2f} s; "
          f"a batch of 1,000 takes {batch_1000_s:.3f} s (median of 5)")
    print(f"macro precision {metrics.macro_precision:.4f}, recall {metrics.macro_recall:.4f}, "
          f"F1 {metrics.macro_f1:.4f}; expected calibration error {metrics.ece:.4f}")
    # A class's accuracy is its recall: the share of its images the model gets right.
    print(f"  {'class':12s} {'accuracy':>8s} {'precision':>9s} {'F1':>6s}")
    for name, acc, precision, f1 in zip(CLASS_NAMES, report.per_class, metrics.precision, metrics.f1, strict=True):
        print(f"  {name:12s} {acc:8.4f} {precision:9.4f} {f1:6.4f}")
    return 0


def median_seconds(work, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[repeats // 2]


def classify_one(classifier: Classifier, file: str) -> dict:
    answer = classifier.classify_file(file)
    p = answer.prediction
    if p is None:
        return {"file": file, "error": answer.message}
    return {"file": file, "index": p.index, "label": p.label, "confidence": round(p.confidence, 4),
            "top": [[label, round(prob, 4)] for label, prob in p.top],
            "unfamiliar": p.unfamiliar, "unfamiliar_score": round(p.unfamiliar_score, 4),
            "advice": answer.advice.to_json() if answer.advice else None}


def cmd_classify(args) -> int:
    classifier = Classifier.load(args.model, args.device)
    failed = False
    for file in args.files:
        result = classify_one(classifier, file)
        failed |= "error" in result
        if args.json:
            print(json.dumps(result), flush=True)
        elif "error" in result:
            print(f"{file}: {result['error']}", flush=True)
        else:
            flag = "  (does not look like any of the ten classes)" if result["unfamiliar"] else ""
            print(f"{file}: {result['label']} ({result['confidence']:.1%}){flag}", flush=True)
    return 2 if failed else 0


def cmd_evaluate_photos(args) -> int:
    classifier = Classifier.load(args.model, args.device)
    with tqdm(desc="photos", unit="photo", disable=args.json) as bar:
        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(1)
        result = evaluate_photos(classifier, args.folder, progress=advance)
    if args.json:
        print(json.dumps(result))
        return 0
    auroc = f"{result['auroc']:.3f}" if result["auroc"] is not None else "n/a (no not_fashion_mnist folder)"
    print(f"{result['photos']} photos: top-1 accuracy {result['accuracy']:.1%}, unfamiliar AUROC {auroc}, "
          f"{result['seconds_per_photo'] * 1000:.0f} ms a photo (median)")
    for name, acc in result["per_class"].items():
        print(f"  {name:12s} {acc:.1%}")
    for name, group in [("all", result["overall"]), *result["kinds"].items()]:
        if group["in_class"]:
            advice = ", ".join(f"{kind} {n}" for kind, n in group["advice"].items()) or "none"
            print(f"{name:8s} {group['in_class']:4d} in class: right {group['accuracy']:.1%}, "
                  f"misled {group['misled']:.1%}, false alarms {group['false_alarms'] or 0:.1%}; advice: {advice}")
    if result["flagged_known"] is not None:
        print(f"flagged as unfamiliar: {result['flagged_known']:.0%} of garments of the ten classes", end="")
        print(f", {result['flagged_unfamiliar']:.0%} of unfamiliar items" if result["flagged_unfamiliar"] is not None
              else "")
    for error in result["errors"]:
        print(f"  could not read {error['file']}: {error['error']}")
    return 0


def cmd_fit_unfamiliar(args) -> int:
    """Fit the unfamiliar score's statistics on the training set; choose its threshold on real photos."""
    stats, photos = fit_unfamiliar(Classifier.load(args.model, args.device), load_fashion_mnist(), args.photos)
    out = sidecar_path(args.model)
    save_stats(stats, out)
    print(f"threshold {stats.threshold:.1f} (flags {KNOWN_FLAG_RATE:.0%} of {photos} garment photos); saved to {out}")
    return 0


def cmd_bench(args) -> int:
    with tqdm(desc="bench", bar_format="{desc}: {elapsed} {postfix}", disable=args.json) as bar:
        result = run_bench(progress=lambda text: bar.set_postfix_str(text), device=args.device,
                           interrupted=INTERRUPTED)
    raise_if_interrupted()
    print(json.dumps(result) if args.json else format_bench(result))
    return 0


def cmd_download(args) -> int:
    print(f"Fashion-MNIST is in {download()}")
    return 0


def members_count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_MEMBERS:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to {MAX_MEMBERS}")
    return int(text)


def sweep_steps(text: str) -> int:
    if not text.isdigit() or not 10 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError("give a whole number from 10 to 1000")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fashion", description=__doc__)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    parser.add_argument("--device", default=None, help="where to train and classify: auto, cuda, cuda:N, mps or cpu "
                        f"(default: ${ENV_VAR}, else auto: a CUDA GPU, then an Apple GPU, then the CPU)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model and save it as .safetensors")
    add_config_options(p)
    p.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=True,
                   help="average each prediction with its mirror image when the model is used")
    p.add_argument("--members", type=members_count, default=1,
                   help="train this many models (seeds --seed, --seed + 1, ...) and save them as one ensemble "
                        "that averages their predictions (default: 1)")
    p.add_argument("--spec", type=Path, default=None, metavar="FILE",
                   help="a custom design as JSON, e.g. {\"channels\": [32, 64], \"head\": \"gap\"} (fields and "
                        "bounds: fashion/spec.py; the rest as the defaults); implies --arch custom")
    p.add_argument("--out", type=Path, default=Path("runs/model.safetensors"), help="where to save the model")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("lr-find", help="sweep the learning rate for these settings and suggest one")
    add_config_options(p)
    p.add_argument("--spec", type=Path, default=None, metavar="FILE", help="a custom design as JSON, as for train")
    p.add_argument("--steps", type=sweep_steps, default=LR_SWEEP_STEPS, metavar="N",
                   help=f"batches in the sweep, 10 to 1000 (default: {LR_SWEEP_STEPS})")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_lr_find)

    p = sub.add_parser("join", help="join models trained apart into one ensemble, as train --members would")
    p.add_argument("models", nargs="+", type=Path, metavar="MODEL", help=".safetensors files saved by train")
    p.add_argument("--out", type=Path, required=True, help="where to save the ensemble")
    p.set_defaults(run=cmd_join)

    p = sub.add_parser("evaluate", help="test accuracy, precision, recall, F1 and calibration of a saved model")
    p.add_argument("--model", type=Path, default=DEFAULT_WEIGHTS, help="a .safetensors model (default: shipped)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("classify", help="classify image files (photos, drawings, 28x28 images)")
    p.add_argument("--model", type=Path, default=DEFAULT_WEIGHTS, help="a .safetensors model (default: shipped)")
    p.add_argument("--json", action="store_true", help="print one JSON object per file, one per line")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(run=cmd_classify)

    p = sub.add_parser("evaluate-photos", help="accuracy on a folder-per-class tree of real photos")
    p.add_argument("folder", type=Path, help="folders named tshirt_top, trouser, ... and not_fashion_mnist")
    p.add_argument("--model", type=Path, default=DEFAULT_WEIGHTS, help="a .safetensors model (default: shipped)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_evaluate_photos)

    p = sub.add_parser("fit-unfamiliar", help="fit the unfamiliar-item score for a model, next to its file")
    p.add_argument("photos", type=Path, help="a folder-per-class photo tree to choose the warning threshold on")
    p.add_argument("--model", type=Path, default=DEFAULT_WEIGHTS, help="a .safetensors model (default: shipped)")
    p.set_defaults(run=cmd_fit_unfamiliar)

    p = sub.add_parser("bench", help="time the default live recipe to 90%% against a tutorial CNN")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_bench)

    p = sub.add_parser("download", help="download Fashion-MNIST with torchvision (needs internet)")
    p.set_defaults(run=cmd_download)
    return parser


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM. A subclass, because CPython remembers a plain KeyboardInterrupt that passes through
    C code running Python source (as PyTorch does) and then ends the process by SIGINT even after we caught it
    (exit -2 instead of 130, about 1 run in 15 under load)."""


# Set by the signal too: a raise that lands where Python swallows it (a __del__, a callback) still stops
# a training run or sweep at its next batch, and the command ends as interrupted, saving nothing.
INTERRUPTED = threading.Event()


def interrupt(signum, frame) -> None:
    INTERRUPTED.set()
    raise Interrupted            # ends a command cleanly: its progress bar closed, a sentence, exit code 130


def raise_if_interrupted() -> None:
    if INTERRUPTED.is_set():
        raise Interrupted


def main(argv: list[str] | None = None) -> int:
    INTERRUPTED.clear()
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    args = build_parser().parse_args(argv)
    set_threads(args.threads)
    try:
        args.device = choose(args.device)
        return args.run(args)
    except (DataError, WeightsError, ValueError) as e:       # DeviceError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
