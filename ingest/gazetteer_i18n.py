"""Country adjectives and inflected forms in the feeds' languages.

CLDR gives one name per country and language; news also writes "Frankreichs",
"französischen", "brasileña", "japonaise", "Rosji", "włoskiego", "России". This module turns a
few stems per country into those forms with each language's regular endings. Adjectives in
German, French, Spanish, Italian, Portuguese, Polish, Russian and Ukrainian are written in lower
case, so they match in lower case (English and Dutch ones must be capitalized).
"""

from __future__ import annotations

from collections.abc import Iterator

# code: (de adjective stem, fr, es, it, pt masculine singular, pl stem, ru stem, uk stem, nl)
_ADJ = """
AF afghanisch afghan afgano afgano afegão afgańsk афганск афганськ Afghaans
AL albanisch albanais albanés albanese albanês albańsk албанск албанськ Albanees
DZ algerisch algérien argelino algerino argelino algiersk алжирск алжирськ Algerijns
AR argentinisch argentin argentino argentino argentino argentyńsk аргентинск аргентинськ Argentijns
AM armenisch arménien armenio armeno arménio armeńsk армянск вірменськ Armeens
AU australisch australien australiano australiano australiano australijsk австралийск австралійськ Australisch
AT österreichisch autrichien austriaco austriaco austríaco austriack австрийск австрійськ Oostenrijks
AZ aserbaidschanisch azerbaïdjanais azerbaiyano azero azeri azerbejdżańsk азербайджанск азербайджанськ Azerbeidzjaans
BY belarussisch biélorusse bielorruso bielorusso bielorrusso białorusk белорусск білоруськ Wit-Russisch
BE belgisch belge belga belga belga belgijsk бельгийск бельгійськ Belgisch
BA bosnisch bosnien bosnio bosniaco bósnio bośniack боснийск боснійськ Bosnisch
BR brasilianisch brésilien brasileño brasiliano brasileiro brazylijsk бразильск бразильськ Braziliaans
BG bulgarisch bulgare búlgaro bulgaro búlgaro bułgarsk болгарск болгарськ Bulgaars
CA kanadisch canadien canadiense canadese canadiano kanadyjsk канадск канадськ Canadees
CL chilenisch chilien chileno cileno chileno chilijsk чилийск чилійськ Chileens
CN chinesisch chinois chino cinese chinês chińsk китайск китайськ Chinees
CO kolumbianisch colombien colombiano colombiano colombiano kolumbijsk колумбийск колумбійськ Colombiaans
HR kroatisch croate croata croato croata chorwack хорватск хорватськ Kroatisch
CU kubanisch cubain cubano cubano cubano kubańsk кубинск кубинськ Cubaans
CY zyprisch chypriote chipriota cipriota cipriota cypryjsk кипрск кіпрськ Cypriotisch
CZ tschechisch tchèque checo ceco checo czesk чешск чеськ Tsjechisch
DK dänisch danois danés danese dinamarquês duńsk датск данськ Deens
EG ägyptisch égyptien egipcio egiziano egípcio egipsk египетск єгипетськ Egyptisch
EE estnisch estonien estonio estone estónio estońsk эстонск естонськ Estisch
ET äthiopisch éthiopien etíope etiope etíope etiopsk эфиопск ефіопськ Ethiopisch
FI finnisch finlandais finlandés finlandese finlandês fińsk финск фінськ Fins
FR französisch français francés francese francês francusk французск французьк Frans
GE georgisch géorgien georgiano georgiano georgiano gruzińsk грузинск грузинськ Georgisch
DE deutsch allemand alemán tedesco alemão niemieck немецк німецьк Duits
GR griechisch grec griego greco grego greck греческ грецьк Grieks
HU ungarisch hongrois húngaro ungherese húngaro węgiersk венгерск угорськ Hongaars
IS isländisch islandais islandés islandese islandês islandzk исландск ісландськ IJslands
IN indisch indien indio indiano indiano indyjsk индийск індійськ Indiaas
ID indonesisch indonésien indonesio indonesiano indonésio indonezyjsk индонезийск індонезійськ Indonesisch
IR iranisch iranien iraní iraniano iraniano irańsk иранск іранськ Iraans
IQ irakisch irakien iraquí iracheno iraquiano irack иракск іракськ Iraaks
IE irisch irlandais irlandés irlandese irlandês irlandzk ирландск ірландськ Iers
IL israelisch israélien israelí israeliano israelita izraelsk израильск ізраїльськ Israëlisch
IT italienisch italien italiano italiano italiano włosk итальянск італійськ Italiaans
JP japanisch japonais japonés giapponese japonês japońsk японск японськ Japans
JO jordanisch jordanien jordano giordano jordano jordańsk иорданск йорданськ Jordaans
KZ kasachisch kazakh kazajo kazako cazaque kazachsk казахск казахськ Kazachs
KE kenianisch kényan keniano keniota queniano kenijsk кенийск кенійськ Keniaans
KR südkoreanisch sud-coréen surcoreano sudcoreano sul-coreano południowokoreańsk южнокорейск південнокорейськ Zuid-Koreaans
KP nordkoreanisch nord-coréen norcoreano nordcoreano norte-coreano północnokoreańsk северокорейск північнокорейськ Noord-Koreaans
LV lettisch letton letón lettone letão łotewsk латвийск латвійськ Lets
LB libanesisch libanais libanés libanese libanês libańsk ливанск ліванськ Libanees
LY libysch libyen libio libico líbio libijsk ливийск лівійськ Libisch
LT litauisch lituanien lituano lituano lituano litewsk литовск литовськ Litouws
LU luxemburgisch luxembourgeois luxemburgués lussemburghese luxemburguês luksembursk люксембургск люксембурзьк Luxemburgs
MX mexikanisch mexicain mexicano messicano mexicano meksykańsk мексиканск мексиканськ Mexicaans
MD moldauisch moldave moldavo moldavo moldavo mołdawsk молдавск молдовськ Moldavisch
MA marokkanisch marocain marroquí marocchino marroquino marokańsk марокканск марокканськ Marokkaans
NL niederländisch néerlandais neerlandés olandese holandês holendersk нидерландск нідерландськ Nederlands
NZ neuseeländisch néo-zélandais neozelandés neozelandese neozelandês nowozelandzk новозеландск новозеландськ Nieuw-Zeelands
NG nigerianisch nigérian nigeriano nigeriano nigeriano nigeryjsk нигерийск нігерійськ Nigeriaans
NO norwegisch norvégien noruego norvegese norueguês norwesk норвежск норвезьк Noors
PK pakistanisch pakistanais pakistaní pakistano paquistanês pakistańsk пакистанск пакистанськ Pakistaans
PS palästinensisch palestinien palestino palestinese palestiniano palestyńsk палестинск палестинськ Palestijns
PE peruanisch péruvien peruano peruviano peruano peruwiańsk перуанск перуанськ Peruaans
PH philippinisch philippin filipino filippino filipino filipińsk филиппинск філіппінськ Filipijns
PL polnisch polonais polaco polacco polaco polsk польск польськ Pools
PT portugiesisch portugais portugués portoghese português portugalsk португальск португальськ Portugees
RO rumänisch roumain rumano rumeno romeno rumuńsk румынск румунськ Roemeens
RU russisch russe ruso russo russo rosyjsk российск російськ Russisch
SA saudisch saoudien saudí saudita saudita saudyjsk саудовск саудівськ Saoedisch
RS serbisch serbe serbio serbo sérvio serbsk сербск сербськ Servisch
SK slowakisch slovaque eslovaco slovacco eslovaco słowack словацк словацьк Slowaaks
SI slowenisch slovène esloveno sloveno esloveno słoweńsk словенск словенськ Sloveens
ZA südafrikanisch sud-africain sudafricano sudafricano sul-africano południowoafrykańsk южноафриканск південноафриканськ Zuid-Afrikaans
ES spanisch espagnol español spagnolo espanhol hiszpańsk испанск іспанськ Spaans
SE schwedisch suédois sueco svedese sueco szwedzk шведск шведськ Zweeds
CH schweizerisch suisse suizo svizzero suíço szwajcarsk швейцарск швейцарськ Zwitsers
SY syrisch syrien sirio siriano sírio syryjsk сирийск сирійськ Syrisch
TW taiwanisch taïwanais taiwanés taiwanese taiwanês tajwańsk тайваньск тайванськ Taiwanees
TH thailändisch thaïlandais tailandés thailandese tailandês tajsk тайск тайськ Thais
TN tunesisch tunisien tunecino tunisino tunisino tunezyjsk тунисск туніськ Tunesisch
TR türkisch turc turco turco turco tureck турецк турецьк Turks
UA ukrainisch ukrainien ucraniano ucraino ucraniano ukraińsk украинск українськ Oekraïens
AE emiratisch émirien emiratí emiratino emiradense emirack эмиратск еміратськ Emiraats
GB britisch britannique británico britannico britânico brytyjsk британск британськ Brits
US amerikanisch américain estadounidense statunitense estadunidense amerykańsk американск американськ Amerikaans
VE venezolanisch vénézuélien venezolano venezuelano venezuelano wenezuelsk венесуэльск венесуельськ Venezolaans
VN vietnamesisch vietnamien vietnamita vietnamita vietnamita wietnamsk вьетнамск в'єтнамськ Vietnamees
"""

