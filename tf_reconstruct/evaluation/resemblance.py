"""Does a reconstruction look like the person? Gender and age of each face against its source photo.

The judges are the registry's SSR-Net classifiers (attributes/classifiers.py); they never enter an attack.
Each image is described once and cached in the run's attribute_scores.json (kept with the run), keyed
'photo/<image id>' or '<method>/<identity>'. The reference row compares every identity's source photo
with another photo of the same person: how often the classifiers agree with themselves on real photos,
the ceiling a reconstruction can be held to.

    describe_cached(run_dir, images_by_key) -> {key: {'gender', 'age'} or None when no face is found}
    write_table(run_dir, dataset, usable, faces_by_method) -> rows of resemblance.md / .csv
    per_identity_columns(source, reconstruction) -> the columns per_identity.csv gains
"""

import json

from tqdm import tqdm

from tf_reconstruct.align.photo_align import NoFaceFoundError
from tf_reconstruct.evaluation import report_files
from tf_reconstruct.metrics import resemblance

CACHE_NAME = "attribute_scores.json"
ATTRIBUTES = ("gender", "age")
_CLASSIFIERS = []


def _classifiers():
    if not _CLASSIFIERS:   # loaded once per process, only when an image needs describing
        from tf_reconstruct.attributes import classifiers
        _CLASSIFIERS.extend(classifiers.load(name) for name in ATTRIBUTES)
    return _CLASSIFIERS


def describe_cached(run_dir, images_by_key, save_every=25):
    """{key: attributes or None} for {key: () -> RGB image}; reads an image only when its key is not cached."""
    from tf_reconstruct.attributes import classifiers
    path = run_dir / CACHE_NAME
    cache = json.loads(path.read_text()) if path.is_file() else {}
    missing = [key for key in images_by_key if key not in cache]
    for count, key in enumerate(tqdm(missing, desc="describing faces", unit="face", disable=not missing), 1):
        try:
            values = classifiers.describe(images_by_key[key](), _classifiers(), key)
            cache[key] = {name: round(value, 4) for name, value in values.items()}
        except NoFaceFoundError:
            cache[key] = None
        if count % save_every == 0 or count == len(missing):
            report_files.write_text(path, json.dumps(cache, indent=0, sort_keys=True))
    return {key: cache[key] for key in images_by_key}


def per_identity_columns(source, reconstruction):
    """per_identity.csv's resemblance columns for one identity (empty where a face was not described)."""
    both = source is not None and reconstruction is not None
    return {"gender_source": source["gender"] if source else "",
            "gender_reconstruction": reconstruction["gender"] if reconstruction else "",
            "gender_agrees": (resemblance.gender_agreement([source["gender"]], [reconstruction["gender"]]) == 1.0)
            if both else "",
            "age_source": source["age"] if source else "",
            "age_reconstruction": reconstruction["age"] if reconstruction else "",
            "age_difference": round(abs(source["age"] - reconstruction["age"]), 2) if both else ""}


def method_faces(run_dir, method, identities):
    """{'<method>/<identity>': reader} of a method's reconstructions."""
    from tf_reconstruct.evaluation import methods
    return {f"{method}/{identity}": (lambda identity=identity: methods.read_face(run_dir, method, identity))
            for identity in identities}


def with_earlier_rows(rows, earlier):
    """`rows`, then the earlier table's rows of faces these do not score: a re-run that lists fewer methods keeps
    the others' rows, as its table3 keeps theirs (comparison.kept_rows, keyed by comparison, not by label)."""
    made, columns = {row["faces"] for row in rows}, list(rows[0])
    return rows + [{column: row.get(column, "") for column in columns} for row in earlier if row["faces"] not in made]


def write_table(run_dir, dataset, usable, done_by_method, labels):
    """resemblance.md / .csv: a row for real photos (source vs another photo of the same person) and one per
    method (source vs its reconstruction), over the identities each has finished; returns the rows and the
    {key: attributes} it used."""
    photos = {identity: images[:2] for identity, images in usable.items()}
    readers = {f"photo/{image}": (lambda image=image: dataset.read([image])[image])
               for images in photos.values() for image in images}
    for method, identities in done_by_method.items():
        readers.update(method_faces(run_dir, method, identities))
    described = describe_cached(run_dir, readers)

    def source(identity):
        return described[f"photo/{photos[identity][0]}"]

    def second(identity):
        return described[f"photo/{photos[identity][1]}"] if len(photos[identity]) > 1 else None
    with_other = [identity for identity, images in photos.items() if len(images) > 1]
    rows = [{"faces": "real photos: another photo of the same person",
             **resemblance.summary([(source(i), second(i)) for i in with_other])}]
    for method, identities in done_by_method.items():
        rows.append({"faces": labels[method],
                     **resemblance.summary([(source(i), described[f"{method}/{i}"]) for i in identities],
                                           [second(i) for i in identities])})
    rows = with_earlier_rows(rows, report_files.read_csv(run_dir / "resemblance.csv"))
    heading = ("Resemblance to the source photo by soft biometrics: gender (SSR-Net fr_gender.onnx, male above 0.5) "
               "and age (SSR-Net fr_age.onnx, years), each face found by MTCNN. 'described' counts the pairs where "
               "both faces were found; the first row is the classifiers' agreement with themselves on two real "
               "photos of one person, the ceiling for a reconstruction. The consistent agreement counts only the people "
               "whose two photos the judge calls alike ('consistent photos' of them). Judges only: never in an attack.")
    report_files.write_table(run_dir / "resemblance", rows, heading)
    return rows, described
