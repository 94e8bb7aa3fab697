"""Advice for photos a Fashion-MNIST model cannot judge well, and what to do about them.

The dataset shows one item, whole, upright, on its own, seen from the side (shoes) or the front. When the
photo path (fashion/photo.py) finds a photo unlike that, the answer gets one piece of advice: what is
off and how to take a photo the model can judge. Advice and the unfamiliar-item warning are one decision
(`needs_advice`): each finding counts when the model is unsure as well, at a confidence chosen on
../shared/photos so that few right answers carry advice (weights/README.md, "On real photos").
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

ADVICE_TEXT = {
    "pair": "This looks like a pair of shoes. The model knows single shoes seen from the side: photograph "
            "one shoe, side-on, for a surer answer (the app judged one of the two).",
    "worn": "This is worn by a person: the app judged the part below the face. For a surer answer, lay the "
            "garment flat or hang it up, and photograph it on its own.",
    "several": "There seem to be several items in this photo: the app judged the largest. Photograph one "
               "item at a time.",
    "cut_off": "The item runs off the edge of the photo. Step back so the whole item is in view, with some "
               "background around it.",
    "low_contrast": "The item is hard to tell from its background. Photograph it on a plain background of "
                    "another colour (a light item on a dark one, or the other way round).",
}
# The order findings are told in, when a photo has several: the first that applies is the advice.
ORDER = ("pair", "several", "worn", "cut_off", "low_contrast")
# A finding becomes advice when the model's confidence is below this (1.0: always). Top-view pairs of
# shoes are almost never right, so a pair is always told; the others only when the model is unsure too.
ADVISE_BELOW = {"pair": 1.0, "several": 1.0, "worn": 0.5, "cut_off": 0.4, "low_contrast": 0.4}

# Show before the upload: two lines on photographing for this model.
PHOTO_TIPS = ("📸 One item on a plain background of another colour, whole, filling most of the frame.",
              "👟 Shoes: one shoe, seen from the side. 👕 Clothes: laid flat or hung, not worn.")


@dataclass
class Findings:
    """What the photo path saw that the dataset's pictures never show."""
    pair: bool = False          # two mirror-image halves side by side: a pair of shoes (one was kept)
    worn: bool = False          # a face above the item: a person wearing it (cut off above the garment)
    several: bool = False       # other separate items beside the one kept
    cut_off: bool = False       # the item runs off two or more sides of the frame
    low_contrast: bool = False  # the item's colour is close to its background's


@dataclass(frozen=True)
class Advice:
    kind: str                   # one of ADVICE_TEXT's keys
    text: str

    def to_json(self) -> dict:
        return asdict(self)


def needs_advice(findings: Findings, confidence: float) -> Advice | None:
    """The first finding, in ORDER, that holds while the model is less sure than ADVISE_BELOW asks."""
    for kind in ORDER:
        if getattr(findings, kind) and confidence < ADVISE_BELOW[kind]:
            return Advice(kind, ADVICE_TEXT[kind])
    return None
