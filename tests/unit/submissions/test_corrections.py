"""Correcting a released result (#17 appeals): the corrected answers replace the current ones by item,
keep every other answer as sent, and only the allowed items and the result's own photos may change.
Also: appeals reach submissions only through its public correction path."""

from __future__ import annotations

import ast
from pathlib import Path
from uuid import UUID, uuid4

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspect_api.errors import InvalidInput
from inspect_api.forms.answers import Answer
from inspect_api.submissions.corrections import _check_corrected, merged_answers

PACKAGE = Path(__file__).resolve().parents[3] / "inspect_api"
keys = st.sampled_from([f"i{n}" for n in range(8)])
answers = st.builds(Answer, item=keys, value=st.one_of(st.booleans(), st.integers(0, 5), st.none()))


@given(st.lists(answers, unique_by=lambda a: a.item), st.lists(answers, unique_by=lambda a: a.item))
def test_corrected_answers_replace_by_item_and_keep_the_rest(current: list[Answer], corrected: list[Answer]) -> None:
    merged = merged_answers([msgspec.to_builtins(a) for a in current], corrected)
    by_item = {a.item: a for a in merged}
    assert len(by_item) == len(merged)  # one answer per item
    assert set(by_item) == {a.item for a in current} | {a.item for a in corrected}
    for answer in corrected:
        assert by_item[answer.item] == answer
    for answer in current:
        if answer.item not in {a.item for a in corrected}:
            assert by_item[answer.item] == answer
    # The current answers keep their order; new items come after them.
    assert [a.item for a in merged][: len(current)] == [a.item for a in current]


def test_only_the_disputed_item_and_the_results_photos() -> None:
    own, foreign = uuid4(), uuid4()
    current = [Answer(item="a", value=True, photos=[own])]
    _check_corrected([Answer(item="a", value=False, photos=[own])], {"a"}, [], current)
    _check_corrected([Answer(item="b", value=False)], None, [], current)
    for corrected, only, field in (
        ([Answer(item="b", value=False)], {"a"}, "answers[0].item"),
        ([Answer(item="a", value=False), Answer(item="a", value=True)], None, "answers[1].item"),
        ([Answer(item="a", value=False, photos=[foreign])], {"a"}, "answers[0].photos"),
    ):
        with pytest.raises(InvalidInput) as raised:
            _check_corrected(corrected, only, [UUID(int=1)], current)
        assert raised.value.extra["errors"][0]["field"] == field


def test_appeals_use_only_the_public_paths_of_other_features() -> None:
    internals = {"inspect_api.submissions.queries", "inspect_api.submissions.intake", "inspect_api.submissions.review",
                 "inspect_api.rankings", "inspect_api.actions", "inspect_api.photos.queries"}
    found = set()
    for path in (PACKAGE / "appeals").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
    assert not {m for m in found if m.startswith(tuple(internals))}
    assert "inspect_api.submissions.corrections" in found
