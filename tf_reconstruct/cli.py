"""How every command line tool ends on an expected user error: one line naming the input and the fix, exit 2.

    app.run(cli.clean_errors(main))

An error this package raises on purpose (errors.TfReconstructError: a missing dataset, a template of the
wrong size, an image without a face, a missing trained model) or an absl UsageError is printed as
`error: <message>` and the tool exits with status 2, absl's and argparse's status for misuse. Anything
else is a bug and keeps its traceback.
"""

import functools
import sys

from absl import app

from tf_reconstruct.errors import TfReconstructError

USAGE_STATUS = 2


def clean_errors(main):
    @functools.wraps(main)
    def wrapped(argv):
        try:
            return main(argv)
        except (TfReconstructError, app.UsageError) as error:
            sys.stderr.write(f"error: {error}\n")
            sys.exit(USAGE_STATUS)
    return wrapped
