"""Stage 1, bytes to text: `decode_bytes` on UTF-8, BOMs, legacy encodings and binary."""
from __future__ import annotations

import codecs
import random

import pytest

from cleaner.decode import DecodeError, decode_bytes, looks_binary

FRENCH = ("Le garçon était très âgé, à l'hôpital de Genève où il a reçu des soins spécialisés "
          "pendant une année entière. Après sa sortie, il est allé vivre chez sa sœur à Montréal, "
          "près du fleuve Saint-Laurent.")
# The same text without the two characters latin-1 lacks (œ, and nothing else here).
FRENCH_LATIN1 = FRENCH.replace("œ", "oe")
CP1252 = ("“Le cœur a ses raisons que la raison ne connaît point” — c’est Pascal qui l’a écrit. "
          "Prix : 20 € TTC… « déjà » payé ; Œuvres complètes, tome 2.")
GERMAN = ("Die Größe der Straße überraschte die Mädchen. Grüße aus München: das Wetter ist schön, "
          "die Bäume blühen und der Fußballplatz ist voller Kinder.")
RUSSIAN = (
    "Москва - столица России, город федерального значения, административный центр Центрального "
    "федерального округа и центр Московской области, в состав которой не входит. Крупнейший по "
    "численности населения город России и её субъект - 13 миллионов жителей.\n"
    "Впервые город упоминается в летописи под 1147 годом. В XV веке Москва стала центром "
    "объединения русских земель. Император Пётр I в 1712 году перенёс столицу в Санкт-Петербург, "
    "однако в 1918 году правительство вернулось в Москву.\n"
    "Сегодня здесь находятся органы государственной власти, посольства иностранных государств, "
    "крупнейшие университеты, театры и музеи страны.\n"
)
JAPANESE = ("日本語の文章です。東京は日本の首都であり、世界でも有数の大都市です。多くの人々が毎日電車で"
            "通勤しています。春には桜が咲き、公園は花見をする人でいっぱいになります。")
CHINESE_SIMPLIFIED = ("北京是中华人民共和国的首都，也是全国的政治和文化中心。这座城市有着三千多年的历史，"
                      "是世界著名的古都。每年都有大量游客来这里参观故宫和长城。")
CHINESE_TRADITIONAL = ("臺北是中華民國的首都，也是全國的政治和文化中心。這座城市有著悠久的歷史，"
                       "是世界著名的城市之一。每年都有大量遊客來這裡參觀故宮博物院。")
KOREAN = ("서울은 대한민국의 수도이며 정치, 경제, 사회, 문화의 중심지이다. 한강이 도시의 중앙을 가로질러 "
          "흐르고 있다. 많은 사람들이 매일 지하철을 타고 출근한다.")


# -- UTF-8 and byte-order marks ------------------------------------------------------

@pytest.mark.parametrize("text", ["plain ASCII", FRENCH, CP1252, RUSSIAN, JAPANESE, KOREAN,
                                  "emoji 🙂 and \U0001f1eb\U0001f1f7", "line\r\nbreaks\r\n"])
def test_utf8_is_taken_as_is(text):
    assert decode_bytes(text.encode("utf-8")) == (text, "utf-8")


def test_utf8_bom_is_dropped():
    text, encoding = decode_bytes(codecs.BOM_UTF8 + FRENCH.encode("utf-8"))
    assert text == FRENCH and encoding == "utf-8-sig"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    for text in (FRENCH, JAPANESE, "ascii only text"):
        decoded, encoding = decode_bytes(bom + text.encode(codec))
        assert decoded == text and encoding == "utf-16"


def test_utf16_default_encoder_writes_a_bom():
    assert decode_bytes(CP1252.encode("utf-16"))[0] == CP1252


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_utf32_with_bom(codec):
    bom = codecs.BOM_UTF32_LE if codec.endswith("le") else codecs.BOM_UTF32_BE
    assert decode_bytes(bom + KOREAN.encode(codec)) == (KOREAN, "utf-32")


def test_broken_utf16_after_bom_is_an_error():
    with pytest.raises(DecodeError, match="byte-order mark"):
        decode_bytes(codecs.BOM_UTF16_LE + "é".encode("utf-16-le") + b"\x00\xd8")  # half a surrogate pair


def test_empty():
    assert decode_bytes(b"") == ("", "utf-8")


# -- legacy encodings ------------------------------------------------------------------

def test_cp1252_curly_quotes_and_euro():
    text, encoding = decode_bytes(CP1252.encode("cp1252"))
    assert text == CP1252
    assert encoding == "cp1252"


@pytest.mark.parametrize("text", [FRENCH_LATIN1, GERMAN])
def test_latin1(text):
    data = text.encode("latin-1")
    decoded, encoding = decode_bytes(data)
    assert decoded == text
    # latin-1 is read as its superset cp1252, as browsers do; the German text is
    # labelled cp1250 (which agrees with latin-1 on its letters): the text is right.
    assert encoding in ("cp1252", "cp1250")


