"""What the exercise tests share: a timed `evaluate`, and whether a message names a mistake."""
import time

from helpers.exercises import evaluate


def timed(*args):
    """evaluate(*args), which takes a second or two (6 s allows for a busy machine)."""
    start = time.perf_counter()
    result = evaluate(*args)
    seconds = time.perf_counter() - start
    assert seconds < 6, f"the check took {seconds:.1f} s"
    return result


def names(result, expected):
    """The result is "incorrect" and its message (wrapped or capitalized) says ``expected``."""
    said = " ".join(result.message.split()).lower()
    return result.status == "incorrect" and expected.lower() in said
