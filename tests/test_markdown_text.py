"""User and file text in Markdown (livret.ui.markdown_text): shown literally, whatever it holds."""

import pytest

from livret.ui import markdown_text

HOSTILE = ["**gras**", "_souligné_", "[lien](https://exemple.fr)", "![image](x.png)", "<script>alert(1)</script>",
           "- puce", "1. liste", "# titre", ":red[rouge]", "$x^2$", "`code`", "a | b", "~~barré~~", "\\"]


@pytest.mark.parametrize("text", HOSTILE)
def test_every_markdown_sign_is_escaped_and_nothing_is_lost(text):
    escaped = markdown_text(text)
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
