"""nbval, with numbers from training compared within a tolerance declared per cell.

nbval compares a fresh run's outputs with the stored ones character for character. That is
right for facts (shapes, counts, hook orders, error messages) and wrong for numbers that come
out of floating-point training: another CPU rounds differently in the last digits (oneDNN picks
different kernels for AVX-512, AVX2, AVX or SSE4.1), so a loss printed as 0.0795 here can be
0.0797 there. A cell that prints such numbers declares how far they may move, in its metadata:

    "nbval-tolerance": {
        "why": "validation accuracy and loss after 10 epochs; the CPU's rounding moves them",
        "rules": [
            {"where": "accuracy #", "abs": 0.005},
            {"where": "loss #", "rel": 0.05},
            {"where": "# of 10000", "abs": 50, "integers": true}
        ]
    }

How a text output of such a cell is compared with the stored one:

* Each number (``-12``, ``0.9770``, ``1e-4``) is cut out; what is left, the text, must be
  equal exactly. So are all integers, unless a rule says ``"integers": true``.
* Each remaining pair of numbers that differ must satisfy
  ``|fresh - stored| <= abs + rel * |stored|`` of the first rule whose ``where`` fits it.
  ``where`` is a regular expression with one ``#`` standing for the number: the part before
  ``#`` must match the text just before the number (on the same line), the part after it the
  text just after it. A rule without ``where`` applies to every decimal number in the cell.
* A number no rule covers must be equal exactly. Images are not compared (nbval's default).

Only cells that carry ``nbval-tolerance`` are affected; every other cell is compared exactly,
as nbval does. The plugin is loaded by the project's root ``conftest.py``.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Any

import pytest

KEY = "nbval-tolerance"
RULE_KEYS = {"where", "abs", "rel", "integers"}
# A number: optional sign, digits, optional fraction, optional exponent; not part of a name
# (dense_1), not the tail of a dotted version (the 7 of 3.11.7).
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")


class ToleranceSpecError(ValueError):
    """The nbval-tolerance metadata of a cell is not what the plugin understands."""


@dataclass(frozen=True)
class Rule:
    before: re.Pattern | None
    after: re.Pattern | None
    abs: float = 0.0
    rel: float = 0.0
    integers: bool = False
    where: str = ""

    def fits(self, text: str, start: int, end: int) -> bool:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        if self.before is not None and not self.before.search(text[line_start:start]):
            return False
        if self.after is not None and not self.after.match(text[end:line_end]):
            return False
        return True

    def allows(self, stored: float, fresh: float) -> bool:
        return abs(fresh - stored) <= self.abs + self.rel * abs(stored) + 1e-12

    def describe(self) -> str:
        parts = []
        if self.abs:
            parts.append(f"±{self.abs:g}")
        if self.rel:
            parts.append(f"±{self.rel * 100:g}%")
        where = f" (rule {self.where!r})" if self.where else ""
        return " + ".join(parts) + where


def parse_spec(spec: Any) -> list[Rule]:
    """The rules of one cell's ``nbval-tolerance`` metadata; ToleranceSpecError if malformed."""
    if not isinstance(spec, dict):
        raise ToleranceSpecError(
            f"{KEY} must be a dict with 'why' and 'rules', got {type(spec).__name__}"
        )
    unknown = set(spec) - {"why", "rules"}
    if unknown:
        raise ToleranceSpecError(
            f"{KEY} has unknown keys {sorted(unknown)}; expected 'why' and 'rules'"
        )
    if not isinstance(spec.get("why"), str) or not spec["why"].strip():
        raise ToleranceSpecError(f"{KEY} needs 'why': one sentence on which numbers vary and why")
    raw_rules = spec.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ToleranceSpecError(f"{KEY} needs 'rules': a non-empty list of rules")
    rules = []
    for raw in raw_rules:
        if not isinstance(raw, dict):
            raise ToleranceSpecError(f"each rule of {KEY} must be a dict, got {raw!r}")
        unknown = set(raw) - RULE_KEYS
        if unknown:
            raise ToleranceSpecError(
                f"rule {raw!r} has unknown keys {sorted(unknown)}; allowed: {sorted(RULE_KEYS)}"
            )
        tol_abs, tol_rel = raw.get("abs", 0), raw.get("rel", 0)
        for name, value in (("abs", tol_abs), ("rel", tol_rel)):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or value < 0
                or not math.isfinite(value)
            ):
                raise ToleranceSpecError(f"rule {raw!r}: '{name}' must be a finite number >= 0")
        if tol_abs == 0 and tol_rel == 0:
            raise ToleranceSpecError(f"rule {raw!r} allows no difference; give 'abs' or 'rel'")
        if not isinstance(raw.get("integers", False), bool):
            raise ToleranceSpecError(f"rule {raw!r}: 'integers' must be true or false")
        where = raw.get("where", "")
        before = after = None
        if where:
            if not isinstance(where, str) or where.count("#") != 1:
                raise ToleranceSpecError(
                    f"rule {raw!r}: 'where' must contain exactly one '#' for the number"
                )
            left, right = where.split("#")
            try:
                before = re.compile(left + r"\Z") if left else None
                after = re.compile(right) if right else None
            except re.error as exc:
                raise ToleranceSpecError(
                    f"rule {raw!r}: 'where' is not a valid regular expression ({exc})"
                ) from exc
        elif raw.get("integers", False):
            raise ToleranceSpecError(
                f"rule {raw!r}: a rule for integers needs a 'where' saying which ones"
            )
        rules.append(
            Rule(
                before,
                after,
                float(tol_abs),
                float(tol_rel),
                bool(raw.get("integers", False)),
                where,
            )
        )
    return rules