@pytest.mark.parametrize("text, codec", [
    (RUSSIAN, "cp1251"),
    (RUSSIAN, "koi8-r"),
    (JAPANESE, "shift_jis"),
    (JAPANESE, "euc-jp"),
    (CHINESE_SIMPLIFIED, "gb18030"),
    (CHINESE_SIMPLIFIED, "gb2312"),
    (CHINESE_TRADITIONAL, "big5"),
    (KOREAN, "euc-kr"),
])
def test_legacy_encodings(text, codec):
    data = text.encode(codec)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # so the legacy path is the one under test
    decoded, encoding = decode_bytes(data)
    assert decoded == text, f"{codec} detected as {encoding}"
    assert encoding != "utf-8"


def test_legacy_records_with_ascii_markup_round_trip():
    """A JSONL line in cp1252 (ASCII syntax around the text) decodes whole."""
    line = ('{"id": "a1", "url": "https://example.fr/x", "text": "' + CP1252 + '"}').encode("cp1252")
    assert decode_bytes(line)[0].endswith(CP1252 + '"}')


# Short legacy texts, where charset-normalizer's scores tie or mislead.
def test_short_latin1_french():
    text = "Le garçon était très âgé, à l'hôpital de Genève où il a reçu des soins spécialisés."
    assert decode_bytes(text.encode("latin-1"))[0] == text


# Short Cyrillic: charset-normalizer takes KOI8-R for cp1251 or for Shift-JIS
# half-width katakana; the case of the letters tells the code pages apart.
SHORT_CYRILLIC = [
    "Москва - столица России, крупнейший по численности населения город страны. "
    "Здесь находятся органы государственной власти.",
    "Привет мир",
    "ООН и НАТО: заявление МИД России",
    "София е столицата на България. Градът е разположен в подножието на Витоша.",
]


@pytest.mark.parametrize("codec", ["koi8-r", "cp1251", "iso8859-5", "cp866"])
@pytest.mark.parametrize("text", SHORT_CYRILLIC, ids=["ru-sentences", "ru-two-words", "ru-acronyms", "bg-sentences"])
def test_short_cyrillic(text, codec):
    decoded, encoding = decode_bytes(text.encode(codec))
    assert decoded == text, f"{codec} read as {encoding}"


@pytest.mark.parametrize("text", [FRENCH, GERMAN, CP1252])
def test_short_latin_text_is_not_read_as_cyrillic(text):
    """A Latin page's accented letters are Cyrillic letters in cp1251, inside Latin words."""
    for codec in ("cp1252", "latin-1"):
        try:
            data = text.encode(codec)
        except UnicodeEncodeError:
            continue
        assert decode_bytes(data)[0] == text


# -- binary content --------------------------------------------------------------------

PNG_HEADER = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61"
    "0000000467414d410000b18f0bfc6105000000097048597300000ec300000ec301c76fa864"
)


@pytest.mark.parametrize("data, reason", [
    (b"text with a NUL\x00 byte and a latin-1 \xe9", "NUL"),
    (b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 30 + "é".encode("latin-1"), "control bytes"),
    (random.Random(7).randbytes(4096), "binary content"),
    (PNG_HEADER, "NUL"),
    (PNG_HEADER + random.Random(3).randbytes(2000), "binary content"),
    ("UTF-16 sans marque d'ordre, déjà".encode("utf-16-le"), "NUL"),
], ids=["nul", "controls", "random-blob", "png-header", "png-file", "utf16-no-bom"])
def test_binary_is_refused_with_a_reason(data, reason):
    with pytest.raises(DecodeError, match=reason) as info:
        decode_bytes(data)
    assert str(info.value).startswith("binary content")
    assert looks_binary(data) == str(info.value)


# Binary bytes that happen to be valid UTF-8 are taken as text today: the
# UTF-8 fast path returns before looks_binary runs (see the report).
@pytest.mark.parametrize("data", [
    b"text with a NUL\x00 byte in the middle, otherwise plain",
    bytes(range(1, 32)) * 20 + b"some text",
    "UTF-16 without a byte-order mark".encode("utf-16-le"),
    b"\x00" * 512,
], ids=["nul", "controls", "utf16-no-bom", "zeros"])
def test_binary_that_is_valid_utf8_is_refused(data):
    with pytest.raises(DecodeError, match="binary content"):
        decode_bytes(data)


def test_control_characters_allowed_in_text():
    """Tab, newlines, form feed and escape are text; a few other controls are tolerated."""
    text = "col1\tcol2\r\npage\x0cbreak \x1b[31mred\x1b[0m"
    assert decode_bytes(text.encode("utf-8")) == (text, "utf-8")
    legacy = ("caf\xe9 " * 40 + "\x07").encode("latin-1")
    assert looks_binary(legacy) is None
    assert decode_bytes(legacy)[0] == "café " * 40 + "\x07"
