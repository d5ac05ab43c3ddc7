"""Every exercise: the instructor's solution passes its check, the learner placeholder does not.

Each cell tagged `solution` is run on its own, after the standard setup cell's imports
(CONTRIBUTING.md asks for self-contained solution cells), once as written and once as the
learner edition writes it.
"""
import contextlib
import io
import json
import linecache
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import learner_edition  # noqa: E402

import helpers  # noqa: E402
from helpers import exercises  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [nb for nb in NOTEBOOKS if not nb.name.startswith("00_")]


def solution_cells():
    for book in LESSONS:
        cells = json.loads(book.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if "solution" in cell.get("metadata", {}).get("tags", []):
                source = learner_edition.source_text(cell)
                ex_id = learner_edition.exercise_id(cell, f"{book.name} cell {index}")
                yield pytest.param(ex_id, source, id=ex_id)


SOLUTIONS = list(solution_cells())


def run_cell(source: str) -> str:
    helpers.start(seed=42, show=False)
    namespace = {}
    exec("import numpy as np\nimport tensorflow as tf\nimport keras\n"
         "import matplotlib.pyplot as plt\nimport helpers\nfrom helpers.exercises import check\n",
         namespace)
    # Registered as source, as Jupyter registers a cell's: AutoGraph (tf.function) reads the
    # source of what it converts, and cannot convert a loop over tf.range without it.
    name = f"<exercise cell {abs(hash(source))}>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, name, "exec"), namespace)
    return out.getvalue()


@pytest.mark.parametrize("ex_id, source", SOLUTIONS)
def test_solution_passes_its_check(ex_id, source):
    exercises.RESULTS.pop(ex_id, None)
    printed = run_cell(source)
    result = exercises.RESULTS.get(ex_id)
    assert result is not None, f"the cell did not call check({ex_id!r}, ...)"
    assert result.passed, result.message
    # one friendly sentence, wrapped at word boundaries, nothing else
    assert printed.strip() == exercises.wrap(str(result))


@pytest.mark.parametrize("ex_id, source", SOLUTIONS)
def test_learner_placeholder_fails_with_the_hint(ex_id, source):
    hint = exercises.hint(ex_id)
    learner_source = learner_edition.strip_solution(source, hint, ex_id, ex_id)
    assert "BEGIN SOLUTION" not in learner_source and "NotImplementedError" in learner_source
    exercises.RESULTS.pop(ex_id, None)
    printed = run_cell(learner_source)
    result = exercises.RESULTS[ex_id]
    assert result.status == "not done", result.message
    printed = " ".join(printed.split())  # the message is wrapped at spaces
    assert hint in printed and "not done yet" in printed


def test_every_lesson_has_two_to_four_exercises():
    counts = {book.name: 0 for book in LESSONS}
    for param in SOLUTIONS:
        ex_id = param.values[0]
        book = next(b for b in LESSONS if b.name.startswith(ex_id[:2] + "_"))
        counts[book.name] += 1
    assert counts and all(2 <= n <= 4 for n in counts.values()), counts


def test_every_registered_exercise_appears_in_its_notebook():
    in_notebooks = {param.values[0] for param in SOLUTIONS}
    notebook_numbers = {book.name[:2] for book in LESSONS}
    registered = {ex_id for ex_id in exercises.registry() if ex_id[:2] in notebook_numbers}
    assert registered == in_notebooks


def test_a_wrong_answer_gets_one_friendly_sentence_not_a_traceback():
    result = exercises.evaluate("01.1", lambda f, x: tf_first_derivative(f, x))
    assert result.status == "incorrect"
    assert "first derivative" in result.message
    crash = exercises.evaluate("02.2", lambda x, y: 1 / 0)
    assert crash.status == "error"
    assert "ZeroDivisionError" in crash.message and "Hint" in crash.message
    assert str(crash).count("\n") == 0


def tf_first_derivative(f, x):
    tf = helpers.import_tensorflow_quietly()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


def test_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match="no exercise '99.9'"):
        exercises.check("99.9", None)


def test_markers_and_ids_are_well_formed():
    for param in SOLUTIONS:
        source = param.values[1]
        begins = len(re.findall(r"# BEGIN SOLUTION", source))
        assert begins == len(re.findall(r"# END SOLUTION", source)) >= 1


DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")  # ".." but not "..."


def test_messages_end_with_one_full_stop_and_stay_on_one_line():
    def raises_a_sentence(x, y):
        raise ValueError("x and y must have the same length.\nSecond line of a long error")

    result = exercises.evaluate("02.2", raises_a_sentence)
    assert result.status == "error"
    assert "your code raised ValueError: x and y must have the same length. Hint:" in result.message
    assert not DOUBLE_STOP.search(str(result)) and "\n" not in str(result)
    done = exercises.evaluate("02.2", lambda x, y: (1.0, 2.0))
    assert done.status == "incorrect" and done.message.endswith(".")
    assert not DOUBLE_STOP.search(done.message)


