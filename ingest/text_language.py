"""Which languages a text is written in, from its commonest short words.

The country detector reads a word as a country only in the languages that name the country
so: German "Island" is Iceland, English "island" is not; Czech "Indie" is India, English
"indie" is music; Romanian "germane" is German, English "germane" is relevant. Function words
tell the languages apart well enough for that on a few hundred characters, at a few
microseconds a text, with nothing to download (a model would be both slower and larger).
"""

from __future__ import annotations

from collections.abc import Container

import ahocorasick

# Frequent function words that are rare in the other languages listed (shared words such as
# "de", "a", "i", "en" count for each language that has them).
_WORDS = {
    "en": "the and of to is was that for with are on by this from have has it at be were "
    "which their said not they been would will",
    "de": "der die das und ist nicht mit den von zu des sich auf für dem ein eine auch wird "
    "sind wurde nach bei im",
    "fr": "le la les et des est une dans que du pour qui pas sur au par avec ce sont aux été "
    "cette mais",
    "es": "el la los las y que del en por una con para es se su como más fue pero al lo",
    "it": "il la di che per del della un una non sono con gli si nel alla dei delle anche è ha",
    "pt": "o os as de que do da em um uma para com não dos das no na por mais é foi ao",
    "pl": "i w z na się nie do że to jest jak od po przez dla są oraz który także jego",
    "nl": "de het een en van is dat op niet zijn voor met ook die worden werd naar wordt maar",
    "fi": "ja on ei että oli se hän mutta myös kun tai joka ovat ole jo vain sen nyt kuin mukaan",
    "sv": "och att det som en är för på med av till inte den har var om ett från också men "
    "kan vid sig i vill",
    "da": "og at det er en til på med af for som den har ikke var de et fra også men kan blev "
    "sig i vil",
    "nb": "og i det er som en til på med av for at har ikke var de et fra også men kan ble seg vil",
    "cs": "a je se na v že to s z do o jako by ale pro jsou které který byl bylo také jeho "
    "podle už",
    "hu": "a az és hogy nem is egy van meg de ez már csak volt mint még azt vagy pedig lesz "
    "szerint",
    "ro": "și în de la cu pe a că nu din o un este mai sau care pentru au fost fi ca iar",
    "tr": "ve bir bu da de için ile olarak daha çok gibi en ne olan ama kadar sonra değil ise göre",
    "ru": "и в не на что с по это как к из за от о для он но его также был было который уже",
    "uk": "і в у не на що з до це як за від для та про його також був було який вже але",
}
# Letters that only some of these languages write: on a short sentence with few function words
# they decide (Romanian ă ș ț, Hungarian ő ű, Czech ř ů ě, Polish ł ą ę, Danish and Norwegian
# ø æ, Turkish ğ ı, Portuguese ã õ, Spanish ñ, Ukrainian і ї є, Russian ы э ё).
_LETTERS = {
    **dict.fromkeys("ășțȘȚ", ("ro",)),
    **dict.fromkeys("îâ", ("ro", "fr", "pt")),
    **dict.fromkeys("őű", ("hu",)),
    **dict.fromkeys("řůěčšž", ("cs",)),
    **dict.fromkeys("łąęśźżńć", ("pl",)),
    "å": ("sv", "da", "nb"),
    **dict.fromkeys("øæ", ("da", "nb")),
    "ä": ("fi", "sv", "de"),
    "ö": ("fi", "sv", "de", "hu", "tr"),
    "ü": ("de", "tr", "hu"),
    "ß": ("de",),
    **dict.fromkeys("ğış", ("tr",)),
    "ç": ("fr", "pt", "tr"),
    **dict.fromkeys("ãõ", ("pt",)),
    "ñ": ("es",),
    **dict.fromkeys("ыэъё", ("ru",)),
    **dict.fromkeys("іїєґ", ("uk",)),
}
LETTER_WEIGHT = 0.5  # a distinctive letter, each time up to four, is half a function word
_LANGUAGE_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in _WORDS.items():
    for _word in _words.split():
        _LANGUAGE_OF[_word] = (*_LANGUAGE_OF.get(_word, ()), _lang)
# One pass of an automaton over the sample finds the function words between spaces (a word
# next to punctuation is missed: the count is a sample anyway); a Python tokenizer costs four
# times as much, and the detector runs this on every article.
_FUNCTION_WORDS = ahocorasick.Automaton()
for _word, _langs in _LANGUAGE_OF.items():
    _FUNCTION_WORDS.add_word(f" {_word} ", _langs)
_FUNCTION_WORDS.make_automaton()
SAMPLE = 1500  # characters read: enough for a verdict, cheap on long texts
MIN_CUES = 1  # fewer function words than this: no verdict (a headline, a name alone)
SHARE = 0.5  # a language counts when it has this share of the leading language's cues


def guess_languages(text: str) -> frozenset[str] | None:
    """The languages the text is written in (usually one; two for a mixed page), or None when
    it is too short to say."""
    counts: dict[str, float] = {}
    sample = text[:SAMPLE].lower()  # lower keeps ß (casefold makes it "ss")
    for letter in set(sample).intersection(_LETTERS):
        langs = _LETTERS[letter]
        weight = LETTER_WEIGHT * min(sample.count(letter), 4) / len(langs)
        for lang in langs:
            counts[lang] = counts.get(lang, 0) + weight
    for _end, langs in _FUNCTION_WORDS.iter(" " + sample.replace("\n", " ") + " "):
        for lang in langs:  # a word shared by k languages is a k-th of a cue to each
            counts[lang] = counts.get(lang, 0) + 1 / len(langs)
    if not counts:
        return None
    top = max(counts.values())
    if top < MIN_CUES:
        return None
    return frozenset(lang for lang, n in counts.items() if n >= top * SHARE)


# Languages that capitalize the nouns their country adjectives also are ("die Deutschen",
# "les Français", "de Nederlanders").
CAPITALIZING = frozenset({"de", "fr", "nl"})


class KnownLanguages:
    """The text's languages, guessed on first need: most matches are words every language
    shares ("China", "U.S."), and a text that has only those never pays for the guess."""

    __slots__ = ("_done", "_guarded", "_text", "_value")

    def __init__(
        self, text: str, given: frozenset[str] | None, guarded: Container[str] = ()
    ) -> None:
        self._text, self._value, self._done = text, given, given is not None
        self._guarded = guarded

    def _guess(self) -> frozenset[str] | None:
        if not self._done:
            self._value, self._done = guess_languages(self._text), True
        return self._value

    def allow(self, langs: frozenset[str]) -> bool:
        """Whether a word that is a country in ``langs`` may be one here."""
        value = self._guess()
        return value is None or bool(langs & value)

    def foreign_name(self) -> bool:
        """Whether a capitalized word before a country's name makes a name here: the text is
        known and neither English nor German."""
        value = self._guess()
        return value is not None and not value & {"en", "de"}

    def english(self) -> bool:
        """Whether the text may be English (a text too short to tell may be)."""
        value = self._guess()
        return value is None or "en" in value

    def get(self, surface: str) -> frozenset[str] | None:
        """The languages, for a rule that reads them (only a guarded name does)."""
        return self._guess() if surface in self._guarded else None
