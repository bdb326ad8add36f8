from livret.render.spreadsheet import french_csv, safe_text


def test_french_csv_bytes():
    data = french_csv(["Nom", "Note sur 20"], [["ÉGRÈVE", 13.3], ["=HYPERLINK(\"http://x\")", -1.5], ["A;B", 20]])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["Nom;Note sur 20", "ÉGRÈVE;13,3", '"\'=HYPERLINK(""http://x"")";-1,5', '"A;B";20']


def test_safe_text_leaves_ordinary_text():
    assert safe_text("Dupont") == "Dupont"
    assert safe_text("+33 6") == "'+33 6"
