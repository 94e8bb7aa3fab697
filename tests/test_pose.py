"""The photo path's pose steps and advice on made-up pictures: a pair of shoes, a worn garment, a gap
between trouser legs; and, on real photos, the face finder."""
import csv
import json

import cv2
import numpy as np

from conftest import run_cli
from fashion import pose
from fashion.advice import ADVICE_TEXT, Findings, needs_advice
from fashion.photo import HOLE_SHARE, prepare_photo, segment

H, W = 400, 300
FLOOR = (196, 160, 120)          # a wooden floor's colour


def paint(outlines: list[np.ndarray], colour=(40, 40, 50), background=FLOOR) -> tuple[np.ndarray, np.ndarray]:
    """Filled polygons of one colour (with cloth's noise) on a plain background: the photo and the truth."""
    truth = cv2.fillPoly(np.zeros((H, W), np.uint8), outlines, 1).astype(bool)
    noise = np.random.default_rng(0).normal(0, 4, (H, W, 3))
    item = np.clip(np.asarray(colour, float) + noise, 0, 255)
    return np.where(truth[..., None], item, np.asarray(background, float)).astype(np.uint8), truth


def shoe_from_above(centre_x: float, mirror: bool = False) -> np.ndarray:
    """A shoe's sole seen from above, toe up: wide at the ball of the foot, narrow at the arch."""
    points = [(0, -150), (30, -120), (40, -60), (30, 20), (30, 90), (20, 140), (0, 150), (-20, 140), (-32, 90),
              (-38, 20), (-45, -60), (-35, -120)]
    sign = -1 if mirror else 1
    return np.array([(round(centre_x + sign * x), round(H / 2 + y)) for x, y in points], np.int32)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return (a & b).sum() / max((a | b).sum(), 1)


def test_a_pair_of_shoes_becomes_one_and_gets_the_pair_advice():
    left, right = shoe_from_above(W / 2 - 40, mirror=True), shoe_from_above(W / 2 + 40)
    photo, _ = paint([left, right])
    one_truth = cv2.fillPoly(np.zeros((H, W), np.uint8), [right], 1).astype(bool)
    other_truth = cv2.fillPoly(np.zeros((H, W), np.uint8), [left], 1).astype(bool)
    prepared = prepare_photo(photo)
    assert prepared.findings.pair
    assert max(iou(prepared.mask, one_truth), iou(prepared.mask, other_truth)) > 0.8   # one shoe, whole
    assert needs_advice(prepared.findings, confidence=0.99).kind == "pair"


def test_one_shoe_or_a_t_shirt_is_not_a_pair():
    from test_photo import tshirt_outline

    for outlines in ([shoe_from_above(W / 2)], [tshirt_outline()]):
        photo, truth = paint(outlines)
        assert pose.one_of_pair(truth) is None
        assert not prepare_photo(photo).findings.pair


def trousers(hem_gap: int) -> np.ndarray:
    """Trousers laid flat: a waistband and two legs; with hem_gap < 0 the hems overlap, closing the gap."""
    cx, top, crotch, hem = W / 2, 40, 150, 360
    points = [(cx - 70, top), (cx + 70, top), (cx + 80, hem), (cx + max(hem_gap, -40) / 2, hem), (cx, crotch),
              (cx - max(hem_gap, -40) / 2, hem), (cx - 80, hem)]
    return np.array([(round(x), round(y)) for x, y in points], np.int32)


