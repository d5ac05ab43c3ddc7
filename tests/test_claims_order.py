"""helpers.tracing.source_order: quoted source lines, proven to come in a given order."""
import pytest

from helpers.tracing import source_order


def _steps():
    first = 1
    second = first + 1
    # a comment between them
    third = second + 1
    return third


def test_returns_file_line_numbers_in_order():
    lines = source_order(_steps, "first = 1", "second = first + 1", "third = second + 1")
    assert lines[1] == lines[0] + 1 and lines[2] == lines[1] + 2
    assert lines[0] == _steps.__code__.co_firstlineno + 1


def test_wrong_order_fails_and_names_the_needle():
    with pytest.raises(AssertionError, match="'first = 1' does not occur after line"):
        source_order(_steps, "second = first + 1", "first = 1")


def test_a_needle_is_searched_only_after_the_previous_one():
    # "second" occurs on two lines; the search for it resumes after "second = first + 1"
    lines = source_order(_steps, "second = first + 1", "second")
    assert lines[1] == lines[0] + 2


def test_missing_needle_and_bad_arguments():
    with pytest.raises(AssertionError, match="'fourth' does not occur in the source"):
        source_order(_steps, "fourth", "third")
    with pytest.raises(ValueError, match="at least two"):
        source_order(_steps, "first")
    with pytest.raises(ValueError, match="cannot read the source"):
        source_order(len, "a", "b")


def test_decorated_functions_are_unwrapped():
    import functools

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)
        return wrapper

    wrapped = deco(_steps)
    assert source_order(wrapped, "first = 1", "third") == source_order(_steps, "first = 1", "third")