# German nouns for people (singular masculine); plural, feminine and genitive are derived.
_DE_PEOPLE = {
    "US": "Amerikaner US-Amerikaner",
    "AT": "Österreicher",
    "CH": "Schweizer",
    "IT": "Italiener",
    "ES": "Spanier",
    "NL": "Niederländer",
    "BE": "Belgier",
    "NO": "Norweger",
    "UA": "Ukrainer",
    "JP": "Japaner",
    "CA": "Kanadier",
    "AU": "Australier",
    "BR": "Brasilianer",
    "MX": "Mexikaner",
    "IR": "Iraner",
    "IQ": "Iraker",
    "IN": "Inder",
    "EG": "Ägypter",
    "IS": "Isländer",
    "NZ": "Neuseeländer",
    "AR": "Argentinier",
    "SY": "Syrer",
    "AF": "Afghanen",
    "KE": "Kenianer",
    "RU": "Russe",
    "FR": "Franzose",
    "CN": "Chinese",
    "GB": "Brite",
    "PL": "Pole",
    "TR": "Türke",
    "GR": "Grieche",
    "SE": "Schwede",
    "DK": "Däne",
    "FI": "Finne",
    "CZ": "Tscheche",
    "SK": "Slowake",
    "HU": "Ungar",
    "RO": "Rumäne",
    "BG": "Bulgare",
    "HR": "Kroate",
    "RS": "Serbe",
    "IL": "Israeli",
    "PT": "Portugiese",
    "IE": "Ire",
}
_DE_FEMININE = {"Franzose": "Französin", "Ire": "Irin", "Israeli": "Israelin"}

