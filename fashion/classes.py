"""Constants every module shares: the ten classes, their folder names, normalisation, paths."""
from pathlib import Path

# Official Fashion-MNIST names, in label order (index 0-9).
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
# Folder names for photo trees such as ../shared/photos, in the same order.
CLASS_SLUGS = (
    "tshirt_top", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle_boot",
)
CLASS_LIST = ", ".join(CLASS_NAMES[:-1]) + " and " + CLASS_NAMES[-1]   # for sentences: "..., Bag and Ankle boot"
UNFAMILIAR_SLUG = "not_fashion_mnist"
NUM_CLASSES = len(CLASS_NAMES)
IMAGE_SIZE = 28

# Mean and standard deviation of the training pixels scaled to [0, 1].
# Models normalise their own input with these, so callers pass plain [0, 1] images.
PIXEL_MEAN = 0.2860
PIXEL_STD = 0.3530

PROJECT_DIR = Path(__file__).resolve().parent.parent
WEIGHTS_DIR = PROJECT_DIR / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "fashion_cnn.safetensors"
# The Train tab's live strip (fashion/live.py): the first test image of each class, in class order, then two
# the shipped model gets wrong (a Shirt it takes for a T-shirt/top, a Pullover it takes for a Shirt): easy
# ones turn right early, these late or never.
LIVE_TEST_IMAGES = (19, 2, 1, 13, 6, 8, 4, 9, 18, 0, 1650, 361)