def test_background_enclosed_between_two_legs_is_dropped():
    photo, truth = paint([trousers(60)], colour=(40, 60, 130))
    # The legs' hems touch: a band of cloth across the bottom closes the gap between them.
    cv2.rectangle(photo, (W // 2 - 80, 345), (W // 2 + 80, 360), (40, 60, 130), -1)
    gap = cv2.fillPoly(np.zeros((H, W), np.uint8), [np.array([(W // 2 - 22, 330), (W // 2, 170),
                                                              (W // 2 + 22, 330)], np.int32)], 1).astype(bool)
    mask = segment(photo).mask
    assert gap.sum() > HOLE_SHARE * mask.sum()          # large enough to be background, not a print
    assert mask[gap].mean() < 0.1                       # the floor between the legs is not cloth
    assert mask[truth & ~gap].mean() > 0.9              # and the legs are still there


def person_in_t_shirt() -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """A mask of a head above a T-shirt, the T-shirt's own mask, and the face's box."""
    from test_photo import tshirt_outline

    garment = cv2.fillPoly(np.zeros((H, W), np.uint8), [tshirt_outline()], 1).astype(bool)
    head = cv2.circle(np.zeros((H, W), np.uint8), (W // 2, 35), 28, 1, -1).astype(bool)
    neck = np.zeros((H, W), bool)
    neck[55:85, W // 2 - 12:W // 2 + 12] = True
    return garment | head | neck, garment, (W // 2 - 24, 12, 48, 48)


def test_a_face_above_a_garment_crops_to_the_garment():
    person, garment, face = person_in_t_shirt()
    kept = pose.below_face(person, face)
    assert kept is not None and not kept[:60].any()          # the head is gone
    assert kept[garment].mean() > 0.85 and iou(kept, garment) > 0.85


def test_a_face_below_the_middle_of_the_item_is_not_a_wearer():
    person, _, (x, y, w, h) = person_in_t_shirt()
    assert pose.below_face(person, (x, 300, w, h)) is None   # a face printed on the shirt's front
    assert pose.below_face(person, None) is None


def test_faces_are_found_on_worn_photos_and_rarely_elsewhere(photos):
    from fashion.images import decode_image, to_gray

    with (photos / "manifest.csv").open(newline="") as f:
        kinds = {row["file"]: row["kind"] for row in csv.DictReader(f)}
    found = {"worn": [], "phone": []}
    for file, kind in kinds.items():
        if kind in found and (kind == "worn" or len(found["phone"]) < 60):
            found[kind].append(pose.find_face(to_gray(decode_image(photos / file))) is not None)
    assert np.mean(found["worn"]) > 0.7 and np.mean(found["phone"]) < 0.1


def test_sessions_look_for_faces_at_once_and_each_gets_its_own_answer(photos):
    """Streamlit runs each session's rerun in its own thread: the face finder is asked from several at once."""
    from concurrent.futures import ThreadPoolExecutor

    from fashion.images import decode_image, to_gray

    with (photos / "manifest.csv").open(newline="") as f:
        files = [row["file"] for row in csv.DictReader(f) if row["kind"] == "worn"][:8]
    grays = [to_gray(decode_image(photos / file)) for file in files]
    alone = [pose.find_face(gray) for gray in grays]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda i: pose.find_face(grays[i % 8]), range(32)))
    assert together == [alone[i % 8] for i in range(32)]
    assert sum(face is not None for face in alone) >= 4


def test_advice_follows_the_findings_in_order_and_only_while_the_model_is_unsure():
    assert needs_advice(Findings(), confidence=0.1) is None
    both = Findings(worn=True, low_contrast=True)
    assert needs_advice(both, confidence=0.3).kind == "worn"
    assert needs_advice(both, confidence=0.99) is None                      # sure, and right more often than not
    assert needs_advice(Findings(pair=True, worn=True), confidence=0.99).kind == "pair"
    advice = needs_advice(Findings(cut_off=True), confidence=0.1)
    assert advice.to_json() == {"kind": "cut_off", "text": ADVICE_TEXT["cut_off"]}


def test_classify_json_gives_advice_for_a_pair_and_none_for_one_item(tmp_path):
    from test_photo import tshirt_outline

    files = []
    for name, outlines in (("pair.png", [shoe_from_above(W / 2 - 40, mirror=True), shoe_from_above(W / 2 + 40)]),
                           ("tshirt.png", [tshirt_outline()])):
        cv2.imwrite(str(tmp_path / name), paint(outlines)[0][..., ::-1])
        files.append(str(tmp_path / name))
    result = run_cli("classify", "--json", *files)
    pair, tshirt = [json.loads(line) for line in result.stdout.splitlines()]
    assert pair["advice"] == {"kind": "pair", "text": ADVICE_TEXT["pair"]}
    assert tshirt["advice"] is None