# Names that German, Polish, Russian and Ukrainian decline beyond what the rules derive.
_EXTRA_NAMES = {
    "DE": "Bundesrepublik Deutschland Bundesrepublik BRD Niemiec Niemczech Niemcom Niemcami",
    "US": "Vereinigten_Staaten Vereinigte_Staaten_von_Amerika Stanach_Zjednoczonych "
    "Stanom_Zjednoczonym США Америка Америки Америке Америку ЗША Америки",
    "GB": "Großbritanniens Wielkiej_Brytanii Великобритании Великобританию Британии Британія "
    "Британії",
    "NL": "Niederlanden Holandii Нидерландов",
    "CN": "Chin Chinach Chinom КНР",
    "IT": "Włoch Włoszech Włochom",
    "CZ": "Czech Czechach",
    "HU": "Węgier Węgrzech",
    "CH": "Schweiz",
    "TR": "Türkei",
    "RU": "Russische_Föderation Federacji_Rosyjskiej РФ",
    "KR": "Южная_Корея Южной_Кореи Южную_Корею Южной_Корее Південна_Корея Південної_Кореї "
    "Південній_Кореї Південну_Корею",
    "KP": "Северная_Корея Северной_Кореи Северную_Корею Північна_Корея Північної_Кореї КНДР",
    "BY": "Белоруссия Белоруссии Белоруссию",
    "AE": "Emirats Émirats ОАЭ ОАЕ",
}