def compare_text(stored: str, fresh: str, rules: list[Rule]) -> list[str]:
    """Why ``fresh`` does not match ``stored`` under ``rules``; an empty list if it does."""
    if stored == fresh:
        return []
    stored_numbers = list(NUMBER.finditer(stored))
    fresh_numbers = list(NUMBER.finditer(fresh))
    if NUMBER.sub("#", stored) != NUMBER.sub("#", fresh):
        return ["the text around the numbers differs (it is compared exactly)"]
    problems = []
    for s, f in zip(stored_numbers, fresh_numbers, strict=False):
        if s.group() == f.group():
            continue
        line = stored.count("\n", 0, s.start()) + 1
        is_integer = not re.search(r"[.eE]", s.group())
        rule = next(
            (
                r
                for r in rules
                if r.fits(stored, s.start(), s.end())
                and (r.integers or not is_integer)
                and (r.before or r.after or not is_integer)
            ),
            None,
        )
        if rule is None:
            kind = "an integer" if is_integer else "a number"
            problems.append(
                f"line {line}: {s.group()} became {f.group()}, {kind} no tolerance rule covers "
                "(compared exactly)"
            )
        elif not rule.allows(float(s.group()), float(f.group())):
            problems.append(
                f"line {line}: {s.group()} became {f.group()}, outside the tolerance "
                f"{rule.describe()}"
            )
    return problems


def _flatten(outputs, skip_compare):
    """nbval's grouping of outputs: key (stream name or MIME type) -> list of (container, field).

    Streams are grouped by their name (``stdout``, ``stderr``), as nbval compares them.
    """
    groups: dict[str, list[tuple[dict, str]]] = {}
    for output in outputs:
        if output.get("output_type") == "stream":
            groups.setdefault(output["name"], []).append((output, "text"))
            continue
        for key in output.keys():
            if key in skip_compare:
                continue
            if key == "data":
                for data_key in output[key].keys():
                    if data_key not in skip_compare:
                        groups.setdefault(data_key, []).append((output[key], data_key))
            else:
                groups.setdefault(key, []).append((output, key))
    return groups


def reconcile(item, test, ref, rules, skip_compare):
    """A copy of ``test`` in which every text within tolerance of ``ref`` is replaced by ``ref``'s.

    Returns (outputs, problems): nbval's own comparison then runs on these outputs, so every
    text that is not within tolerance is still reported by nbval, with ``problems`` saying why.
    """
    test = [copy.deepcopy(o) for o in test]
    test_groups, ref_groups = _flatten(test, skip_compare), _flatten(ref, skip_compare)
    problems = []
    for key, ref_values in ref_groups.items():
        test_values = test_groups.get(key, [])
        if len(test_values) != len(ref_values):
            continue  # nbval reports it
        for (ref_box, ref_key), (test_box, test_key) in zip(ref_values, test_values, strict=False):
            stored, fresh = ref_box[ref_key], test_box[test_key]
            if not (isinstance(stored, str) and isinstance(fresh, str)):
                continue
            stored_clean, fresh_clean = item.sanitize(stored), item.sanitize(fresh)
            if stored_clean == fresh_clean:
                continue
            why = compare_text(stored_clean, fresh_clean, rules)
            if why:
                problems.extend(f"{key}: {w}" for w in why)
            else:
                test_box[test_key] = stored
    return test, problems


def _tolerant_compare(original):
    def compare_outputs(self, test, ref, skip_compare=None):
        rules = getattr(self, "_nbtolerance_rules", None)
        if not rules:
            return original(self, test, ref, skip_compare)
        skip = skip_compare or self.parent.skip_compare
        test, problems = reconcile(self, test, ref, rules, skip)
        same = original(self, test, ref, skip_compare)
        if not same and problems:
            self.comparison_traceback.append(f"nbval-tolerance of this cell: {'; '.join(problems)}")
        return same

    compare_outputs.__wrapped__ = original
    return compare_outputs


def pytest_configure(config):
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to extend
        return
    if not hasattr(IPyNbCell.compare_outputs, "__wrapped__"):
        IPyNbCell.compare_outputs = _tolerant_compare(IPyNbCell.compare_outputs)


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is None or KEY not in getattr(cell, "metadata", {}):
            continue
        try:
            item._nbtolerance_rules = parse_spec(cell.metadata[KEY])
        except ToleranceSpecError as exc:
            raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