def test_an_error_inside_the_checker_is_not_blamed_on_the_learners_code():
    from helpers.exercises import _REGISTRY, Exercise, ex04

    # a checker that trips over its argument inside helpers/exercises (None is not an array)
    _REGISTRY["99.8"] = Exercise("99.8", "checker trips", "return an array.", ex04._batch_means)
    try:
        result = exercises.evaluate("99.8", None, 8)
    finally:
        del _REGISTRY["99.8"]
    assert result.status == "error"
    assert result.message.startswith("the check could not use what your code returned (TypeError")
    assert "your code raised" not in result.message and result.message.endswith("return an array.")
    learners = exercises.evaluate("02.2", lambda x, y: x.no_such_method())
    assert learners.message.startswith("your code raised AttributeError")


@pytest.mark.parametrize("ex_id, answer, expected", [
    ("01.3", lambda x: tf_module().math.log1p(tf_module().exp(x)), "shape (5,)"),
    ("02.1", lambda model, x, y, lr, beta, velocities: None, "returned None"),
    ("02.3", lambda x: None, "you returned None"),
    ("03.3", lambda losses, sizes: None, "you returned None"),
])
def test_returning_the_wrong_type_gets_what_was_expected_not_a_formatting_error(
        ex_id, answer, expected):
    result = exercises.evaluate(ex_id, answer)
    assert result.status == "incorrect", result.message
    assert expected in result.message
    assert "unsupported format string" not in result.message


def tf_module():
    return helpers.import_tensorflow_quietly()


@pytest.mark.parametrize("ex_id", sorted(exercises.registry()))
def test_every_exercise_has_a_nudge_and_a_fuller_second_hint(ex_id):
    ex = exercises.registry()[ex_id]
    assert ex.hint.strip() and ex.more.strip(), f"{ex_id}: give both hint= and more="
    assert ex.more != ex.hint and len(ex.more) > len(ex.hint), (
        f"{ex_id}: the second hint (more=) should be fuller than the first")
    assert exercises.hint(ex_id) == ex.hint
    assert exercises.hint(ex_id, more=True) == exercises.wrap(ex.more)


def test_unfinished_wrong_and_failing_answers_say_how_to_get_the_fuller_hint():
    ask = 'print(helpers.exercises.hint("02.2", more=True)) shows a fuller hint.'

    def not_done(x, y):
        raise NotImplementedError("Exercise 02.2: ...")

    for answer, status in [(not_done, "not done"), (lambda x, y: (1.0, 2.0), "incorrect"),
                           (lambda x, y: 1 / 0, "error")]:
        result = exercises.evaluate("02.2", answer)
        assert result.status == status, result.message
        assert result.message.endswith(ask) and not DOUBLE_STOP.search(result.message)
    passed = exercises.evaluate("01.2", lambda w, b, x, y: _mse_gradients(w, b, x, y))
    assert passed.passed and "fuller hint" not in passed.message


def _mse_gradients(w, b, x, y):
    tf = tf_module()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((w * x + b - y) ** 2)
    return tape.gradient(loss, [w, b])


@pytest.mark.parametrize("args, message", [
    (("01.2", "yes"), "more should be True .* or False .*, not 'yes'"),
    ((1.2,), 'pass the exercise id as a string such as "01.2", not 1.2'),
    (("9.9",), "there is no exercise '9.9'"),
])
def test_hint_rejects_bad_input_with_one_sentence(args, message):
    with pytest.raises(ValueError, match=message):
        exercises.hint(*args)


def test_hint_without_a_fuller_one_says_so():
    from helpers.exercises import _REGISTRY, Exercise

    def always_wrong(answer):
        raise exercises.Incorrect("that is not it.")

    _REGISTRY["99.7"] = Exercise("99.7", "no second hint", "a nudge.", always_wrong)
    try:
        with pytest.raises(ValueError, match="exercise 99.7 has no fuller hint yet"):
            exercises.hint("99.7", more=True)
        assert exercises.evaluate("99.7", 1).message == "not quite. That is not it."
    finally:
        del _REGISTRY["99.7"]


def test_wrap_breaks_at_spaces_and_keeps_numbers_with_their_operator():
    text = ("❌ Exercise 06.2: not quite. Your metric gave 0.28 / 989 where the balanced "
            "accuracy is 0.31 for the batch; print(helpers.exercises.hint(\"06.2\", more=True)) "
            "shows a fuller hint.")
    for width in range(20, 100):
        lines = exercises.wrap(text, width).splitlines()
        assert " ".join(" ".join(lines).split()) == text
        assert all(len(line) <= width or " " not in line.strip() for line in lines), lines
        assert all(line.startswith("   ") for line in lines[1:])
        assert not any(line.rstrip().endswith((" /", "0.28")) for line in lines), lines
    assert exercises.wrap("short") == "short"


@pytest.mark.parametrize("width", [0, 19, 50.0, "88"])
def test_wrap_rejects_a_width_that_is_not_a_whole_number_of_at_least_20(width):
    with pytest.raises(ValueError, match="whole number of characters, at least 20"):
        exercises.wrap("text", width)