_LANGUAGE_NAMES = {
    "de": "Deutsch Englisch Französisch Spanisch Italienisch Russisch Ukrainisch Polnisch "
    "Chinesisch Japanisch Arabisch Türkisch Portugiesisch Niederländisch Griechisch",
}


def _de_adjectives(stem: str) -> list[str]:
    return [stem + e for e in ("e", "en", "er", "es", "em")]


def _fr_forms(m: str) -> list[str]:
    if m.endswith("ien") or m.endswith("éen"):
        return [m, m + "ne", m + "s", m + "nes"]
    if m.endswith("e"):
        return [m, m + "s"]
    if m.endswith(("s", "x")):
        return [m, m + "e", m + "es"]
    if m.endswith("c"):  # grec → grecque, turc → turque
        return [m, m + "s", m[:-1] + "que", m[:-1] + "ques", m + "que", m + "ques"]
    return [m, m + "e", m + "s", m + "es"]


_UNACCENT = str.maketrans("áéíóú", "aeiou")


def _es_forms(m: str) -> list[str]:
    if m.endswith("o"):
        return [m, m[:-1] + "a", m + "s", m[:-1] + "as"]
    if m.endswith(("e", "a")):
        return [m, m + "s"]
    if m.endswith(("í", "ú")):
        return [m, m + "es", m + "s"]
    base = m[:-2] + m[-2:].translate(_UNACCENT)
    return [m, base + "a", base + "es", base + "as"]


def _it_forms(m: str) -> list[str]:
    if m.endswith("co"):
        return [m, m[:-1] + "a", m[:-1] + "hi", m[:-1] + "he"]
    if m.endswith("o"):
        return [m, m[:-1] + "a", m[:-1] + "i", m[:-1] + "e"]
    if m.endswith("e"):
        return [m, m[:-1] + "i"]
    return [m, m + "i", m + "e"]


def _pt_forms(m: str) -> list[str]:
    if m.endswith("ão"):
        return [m, m[:-2] + "ã", m[:-2] + "ães", m[:-2] + "ãs"]
    if m.endswith("o"):
        return [m, m[:-1] + "a", m + "s", m[:-1] + "as"]
    if m.endswith("ês"):
        return [m, m[:-2] + "esa", m[:-2] + "eses", m[:-2] + "esas"]
    if m.endswith(("e", "a")):
        return [m, m + "s"]
    return [m, m + "a", m + "es", m + "as"]


def _pl_forms(stem: str) -> list[str]:
    soft = stem.endswith(("k", "g"))
    i = "i" if soft else "y"
    return [
        stem + e
        for e in (
            i,
            "a",
            i + "e" if soft else "e",
            i + "ego",
            i + "ej",
            i + "emu",
            i + "m",
            "ą",
            i + "ch",
            i + "mi",
        )
    ] + _pl_personal(stem)


def _pl_personal(stem: str) -> list[str]:
    """The masculine-personal plural softens -sk and -ck: chińscy, polscy, niemieccy."""
    if stem.endswith("sk"):
        return [stem[:-2] + "scy"]
    if stem.endswith("ck"):
        return [stem[:-2] + "ccy"]
    return []


def _ru_forms(stem: str) -> list[str]:
    return [
        stem + e
        for e in ("ий", "ая", "ое", "ие", "ого", "ому", "им", "ом", "ой", "ую", "их", "ими")
    ]


