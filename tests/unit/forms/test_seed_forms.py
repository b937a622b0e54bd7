"""The seed forms load, cite real passages, are bilingual, and score as intended."""

import re
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from inspect_api.forms.answers import Answer, validate_answers
from inspect_api.forms.loader import canonical_json, content_hash, parse_form_json
from inspect_api.forms.model import ChecklistItem, ChoiceItem, FormDocument, SourceRef, is_scored
from inspect_api.forms.scoring import applicable_item_keys, score
from tests.unit.forms.builders import best_answer, fail_answer
from tests.unit.forms.conftest import SEED_SOURCES_DIR

SEED_KEYS = {
    "fuel-attendant", "pharmacy-service", "hotel-front-desk", "retail-seven-step", "online-chat-audit",
    "quality-service-seven", "complaint-handling", "hotel-guest-satisfaction",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_all_seed_forms_load(seed_forms: dict[str, FormDocument]) -> None:
    assert set(seed_forms) == SEED_KEYS
    for form in seed_forms.values():
        assert all(item.source is not None for _, item in form.iter_items())
        assert form.pass_threshold is not None


def test_seed_forms_survive_a_json_round_trip(seed_forms: dict[str, FormDocument]) -> None:
    for form in seed_forms.values():
        again = parse_form_json(canonical_json(form), form.key, require_sources=True)
        assert again == form
        assert content_hash(again) == content_hash(form)


def _texts(node: Any) -> Iterator[dict[str, str]]:
    if isinstance(node, dict):
        if set(node) == {"zh", "en"}:
            yield node
            return
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _texts(value)


def test_every_text_is_really_bilingual(seed_forms: dict[str, FormDocument]) -> None:
    """Catches swapped or untranslated strings: zh holds Chinese, en holds none."""
    for form in seed_forms.values():
        texts = list(_texts(msgspec.to_builtins(form)))
        assert len(texts) > 20
        for text in texts:
            assert CJK.search(text["zh"]), (form.key, text)
            assert not CJK.search(text["en"]), (form.key, text)


def _sources(form: FormDocument) -> Iterator[SourceRef]:
    for section in form.sections:
        if section.source is not None:
            yield section.source
        for item in section.items:
            assert item.source is not None
            yield item.source


@pytest.mark.skipif(not SEED_SOURCES_DIR.is_dir(), reason="seed source documents not available")
def test_sources_quote_the_seed_documents_verbatim(seed_forms: dict[str, FormDocument]) -> None:
    def squash(text: str) -> str:
        return re.sub(r"\s+", "", text)

    for form in seed_forms.values():
        for source in _sources(form):
            document = squash((SEED_SOURCES_DIR / source.file).read_text(encoding="utf-8"))
            assert squash(source.heading) in document, (form.key, source)
            if source.passage is not None:
                assert squash(source.passage) in document, (form.key, source)


def test_fuel_attendant_follows_the_eight_essentials(seed_forms: dict[str, FormDocument]) -> None:
    form = seed_forms["fuel-attendant"]
    items = form.items_by_key()
    scored = [key for key, item in items.items() if is_scored(item)]
    assert sorted(scored) == sorted(
        [
            "p1_greeting",
            "p2_needs",
            "p3_courtesy",
            "p4_equal_treatment",
            "p5_safety_intervention",
            "p5_other_intervention",
            "p6_queue_handling",
            "p7_no_argument",
            "p8_six_voices",
            "p8_apology_voice",
            "p8_voice_qualities",
        ]
    )
    assert items["p5_safety_intervention"].critical == "fail_form"
    assert items["p5_other_intervention"].critical == "fail_form"
    # Nothing to observe is N/A, never "record a pass".
    assert items["p7_no_argument"].na_allowed and items["p8_apology_voice"].na_allowed
    assert all("record a pass" not in (i.guidance.en if i.guidance else "") for i in items.values())
    qualities = items["p8_voice_qualities"]
    assert isinstance(qualities, ChecklistItem)
    assert [o.label.zh for o in qualities.options] == ["声音响亮", "吐字清晰", "称呼恰当", "问候亲切", "语气诚恳"]
    assert items["p6_queue_handling"].applies_when is not None
    assert items["p6_queue_handling"].applies_when.item == "queue_occurred"
    voices = items["p8_six_voices"]
    assert isinstance(voices, ChecklistItem)
    assert [o.label.zh[-3:] for o in voices.options] == ["迎接声", "称呼声", "应答声", "致谢声", "送别声"]
    # Phones on the forecourt are the very hazard point 5 is about: no item asks for photos.
    # Photos only where they can be taken from the car (see the form's notes), never required.
    with_photos = {key for key, item in items.items() if item.photos.mode != "none"}
    assert with_photos == {"p1_greeting", "p6_queue_handling"}
    assert all(items[key].photos.mode == "optional" for key in with_photos)


def test_pharmacy_records_its_list_decision(seed_forms: dict[str, FormDocument]) -> None:
    form = seed_forms["pharmacy-service"]
    assert form.notes is not None and "List A" in form.notes and "List B" in form.notes
    assert [s.key for s in form.sections] == [
        "appearance",
        "attitude",
        "expertise",
        "selling",
        "hygiene",
        "product_quality",
        "convenience",
        "relationship_aftercare",
    ]


def test_hotel_records_the_guest_mood_unscored(seed_forms: dict[str, FormDocument]) -> None:
    mood = seed_forms["hotel-front-desk"].items_by_key()["guest_mood"]
    assert isinstance(mood, ChoiceItem) and not is_scored(mood)
    assert [o.key for o in mood.options] == ["impatience", "anger", "fatigue", "happiness", "timidity"]


def test_points_an_inspector_cannot_observe_allow_na(seed_forms: dict[str, FormDocument]) -> None:
    pharmacy = seed_forms["pharmacy-service"].items_by_key()
    shelf = pharmacy["shelf_spot_check"]
    assert shelf.na_allowed and shelf.na_when is not None and "behind the counter" in shelf.na_when.en
    for key in ("safe_recommendation", "suitable_recommendation"):
        guidance = pharmacy[key].guidance
        assert guidance is not None and "doctor" in guidance.en and ("就医" in guidance.zh or "医生" in guidance.zh)
    hotel = seed_forms["hotel-front-desk"]
    answers = _answers(hotel, best_answer, {"guest_mood": Answer(item="guest_mood", na=True)})
    assert validate_answers(hotel, answers) == []
    card = score(hotel, answers, form_version=1, content_hash="h")
    assert {i.key: i.status for i in card.items}["cue_response"] == "inapplicable"
    assert ("inapplicable", "cue_response") in {(e.kind, e.item) for e in card.explanations}


def _answers(form: FormDocument, pick: Any, overrides: dict[str, Answer] | None = None) -> list[Answer]:
    """Answers chosen item by item in form order, so conditions see earlier answers."""
    overrides = overrides or {}
    answers: dict[str, Answer] = {}
    for _, item in form.iter_items():
        if item.key not in applicable_item_keys(form, answers):
            continue
        answer = overrides.get(item.key) or pick(item)
        if answer is not None:
            answers[item.key] = answer
    return list(answers.values())


@pytest.mark.parametrize("key", sorted(SEED_KEYS))
def test_best_answers_score_full_marks(seed_forms: dict[str, FormDocument], key: str) -> None:
    form = seed_forms[key]
    answers = _answers(form, best_answer)
    assert validate_answers(form, answers) == []
    card = score(form, answers, form_version=1, content_hash=content_hash(form))
    assert card.total_percent == 100.0
    assert card.passed and not card.failed_items and not card.follow_ups


@pytest.mark.parametrize("key", sorted(SEED_KEYS))
def test_failing_answers_fail_and_open_follow_ups(seed_forms: dict[str, FormDocument], key: str) -> None:
    form = seed_forms[key]
    answers = _answers(form, lambda item: fail_answer(item) or best_answer(item))
    assert validate_answers(form, answers) == []
    card = score(form, answers, form_version=3, content_hash="h")
    assert not card.passed
    assert card.total_percent is not None and card.total_percent < 50
    assert card.follow_ups
    assert {f.item for f in card.follow_ups if f.share == 0} <= set(card.failed_items)


def test_fuel_attendant_hand_computed(seed_forms: dict[str, FormDocument]) -> None:
    form = seed_forms["fuel-attendant"]
    answers = [
        Answer(item="p1_greeting", value=True),
        Answer(item="p2_needs", value=4),  # (4-1)/(5-1) = 0.75
        Answer(item="p3_courtesy", value=5),
        Answer(item="p4_equal_treatment", value=True),
        Answer(item="p7_no_argument", value=True),  # weight 1.5
        Answer(item="unsafe_behaviour", value="engine_running"),
        Answer(item="p5_safety_intervention", value=True),  # weight 2
        Answer(item="other_unsafe_seen", value=False),  # p5_other_intervention does not apply
        Answer(item="queue_occurred", value=False),  # p6 does not apply
        Answer(item="p8_six_voices", value=["welcome_voice", "thanks_voice", "farewell_voice"]),  # 3/5
        Answer(item="p8_apology_voice", na=True),
        Answer(item="p8_voice_qualities", value=["loud", "clear", "proper_address", "warm_greeting", "sincere_tone"]),
    ]
    assert validate_answers(form, answers) == []
    card = score(form, answers, form_version=1, content_hash="h")
    # earned 1 + .75 + 1 + 1 + 1.5 + 2 + .6 + 1 = 8.85 of 9.5
    assert (card.earned, card.possible, card.total_percent) == (8.85, 9.5, 93.16)
    assert card.passed
    # 3 of 5 voices is below the 80 % follow-up threshold though nothing failed.
    assert [(f.item, f.share) for f in card.follow_ups] == [("p8_six_voices", 0.6)]
    assert [(e.kind, e.item) for e in card.explanations] == [
        ("inapplicable", "p5_other_intervention"), ("inapplicable", "p6_queue_handling"), ("na", "p8_apology_voice"),
    ]
    statuses = {i.key: i.status for i in card.items}
    assert statuses["p6_queue_handling"] == "inapplicable"
    assert statuses["p8_six_voices"] == "partial"
    assert statuses["queue_occurred"] == "unscored"

    unsafe = [a if a.item != "p5_safety_intervention" else Answer(item=a.item, value=False) for a in answers]
    failed = score(form, unsafe, form_version=1, content_hash="h")
    assert failed.total_percent == 0.0 and not failed.passed
    assert [(e.item, e.effect) for e in failed.critical_effects] == [("p5_safety_intervention", "fail_form")]
    (follow_up, _voices) = failed.follow_ups
    assert (follow_up.item, follow_up.due_in_days, follow_up.critical, follow_up.evidence_required) == (
        "p5_safety_intervention",
        3,
        True,
        True,
    )


def test_quality_service_weighs_attitude_and_competence_equally(seed_forms: dict[str, FormDocument]) -> None:
    form = seed_forms["quality-service-seven"]
    assert [(s.key, s.weight, len(s.items)) for s in form.sections] == [("attitude", 1, 3), ("competence", 1, 4)]
    attitude = {"smile", "regard", "sincerity"}
    answers = [Answer(item=i.key, value=5 if i.key in attitude else 3) for _, i in form.iter_items()]
    card = score(form, answers, form_version=1, content_hash="h")
    # attitude 100 %, competence 50 %: the mean, not the pooled 5/7 = 71.43 %.
    assert card.section_weighted and card.total_percent == 75.0 and card.passed
    # 3 of 5 is exactly half the points: not below the 0.5 threshold, so no follow-ups.
    assert card.follow_ups == ()


def test_complaint_handling_follows_up_on_missed_receiving_steps(seed_forms: dict[str, FormDocument]) -> None:
    form = seed_forms["complaint-handling"]
    answers = _answers(
        form, best_answer, {"receiving_steps": Answer(item="receiving_steps", value=["approached", "asked_name"])}
    )
    card = score(form, answers, form_version=1, content_hash="h")
    assert [(f.item, f.share) for f in card.follow_ups] == [("receiving_steps", 0.4)]
    assert card.failed_items == () and card.section_weighted
    # receive: (0.4 + 1) / 2 = 70 %; resolve 100 %; equal shares.
    assert [s.percent for s in card.sections] == [70.0, 100.0] and card.total_percent == 85.0
