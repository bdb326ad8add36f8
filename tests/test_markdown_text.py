"""User and file text in Markdown (livret.ui.markdown_text): shown literally, whatever it holds."""

import pytest

from livret.ui import WORD_JOINER, markdown_text

HOSTILE = ["**gras**", "_souligné_", "[lien](https://exemple.fr)", "![image](x.png)", "<script>alert(1)</script>",
           "- puce", "1. liste", "# titre", ":red[rouge]", "$x^2$", "`code`", "a | b", "~~barré~~", "\\"]


@pytest.mark.parametrize("text", HOSTILE)
def test_every_markdown_sign_is_escaped_and_nothing_is_lost(text):
    escaped = markdown_text(text).replace(WORD_JOINER, "")
    assert escaped.replace("\\", "") == text.replace("\\", "")
    for sign in "*_[]<>#$`|~":  # « :red[…] » needs its brackets, a link or an image too
        assert sign not in escaped.replace(f"\\{sign}", ""), sign


@pytest.mark.parametrize(("text", "escaped"), [("- puce", "\\- puce"), ("1. liste", "1\\. liste"),
                                               ("a\n+ b", "a\n\\+ b"), ("12) point", "12\\) point")])
def test_a_list_marker_starting_a_line_is_escaped(text, escaped):
    assert markdown_text(text) == escaped


def test_plain_french_text_is_unchanged_but_for_invisible_escapes():
    assert markdown_text("MARTIN Léa") == "MARTIN Léa"
    assert markdown_text("Réussite partielle : « C1 » 12,5 %.") == "Réussite partielle : « C1 » 12,5 %."
    assert markdown_text("Donnez un titre (court) à l'évaluation - ou deux.") == \
        "Donnez un titre (court) à l'évaluation - ou deux."
    assert markdown_text(42) == "42"


@pytest.mark.parametrize(("text", "broken"), [
    ("http://exemple.fr", "http:\u2060//exemple.fr"), ("voir https://exemple.fr/a?b=1.", "voir https:\u2060//exemple.fr/a?b=1."),
    ("www.exemple.fr", "www\u2060.exemple.fr"), ("WWW.exemple.fr", "WWW\u2060.exemple.fr"),
    ("ftp://exemple.fr", "ftp:\u2060//exemple.fr"),
])
def test_a_bare_address_is_broken_by_an_invisible_joiner_so_it_is_not_linked(text, broken):
    assert markdown_text(text) == broken
    assert markdown_text(text).replace(WORD_JOINER, "") == text  # it reads the same


def test_a_colon_that_starts_no_address_is_left_alone():
    assert markdown_text("Note : 12/20 à 10:30, www") == "Note : 12/20 à 10:30, www"


def test_colour_around_escaped_text_keeps_its_brackets_whole():
    shown = f":red[{markdown_text('[lien](http://exemple.fr) :blue[x]')}]"
    assert shown.startswith(":red[") and shown.endswith("]")
    assert "]" not in shown[5:-1].replace("\\]", "")  # only the colour's own bracket closes it


def test_an_email_address_stays_whole_so_it_can_be_copied():
    assert markdown_text("Compte créé : lea.martin@exemple.fr.") == "Compte créé : lea.martin@exemple.fr."


def test_a_double_hyphen_stays_two_hyphens():
    # Streamlit's Markdown makes « -- » a dash, even escaped: « C4 : -- » (a level) must read as typed.
    shown = markdown_text("C4 : -- ; C5 : --- ; un - seul")
    assert shown.replace(WORD_JOINER, "") == "C4 : -- ; C5 : --- ; un - seul"
    assert "--" not in shown and shown.count(WORD_JOINER) == 3