def _uk_forms(stem: str) -> list[str]:
    return [
        stem + e
        for e in ("ий", "а", "е", "і", "ого", "ому", "им", "ій", "у", "их", "ими", "ої", "ою")
    ]


# Adjective forms that are ordinary words in English or another feed language ("fine china").
FALSE_FRIENDS = frozenset(
    {
        "china",
        "chinas",
        "turca",
        "indiano",
        "indiana",
        "indianas",
        "indiani",
        "indiane",
        "grega",
        "irlandes",
    }
)


# Adjectives of constituent countries and a few more, per language: (code, language, stem).
_EXTRA_ADJ = (
    ("GB", "de", "schottisch"),
    ("GB", "de", "englisch"),
    ("GB", "de", "walisisch"),
    ("GB", "fr", "écossais"),
    ("GB", "fr", "anglais"),
    ("GB", "fr", "gallois"),
    ("GB", "es", "escocés"),
    ("GB", "es", "inglés"),
    ("GB", "it", "scozzese"),
    ("GB", "it", "inglese"),
    ("GB", "pt", "escocês"),
    ("GB", "pt", "inglês"),
    ("GB", "pl", "szkock"),
    ("GB", "pl", "angielsk"),
    ("GB", "pl", "walijsk"),
    ("GB", "ru", "английск"),
    ("GB", "ru", "шотландск"),
    ("GB", "uk", "англійськ"),
    ("GB", "uk", "шотландськ"),
)
_FORMS = {
    "de": lambda m: _de_adjectives(m),
    "fr": lambda m: _fr_forms(m),
    "es": lambda m: _es_forms(m),
    "it": lambda m: _it_forms(m),
    "pt": lambda m: _pt_forms(m),
    "pl": lambda m: _pl_forms(m),
    "ru": lambda m: _ru_forms(m),
    "uk": lambda m: _uk_forms(m),
}


def adjectives() -> Iterator[tuple[str, str, bool, str]]:
    """(form, code, must_be_capitalized, language) for every adjective form."""
    for line in _ADJ.strip().splitlines():
        code, *stems, nl = line.split()
        for lang, stem in zip(("de", "fr", "es", "it", "pt", "pl", "ru", "uk"), stems, strict=True):
            for form in _FORMS[lang](stem):
                if len(form) >= 4 and form not in FALSE_FRIENDS:
                    yield form, code, False, lang
        yield nl + "e", code, True, "nl"
    for code, lang, stem in _EXTRA_ADJ:
        for form in _FORMS[lang](stem):
            if form not in FALSE_FRIENDS:
                yield form, code, False, lang


def combining_forms() -> Iterator[tuple[str, str, str]]:
    """(form, code, language): the adjective as the first half of a hyphenated compound
    ("russisch-ukrainisch", "polsko-ukraińska", "российско-украинский")."""
    for line in _ADJ.strip().splitlines():
        code, de, _fr, _es, _it, _pt, pl, ru, uk, _nl = line.split()
        yield de, code, "de"
        yield pl + "o", code, "pl"
        yield ru + "о", code, "ru"
        yield uk + "о", code, "uk"


def people() -> Iterator[tuple[str, str]]:
    """German nouns for a country's people, with plural, feminine and genitive forms."""
    for code, words in _DE_PEOPLE.items():
        for word in words.split():
            if word.endswith("er"):
                forms = [word, word + "n", word + "s", word + "in", word + "innen"]
            elif word.endswith("e"):
                feminine = _DE_FEMININE.get(word, word[:-1] + "in")
                forms = [word, word + "n", feminine, feminine + "nen"]
            else:
                feminine = _DE_FEMININE.get(word, word + "in")
                forms = [word, word + "n", word + "s", feminine, feminine + "nen"]
            for form in forms:
                yield form, code


