"""Run a command-line tool in this process, as `python -m <module> <args>` would, without loading TensorFlow and
the models again (a subprocess costs 6-10 s of that per call).

    done = run_cli("tf_reconstruct.edit", "--latents=...", ...)   # done.returncode, done.stderr

The tool's flags are defined afresh (absl's flags are global: the last tool's are removed first), the
arguments parsed by absl as on the command line, and main run through cli.clean_errors, so a user error
ends as the command's would: one `error:` line and status 2. stderr holds what the tool wrote there, its
log lines included. Tests whose point is a real process (the README's commands, a kill, Ray) keep
subprocess.run.
"""

import contextlib
import dataclasses
import importlib
import io
import logging
import sys

from absl import flags

from tf_reconstruct import cli, flags as project_flags

DEFINES = {
    "tf_reconstruct.main": project_flags.define_main_flags,
    "tf_reconstruct.reconstruct": project_flags.define_reconstruct_flags,
    "tf_reconstruct.train_baselines": project_flags.define_baseline_flags,
    "tf_reconstruct.train_adapter": project_flags.define_train_adapter_flags,
    "tf_reconstruct.train_boundaries": project_flags.define_boundary_flags,
    "tf_reconstruct.edit": project_flags.define_edit_flags,
    "tf_reconstruct.inpaint": project_flags.define_inpaint_flags,
    "tf_reconstruct.studies.editing_control": project_flags.define_editing_study_flags,
    "tf_reconstruct.studies.inpainting_eval": project_flags.define_inpainting_eval_flags,
    "tf_reconstruct.studies.guided_inpainting": project_flags.define_guided_inpainting_flags,
    "tf_reconstruct.studies.success_level": project_flags.define_success_level_flags,
}
# absl's own flags (logging, help), there before any tool defined its own.
_ABSL_FLAGS = set(flags.FLAGS)


@dataclasses.dataclass
class Done:
    returncode: int
    stderr: str


def run_cli(module_name, *args):
    """Runs `python -m module_name *args` in this process; returns Done(returncode, stderr)."""
    values = flags.FLAGS
    for name in set(values) - _ABSL_FLAGS:
        delattr(values, name)
    DEFINES[module_name]()
    module = importlib.import_module(module_name)
    argv = [module_name, *map(str, args)]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.INFO)
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.addHandler(handler)
    absl_logger.setLevel(logging.INFO)
    code = 0
    try:
        with contextlib.redirect_stderr(stream):
            try:
                values.unparse_flags()
                values(argv)
            except flags.Error as error:   # as absl's app.run: a bad flag is a usage error
                sys.stderr.write(f"FATAL Flags parsing error: {error}\n")
                return Done(1, stream.getvalue())
            try:
                cli.clean_errors(module.main)(argv)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        absl_logger.removeHandler(handler)
        absl_logger.setLevel(level)
    return Done(code, stream.getvalue())
