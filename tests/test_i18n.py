"""The translation catalogue: every string the code marks has a German translation and none is stale, the
.po reader reads what the extractor writes, numbers are formatted per language, engine errors translate,
and the session's language follows a link, the browser and the sidebar's choice."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from mnistapp.catalogue import LANGUAGES, SOURCE, catalogue, error_text, ntranslate, number, parse_po, percent, translate
from mnistapp.engine_errors import ENGINE_ERRORS
from mnistapp.handout import handout_html
from mnistapp.lesson_steps import STEPS
from mnistapp.strings import POT, extract, missing_and_stale, po_text
from mnistcore import ImageFileError
from mnistcore.photo import read_photo

TRANSLATED = [lang for lang in LANGUAGES if lang != SOURCE]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalogue_string_has_a_translation_and_none_is_stale(lang):
    missing, stale = missing_and_stale(extract(), lang)
    assert not missing, f"{len(missing)} strings without a translation into {lang} (run make strings): {missing[:5]}"
    assert not stale, f"{lang}.po translates strings the code no longer has (run make strings): {stale[:5]}"


def test_the_pot_file_lists_the_strings_the_code_has():
    assert POT.read_text(encoding="utf-8") == po_text(extract(), None), "run make strings"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_translation_keeps_the_placeholders_of_its_english(lang):
    for (msgid, _plural), forms in catalogue(lang).items():
        for form in forms:
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(msgid)), (msgid, form)


def test_a_german_sentence_quotes_a_control_by_the_name_the_german_page_gives_it():
    """„Start training“ in a German hint would name a button the German page calls „Training starten“."""
    german = catalogue("de")
    for forms in german.values():
        for form in forms:
            for quoted in re.findall(r"„([^“]+)“", form):
                own = german.get((quoted, None))
                assert not own or own[0] in (quoted, ""), f"{form!r} quotes {quoted!r}, which reads {own[0]!r}"


def test_the_extractor_finds_marked_strings_and_the_reader_reads_back_what_it_writes(tmp_path):
    code = tmp_path / "page.py"
    code.write_text('_("Plain")\nN_("Say \\"hi\\"\\n" "and a backslash \\\\")\nngettext("{n} unit", "{n} units", n)\n'
                    'x = _(name)\nprint("not marked")\n', encoding="utf-8")
    strings = {k: ["page.py"] for k in extract([code])}
    assert list(strings) == [("Plain", None), ('Say "hi"\nand a backslash \\', None), ("{n} unit", "{n} units")]
    translations = {("Plain", None): ["Schlicht"], ('Say "hi"\nand a backslash \\', None): ['Sag „hi“\nund \\'],
                    ("{n} unit", "{n} units"): ["{n} Neuron", "{n} Neuronen"]}
    assert parse_po(po_text(strings, "de", translations)) == translations
    assert parse_po(po_text(strings, None)) == {key: [""] * (1 if key[1] is None else 2) for key in strings}


def test_translate_falls_back_to_english_and_ngettext_picks_the_form_for_n():
    assert translate("Lesson", "de") == "Lektion"
    assert translate("No such string in the catalogue", "de") == "No such string in the catalogue"
    assert translate("Lesson", "en") == "Lesson"
    one, many = "You have checked {n} test digit.", "You have checked {n} test digits."
    assert [ntranslate(one, many, n, "de") for n in (0, 1, 2)] == [
        "Du hast {n} Testziffern geprüft.", "Du hast {n} Testziffer geprüft.", "Du hast {n} Testziffern geprüft."]
    assert [ntranslate(one, many, n, "en") for n in (0, 1, 2)] == [many, one, many]
    assert ntranslate("{n} cat", "{n} cats", 1, "de") == "{n} cat"  # not in the catalogue: English's forms


@pytest.mark.parametrize("x, lang, digits, text", [
    (0.9941, "en", 2, "99.41%"), (0.9941, "de", 2, "99,41\u00a0%"), (0.95, "de", 0, "95\u00a0%"),
    (1.0, "en", 1, "100.0%"), (0.0005, "de", 2, "0,05\u00a0%"),
])
def test_percent_is_written_the_languages_way(x, lang, digits, text):
    assert percent(x, lang, digits) == text


def test_numbers_swap_the_decimal_and_thousands_marks_in_german():
    assert number(-3.14159, "de") == "-3,14"
    assert number(70000, "de", 0) == "70.000"
    assert number(70000.5, "en", 1) == "70,000.5"


def test_an_engine_error_is_shown_translated_with_its_numbers_and_unknown_ones_stay_english():
    with pytest.raises(ImageFileError) as empty:
        read_photo(b"")
    assert error_text(str(empty.value), "de", ENGINE_ERRORS) == "Die Datei ist leer. Wähle ein PNG- oder JPEG-Foto einer Ziffer."
    small = "The image is only 12 x 9 pixels. Send a photo at least 28 x 28."
    assert error_text(small, "de", ENGINE_ERRORS) == "Das Bild hat nur 12 × 9 Pixel. Schicke ein Foto mit mindestens 28 × 28 Pixeln."
    assert error_text("Something else went wrong.", "de", ENGINE_ERRORS) == "Something else went wrong."
    assert error_text(small, "en", ENGINE_ERRORS) == small


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_handout_has_every_step_its_task_and_equations_in_the_language(lang):
    page = handout_html(lang)
    assert f'<html lang="{lang}">' in page
    assert page.count("<section>") == len(STEPS)
    for step in STEPS:
        assert translate(step.task, lang).replace("„", "„") in page.replace("&quot;", '"').replace("&#x27;", "'")
        for eq in step.maths:
            assert eq.html in page
    if lang != SOURCE:
        english = [s.text for s in STEPS] + [s.task for s in STEPS]
        assert not [t for t in english if t in page]


PAGE = """
import streamlit as st
from mnistapp.i18n import _, language, language_selector
from mnistapp.links import apply_link, write_link
apply_link("weights")
language_selector()
st.markdown(_("Lesson"))
st.markdown("lang=" + language())
write_link("weights")
"""


def test_the_language_follows_a_link_and_the_sidebar_and_travels_in_the_link():
    at = AppTest.from_string(PAGE)
    at.query_params["lang"] = "de"
    at.run()
    assert at.markdown[0].value == "Lektion"
    assert at.query_params["lang"] == "de"
    at.sidebar.selectbox[0].set_value("en").run()
    assert at.markdown[0].value == "Lesson" and at.markdown[1].value == "lang=en"
    assert at.query_params["lang"] == "en"  # chosen: the link says it


def test_an_english_session_that_chose_nothing_leaves_the_link_alone():
    at = AppTest.from_string(PAGE).run()
    assert at.markdown[1].value == "lang=en"
    assert "lang" not in at.query_params


def test_a_mangled_language_in_the_link_is_ignored():
    at = AppTest.from_string(PAGE)
    at.query_params["lang"] = "xx"
    at.run()
    assert not at.exception
    assert at.markdown[1].value == "lang=en"