_MORE_NAMES = (
    ("KP", "Nord-Korea Nordkoreas"),
    ("KR", "Süd-Korea Südkoreas"),
    ("NL", "Holländer Holländern Holländerin"),
    (
        "GB",
        "England Englands Schottland Schottlands Nordirland Nordirlands Angleterre Écosse "
        "Inglaterra Escocia Irlanda_del_Norte Anglia Anglii Szkocja Szkocji Walia Walii "
        "Inghilterra Scozia Engeland Schotland Англия Англии Шотландия Шотландии Англія "
        "Шотландія Engländer Engländern Schotte Schotten",
    ),
    ("CN", "中国 中華人民共和国"),
    ("JP", "日本"),
    ("US", "米国 アメリカ 美国"),
    ("KR", "韓国 大韓民国 韩国"),
    ("KP", "北朝鮮 朝鲜"),
    ("RU", "ロシア 俄罗斯"),
    ("UA", "ウクライナ 乌克兰"),
    ("GB", "英国 イギリス"),
    ("FR", "フランス 法国"),
    ("DE", "ドイツ 德国"),
    ("PL", "Polak Polacy Polaka Polakiem Polka Polki Polaków"),
    ("RU", "Rosjanin Rosjanie Rosjanina Rosjan Rosjanka"),
    ("DK", "Duńczyk Duńczycy Duńczyka Duńczyków"),
    ("AU", "Australijczyk Australijczycy Australijczyka Australijczyków"),
    ("SK", "Słowak Słowacy Słowaka Słowaków"),
    ("US", "Amerykanin Amerykanie Amerykanina Amerykanów"),
    ("FR", "Francuz Francuzi Francuza Francuzów"),
    ("GB", "Anglik Anglicy Anglika Brytyjczyk Brytyjczycy Szkot Szkoci"),
    ("SE", "Szwed Szwedzi Szweda Szwedów"),
    ("NO", "Norweg Norwegowie Norwega"),
    ("UA", "Ukrainiec Ukraińcy Ukraińca Ukraińców"),
    ("CZ", "Czesi Czecha Czechów"),
    ("LV", "Łotysz Łotysze Łotysza"),
    ("CR", "costarricense costarricenses Costarricense"),
    ("PA", "panameño panameña panameños"),
    ("GT", "guatemalteco guatemalteca guatemaltecos"),
    ("HN", "hondureño hondureña hondureños"),
    ("SV", "salvadoreño salvadoreña salvadoreños"),
    ("NI", "nicaragüense nicaragüenses"),
    ("DO", "dominicano dominicana dominicanos"),
    ("EC", "ecuatoriano ecuatoriana ecuatorianos"),
    ("BO", "boliviano boliviana bolivianos"),
    ("PY", "paraguayo paraguaya paraguayos"),
    ("UY", "uruguayo uruguaya uruguayos"),
    ("PR", "puertorriqueño puertorriqueña puertorriqueños"),
    ("UY", "uruguaio uruguaia uruguaios uruguaias"),
    ("NL", "Holanda Holandy"),
    (
        "GB",
        "Irlanda_del_Nord Irlanda_do_Norte Irlanda_de_Nord Irlande_du_Nord Irlandii_Północnej "
        "Irlandia_Północna Severní_Irsko Severního_Irska Észak-Írország Észak-Írországban "
        "Pohjois-Irlanti Pohjois-Irlannin Pohjois-Irlannissa Nord-Irland Северная_Ирландия "
        "Северной_Ирландии Північна_Ірландія Північної_Ірландії Kuzey_İrlanda",
    ),
    ("PY", "paraguaio paraguaia paraguaios paraguaias"),
    ("NL", "Голландия Голландии Голландию Голландія Голландії"),
    ("GB", "Англії Англію Англию"),
    ("DE", "ФРГ ФРН"),
    ("KR", "Corée Corea Coreia"),
)


def extra_names() -> Iterator[tuple[str, str]]:
    for code, names in (*_EXTRA_NAMES.items(), *_MORE_NAMES):
        for name in names.split():
            yield name.replace("_", " "), code


def language_names() -> Iterator[str]:
    for names in _LANGUAGE_NAMES.values():
        yield from names.split()
