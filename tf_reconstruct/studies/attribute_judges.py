"""`python -m tf_reconstruct.studies.attribute_judges`: how far the gender and age judges can be trusted.

Before they judge reconstructions, the SSR-Net classifiers (attributes/classifiers.py) are checked on real
LFW photos. Without labels: on N seeded identities with at least three photos, how often the gender
decision agrees between two photos of the same person, and how much the age spreads within a person.
With a handful of labels (20 public figures whose sex is public knowledge, named below): the AUC and
accuracy of the gender output. Writes experiments/attributes/README.md and per-photo CSV.
"""

import itertools
import json
import pathlib

import numpy as np
from absl import app, flags, logging

from tf_reconstruct import cli, flags as project_flags
from tf_reconstruct.datasets import lfw, selection
from tf_reconstruct.evaluation import report_files, resemblance
from tf_reconstruct.metrics import resemblance as measures, verification

FLAGS = flags.FLAGS
# Public figures of LFW with four or more photos, by sex as publicly known: the only labels used here.
MEN = ("George_W_Bush", "Colin_Powell", "Tony_Blair", "Donald_Rumsfeld", "Gerhard_Schroeder", "Ariel_Sharon",
       "Hugo_Chavez", "Junichiro_Koizumi", "Jean_Chretien", "John_Ashcroft")
WOMEN = ("Serena_Williams", "Jennifer_Capriati", "Venus_Williams", "Laura_Bush", "Gloria_Macapagal_Arroyo",
         "Jennifer_Lopez", "Hillary_Clinton", "Nicole_Kidman", "Megawati_Sukarnoputri", "Jennifer_Aniston")
LABELLED_PHOTOS = 4


def _describe(dataset, out_dir, images):
    readers = {f"photo/{image}": (lambda image=image: dataset.read([image])[image]) for image in images}
    return resemblance.describe_cached(out_dir, readers)


def main(argv):
    del argv
    out_dir = pathlib.Path(FLAGS.study_out)
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = lfw.load_lfw(FLAGS.data_dir)
    identities = selection.select_identities(dataset.images_by_identity, FLAGS.study_identities, FLAGS.seed,
                                             min_images=3)
    photos = {identity: sorted(dataset.images_by_identity[identity])[:3] for identity in identities}
    labelled = {identity: sorted(dataset.images_by_identity[identity])[:LABELLED_PHOTOS] for identity in MEN + WOMEN}
    described = _describe(dataset, out_dir, [image for images in [*photos.values(), *labelled.values()]
                                             for image in images])

    def value(image):
        return described[f"photo/{image}"]
    # Unlabelled: every pair of an identity's described photos.
    pairs = [(value(a), value(b)) for images in photos.values() for a, b in itertools.combinations(images, 2)]
    self_agreement = measures.summary(pairs)
    spreads = [np.std([value(image)["age"] for image in images if value(image)]) for images in photos.values()
               if sum(value(image) is not None for image in images) >= 2]
    # Labelled: the gender output against public knowledge.
    scores = [(value(image)["gender"], identity in MEN) for identity, images in labelled.items() for image in images
              if value(image) is not None]
    gender, male = np.array([score for score, _ in scores]), np.array([is_male for _, is_male in scores])
    auc = verification.auc(gender[~male], gender[male])
    accuracy = float(np.mean((gender > measures.MALE_ABOVE) == male))
    rows = [{"check": "gender agreement, two photos of one person (unlabelled)",
             "value": self_agreement["gender agreement %"], "unit": "%", "count": self_agreement["described"]},
            {"check": "abs. age difference, two photos of one person (unlabelled), mean",
             "value": self_agreement["mean age difference (abs, years)"], "unit": "years",
             "count": self_agreement["described"]},
            {"check": "age standard deviation within a person (unlabelled), mean", "value": float(np.mean(spreads)),
             "unit": "years", "count": len(spreads)},
            {"check": "gender AUC, men against women (public figures)", "value": auc, "unit": "", "count": len(scores)},
            {"check": "gender accuracy at 0.5 (public figures)", "value": 100 * accuracy, "unit": "%",
             "count": len(scores)},
            {"check": "gender output, men, mean", "value": float(gender[male].mean()), "unit": "", "count": int(male.sum())},
            {"check": "gender output, women, mean", "value": float(gender[~male].mean()), "unit": "",
             "count": int((~male).sum())}]
    heading = (f"The attribute judges on real LFW photos: {len(identities)} identities with >= 3 photos drawn with "
               f"seed {FLAGS.seed} (3 photos each, every pair compared), and {len(MEN)} men and {len(WOMEN)} women "
               f"among LFW's public figures ({LABELLED_PHOTOS} photos each). Faces found by MTCNN; "
               f"`python -m tf_reconstruct.studies.attribute_judges`.")
    report_files.write_table(out_dir / "judges", rows, heading)
    report_files.write_text(out_dir / "judges_settings.json", json.dumps(
        {"identities": identities, "seed": FLAGS.seed, "men": MEN, "women": WOMEN}, indent=1))
    logging.info("\n%s", report_files.markdown_table(rows))


if __name__ == "__main__":
    project_flags.define_attribute_study_flags()
    flags.adopt_module_key_flags(project_flags)
    app.run(cli.clean_errors(main))
