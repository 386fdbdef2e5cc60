"""A polite stop: SIGTERM (a scheduler, `kill`, the end of a session) unwinds like Ctrl-C, so a long run's
`finally` and `with` blocks close as they would on Ctrl-C; every output is written atomically anyway."""

import signal


def _raise_interrupt(signum, frame):
    del signum, frame
    raise KeyboardInterrupt("stopped by SIGTERM")


def stop_on_sigterm():
    signal.signal(signal.SIGTERM, _raise_interrupt)
