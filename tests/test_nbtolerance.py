"""The tolerance plugin beside nbval: facts exact, trained numbers within their stated tolerance."""

import pytest

from tests.nbtolerance import ToleranceSpecError, compare_text, parse_spec


def rules(*raw, why="trained numbers move in their last digits from CPU to CPU"):
    return parse_spec({"why": why, "rules": list(raw)})


STORED = (
    "epoch  1 done: training loss 0.3756 accuracy 0.9026 | validation loss 0.1882 accuracy 0.9454\n"
)
EPOCH_RULES = rules({"where": "accuracy #", "abs": 0.005}, {"where": "loss #", "rel": 0.05})


def test_identical_text_passes_without_rules():
    assert compare_text(STORED, STORED, []) == []


def test_numbers_within_tolerance_pass():
    fresh = STORED.replace("0.9454", "0.9406").replace(
        "0.1882", "0.1950"
    )  # -0.0048 abs, +3.6 % rel
    assert compare_text(STORED, fresh, EPOCH_RULES) == []


def test_accuracy_beyond_its_absolute_tolerance_fails():
    fresh = STORED.replace("0.9454", "0.9400")
    problems = compare_text(STORED, fresh, EPOCH_RULES)
    assert len(problems) == 1 and "0.9454 became 0.9400" in problems[0] and "±0.005" in problems[0]


def test_loss_beyond_its_relative_tolerance_fails():
    fresh = STORED.replace("0.1882", "0.1990")  # +5.7 %
    assert "outside the tolerance" in compare_text(STORED, fresh, EPOCH_RULES)[0]


def test_each_number_gets_the_rule_of_its_label():
    # 0.0040 more accuracy is fine; the same absolute change in a loss of 0.0100 is 40 %: not fine
    stored = "loss 0.0100 accuracy 0.9000"
    assert compare_text(stored, "loss 0.0100 accuracy 0.9040", EPOCH_RULES) == []
    assert compare_text(stored, "loss 0.0140 accuracy 0.9000", EPOCH_RULES) != []


def test_text_around_the_numbers_is_exact():
    fresh = STORED.replace("validation", "test")
    assert compare_text(STORED, fresh, EPOCH_RULES) == [
        "the text around the numbers differs (it is compared exactly)"
    ]


def test_a_missing_or_extra_number_is_a_text_difference():
    assert compare_text("values 0.5 0.6", "values 0.5", rules({"abs": 1})) != []
    assert compare_text("values 0.5", "values 0.5 0.6", rules({"abs": 1})) != []


def test_integers_are_facts_unless_a_rule_names_them():
    stored = "1563 batches, loss 0.2000"
    fresh = "1564 batches, loss 0.2000"
    problems = compare_text(
        stored, fresh, rules({"rel": 0.5})
    )  # a huge default rule still leaves integers exact
    assert problems and "integer no tolerance rule covers" in problems[0]
    count_rule = rules({"where": "# of 10000", "abs": 20, "integers": True})
    assert compare_text("230 of 10000 wrong", "241 of 10000 wrong", count_rule) == []
    assert compare_text("230 of 10000 wrong", "260 of 10000 wrong", count_rule) != []
    assert (
        compare_text("230 of 10000 wrong", "230 of 10001 wrong", count_rule) != []
    )  # not matched by the rule


def test_a_number_no_rule_covers_is_exact():
    stored = "learning rate 0.0001, loss 0.2000"
    assert (
        compare_text(
            stored, "learning rate 0.0002, loss 0.2000", rules({"where": "loss #", "rel": 0.1})
        )
        != []
    )
    assert (
        compare_text(
            stored, "learning rate 0.0001, loss 0.2100", rules({"where": "loss #", "rel": 0.1})
        )
        == []
    )


def test_names_and_versions_are_text_not_numbers():
    # dense_1 and the .7 of 3.11.7 stay in the text: changing them is a text difference
    assert compare_text("dense_1 3.11.7", "dense_2 3.11.7", rules({"abs": 5})) != []
    assert compare_text("dense_1 3.11.7", "dense_1 3.11.8", rules({"abs": 5})) != []


def test_where_after_part_and_lists():
    stored = "per epoch: [0.9454, 0.9582, 0.977]"
    fresh = (
        "per epoch: [0.9454, 0.9577, 0.9769]"  # round(x, 4) drops a trailing zero: still one number
    )
    assert compare_text(stored, fresh, rules({"abs": 0.005})) == []
    assert (
        compare_text("0.50 of the steps", "0.70 of the steps", rules({"where": "# of", "abs": 0.1}))
        != []
    )


def test_negative_numbers_and_exponents():
    assert compare_text("gap -1.0e-06", "gap 2.0e-06", rules({"abs": 1e-5})) == []
    assert compare_text("gap -1.0e-06", "gap 2.0e-04", rules({"abs": 1e-5})) != []


@pytest.mark.parametrize(
    "spec, message",
    [
        ([{"abs": 0.1}], "must be a dict"),
        ({"rules": [{"abs": 0.1}]}, "needs 'why'"),
        ({"why": "x", "rules": []}, "non-empty list"),
        ({"why": "x", "rules": [{"abs": -1}]}, "finite number >= 0"),
        ({"why": "x", "rules": [{"where": "loss #"}]}, "allows no difference"),
        ({"why": "x", "rules": [{"where": "loss", "abs": 1}]}, "exactly one '#'"),
        ({"why": "x", "rules": [{"abs": 1, "integers": True}]}, "needs a 'where'"),
        ({"why": "x", "rules": [{"abs": 1, "tol": 2}]}, "unknown keys"),
        ({"why": "x", "rules": [{"where": "(#", "abs": 1}]}, "not a valid regular expression"),
        ({"why": "x", "rules": [{"abs": 1}], "extra": 1}, "unknown keys"),
    ],
)
def test_malformed_specs_say_what_was_expected(spec, message):
    with pytest.raises(ToleranceSpecError, match=message):
        parse_spec(spec)
