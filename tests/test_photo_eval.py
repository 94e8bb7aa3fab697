"""evaluate-photos' figures from made-up outcomes: right, misled, false alarms, advice, per kind."""
from fashion.classes import CLASS_NAMES
from fashion.photo_eval import Outcome, photo_kinds, report, summary


def outcome(label, predicted, warned=False, advice=None, kind="phone", score=0.0) -> Outcome:
    return Outcome(label, kind, predicted, warned, advice, score, seconds=0.05)


def test_misled_and_false_alarms_count_warnings_and_advice_alike():
    outcomes = [
        outcome(1, 1), outcome(1, 1, warned=True), outcome(1, 1, advice="cut_off"), outcome(1, 1),   # 4 right
        outcome(7, 1), outcome(7, 8, advice="pair"), outcome(7, 3, warned=True),                       # 3 wrong
        outcome(None, 8, warned=True, score=5.0),
    ]
    group = summary(outcomes)
    assert group["in_class"] == 7 and group["right"] == 4
    assert group["misled"] == 1 / 7                 # only the unwarned, unadvised wrong answer
    assert group["false_alarms"] == 2 / 4           # right answers with a warning or advice
    assert group["advice"] == {"cut_off": 1, "pair": 1}
    assert group["auroc"] == 1.0                    # the unfamiliar item scores above every garment


def test_the_report_splits_by_class_and_kind(tmp_path):
    outcomes = [outcome(0, 0, kind="phone"), outcome(0, 6, kind="worn"), outcome(8, 8, kind="product")]
    result = report(outcomes, photos=3, errors=[])
    assert set(result["kinds"]) == {"phone", "worn", "product"}
    assert result["kinds"]["worn"]["accuracy"] == 0.0 and result["kinds"]["phone"]["accuracy"] == 1.0
    assert result["classes"][CLASS_NAMES[0]]["right"] == 1
    assert list(result["kind_classes"]["product"]) == [CLASS_NAMES[8]]
    assert result["overall"]["misled"] == 1 / 3


def test_kinds_come_from_the_manifest(tmp_path):
    (tmp_path / "manifest.csv").write_text("file,label,kind\ncoat/a.jpg,coat,phone\nbag/b.jpg,bag,product\n")
    assert photo_kinds(tmp_path) == {"coat/a.jpg": "phone", "bag/b.jpg": "product"}
    assert photo_kinds(tmp_path / "nowhere") == {}
