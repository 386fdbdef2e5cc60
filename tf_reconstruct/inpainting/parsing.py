"""Face-parsing maps of 11 regions from two real models: dlib's 68 landmarks and a person segmentation.

    Parser.load(checkpoint_root)(image RGB uint8 [H, W, 3], name) -> labels int32 [H, W] (REGIONS indices)
    one_hot(labels) -> float32 [H, W, len(REGIONS)]

Regions, painted in this order (a later one wins where they overlap):
  background  not the person and not the face
  neck_body   the person below the face, and any person pixel not claimed otherwise
  hair        the person above the chin line, outside the face
  skin        the face: the hull of the 68 points with the forehead (brows raised by a quarter of the
              brow-to-chin height)
  nose        hull of points 27-35
  left_brow, right_brow   polylines 17-21 and 22-26, a 20th of the face width thick
  left_eye, right_eye     polygons 36-41 and 42-47 (image-left first)
  lips        polygon 48-59
  mouth       polygon 60-67 (the inner lips: teeth or a dark gap when open)
The face box comes from MTCNN (the subject nearest the centre) and is handed to dlib's predictor, so
the landmarks are dlib's (the model was trained on iBUG 300-W, whose terms exclude commercial use).
"""

import cv2
import numpy as np

from tf_reconstruct.align import photo_align
from tf_reconstruct.checkpoints.fetch import require_raw
from tf_reconstruct.inpainting.person_segmentation import Segmenter

REGIONS = ("background", "neck_body", "hair", "skin", "nose", "left_brow", "right_brow", "left_eye", "right_eye",
           "lips", "mouth")
INDEX = {name: index for index, name in enumerate(REGIONS)}
PERSON_THRESHOLD = 0.5


def landmarks68(predictor, image, box):
    """dlib's 68 points [68, 2] inside an MTCNN box [x, y, w, h]."""
    import dlib
    x, y, width, height = (int(round(value)) for value in box)
    shape = predictor(image, dlib.rectangle(x, y, x + width, y + height))
    return np.array([[shape.part(i).x, shape.part(i).y] for i in range(68)], np.float64)


def paint(points, person, shape):
    """The label map of an image of `shape` (H, W) from the 68 points and P(person) [H, W] (pure geometry)."""
    height, width = shape
    labels = np.zeros((height, width), np.int32)
    person = person >= PERSON_THRESHOLD
    chin = points[8, 1]
    brow_y = points[17:27, 1].min()
    forehead = points[17:27].copy()
    forehead[:, 1] -= 0.25 * (chin - brow_y)
    face = np.zeros((height, width), np.uint8)
    cv2.fillConvexPoly(face, cv2.convexHull(np.round(np.vstack([points[:27], forehead])).astype(np.int32)), 1)
    face = face.astype(bool)
    rows = np.arange(height)[:, None]
    labels[person] = INDEX["neck_body"]
    labels[person & ~face & (rows < chin)] = INDEX["hair"]
    labels[face] = INDEX["skin"]

    def polygon(indices, region, hull=False):
        vertices = np.round(points[list(indices)]).astype(np.int32)
        mask = np.zeros((height, width), np.uint8)
        cv2.fillPoly(mask, [cv2.convexHull(vertices) if hull else vertices], 1)
        labels[mask > 0] = INDEX[region]

    polygon(range(27, 36), "nose", hull=True)
    thickness = max(1, int(round((points[16, 0] - points[0, 0]) / 20)))
    for indices, region in ((range(17, 22), "left_brow"), (range(22, 27), "right_brow")):
        mask = np.zeros((height, width), np.uint8)
        cv2.polylines(mask, [np.round(points[list(indices)]).astype(np.int32)], False, 1, thickness)
        labels[mask > 0] = INDEX[region]
    polygon(range(36, 42), "left_eye")
    polygon(range(42, 48), "right_eye")
    polygon(range(48, 60), "lips")
    polygon(range(60, 68), "mouth")
    return labels


def one_hot(labels):
    """[H, W] labels -> [H, W, len(REGIONS)] float32 region maps."""
    return np.eye(len(REGIONS), dtype=np.float32)[labels]


class Parser:
    def __init__(self, predictor, segmenter):
        self.predictor, self.segmenter = predictor, segmenter

    @classmethod
    def load(cls, checkpoint_root=None):
        import dlib
        predictor = dlib.shape_predictor(str(require_raw("dlib_landmarks68_dat", checkpoint_root)))
        return cls(predictor, Segmenter.load(checkpoint_root))

    def __call__(self, image, name="image", box=None):
        """Labels [H, W] of an RGB image; raises NoFaceFoundError naming `name` when MTCNN finds no face."""
        image = photo_align.as_rgb_uint8(image, name)
        if box is None:
            box = photo_align.detect_subject(image, name)["box"]
        return paint(landmarks68(self.predictor, image, box), self.segmenter(image), image.shape[:2])
