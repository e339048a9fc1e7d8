"""Country adjectives and peoples in Finnish, Swedish, Danish, Norwegian, Czech, Hungarian,
Romanian and Turkish, with each language's regular endings.

Like ``gazetteer_i18n`` for the feeds' first languages: a few stems per country, turned into
the forms news writes ("ruotsalaisten", "svenska", "německého", "németek", "germanilor",
"Almanların"). Adjectives these languages write in lower case match in lower case; Turkish
writes peoples capitalized. The forms a language uses for the language itself are left out
("németül", "Almanca", "česky"), so "in German" never counts as Germany.
"""

from __future__ import annotations

from collections.abc import Iterator

from ingest.name_cases import hu_harmony

# code: fi demonym stem (+nen, +sen, ...), sv adjective, da, nb, cs adjective stem (+ý, +á,
# ...), hu adjective, ro adjective (masculine|plural stem), tr people. "-": none written here.
_ADJ = """
AF afganistanilai afghansk afghansk afghansk afghánsk afgán afgan Afgan
AL albanialai albansk albansk albansk albánsk albán albanez Arnavut
DZ algerialai algerisk algerisk algerisk alžírsk algériai algerian|algerien Cezayirli
AR argentiinalai argentinsk argentinsk argentinsk argentinsk argentin argentinian|argentinien Arjantinli
AM armenialai armenisk armensk armensk arménsk örmény armean|armen Ermeni
AU australialai australisk australsk australsk australsk ausztrál australian|australien Avustralyalı
AT itävaltalai österrikisk østrigsk østerriksk rakousk osztrák austriac Avusturyalı
AZ azerbaidžanilai azerbajdzjansk aserbajdsjansk aserbajdsjansk ázerbájdžánsk azerbajdzsáni azer Azerbaycanlı
BY valkovenäläi belarusisk hviderussisk hviterussisk běloruský belarusz belarus Belaruslu
BE belgialai belgisk belgisk belgisk belgick belga belgian|belgien Belçikalı
BA bosnialai bosnisk bosnisk bosnisk bosensk bosnyák bosniac Boşnak
BR brasilialai brasiliansk brasiliansk brasiliansk brazilsk brazil brazilian|brazilien Brezilyalı
BG bulgarialai bulgarisk bulgarsk bulgarsk bulharsk bolgár bulgar Bulgar
CA kanadalai kanadensisk canadisk kanadisk kanadsk kanadai canadian|canadien Kanadalı
CL chileläi chilensk chilensk chilensk chilsk chilei chilian|chilien Şilili
CN kiinalai kinesisk kinesisk kinesisk čínsk kínai chinez Çinli
CO kolumbialai colombiansk colombiansk colombiansk kolumbijsk kolumbiai columbian|columbien Kolombiyalı
HR kroatialai kroatisk kroatisk kroatisk chorvatsk horvát croat Hırvat
CU kuubalai kubansk cubansk cubansk kubánsk kubai cubanez Kübalı
CY kyproslai cypriotisk cypriotisk kypriotisk kyperský ciprusi cipriot Kıbrıslı
CZ tšekkiläi tjeckisk tjekkisk tsjekkisk česk cseh ceh Çek
DK tanskalai dansk dansk dansk dánsk dán danez Danimarkalı
EG egyptiläi egyptisk egyptisk egyptisk egyptsk egyiptomi egiptean|egiptean Mısırlı
EE virolai estnisk estisk estisk estonsk észt estonian|estonien Estonyalı
ET etiopialai etiopisk etiopisk etiopisk etiopsk etióp etiopian|etiopien Etiyopyalı
FI suomalai finsk finsk finsk finsk finn finlandez Finlandiyalı
FR ranskalai fransk fransk fransk francouzsk francia francez Fransız
GE georgialai georgisk georgisk georgisk gruzínsk grúz georgian|georgien Gürcü
DE saksalai tysk tysk tysk německ német german Alman
GR kreikkalai grekisk græsk gresk řeck görög grec Yunan
HU unkarilai ungersk ungarsk ungarsk maďarsk magyar maghiar Macar
IS islantilai isländsk islandsk islandsk islandsk izlandi islandez İzlandalı
IN intialai indisk indisk indisk indick indiai indian|indien Hintli
ID indonesialai indonesisk indonesisk indonesisk indonésk indonéz indonezian|indonezien Endonezyalı
IR iranilai iransk iransk iransk íránsk iráni iranian|iranien İranlı
IQ irakilai irakisk irakisk irakisk irácký iraki irakian|irakien Iraklı
IE irlantilai irländsk irsk irsk irsk ír irlandez İrlandalı
IL israelilai israelisk israelsk israelsk izraelsk izraeli israelian|israelien İsrailli
IT italialai italiensk italiensk italiensk italsk olasz italian|italien İtalyan
JP japanilai japansk japansk japansk japonsk japán japonez Japon
JO jordanialai jordansk jordansk jordansk jordánsk jordániai iordanian|iordanien Ürdünlü
KZ kazakstanilai kazakisk kasakhisk kasakhisk kazašsk kazah kazah Kazak
KE kenialai kenyansk kenyansk kenyansk keňsk kenyai kenyan|kenyen Kenyalı
KR eteläkorealai sydkoreansk sydkoreansk sørkoreansk jihokorejsk dél-koreai sud-coreean|sud-coreen Güney_Koreli
KP pohjoiskorealai nordkoreansk nordkoreansk nordkoreansk severokorejsk észak-koreai nord-coreean|nord-coreen Kuzey_Koreli
LV latvialai lettisk lettisk latvisk lotyšsk lettországi leton Letonyalı
LB libanonilai libanesisk libanesisk libanesisk libanonsk libanoni libanez Lübnanlı
LY libyalai libysk libysk libysk libyjsk líbiai libian|libien Libyalı
LT liettualai litauisk litauisk litauisk litevsk litván lituanian|lituanien Litvanyalı
MX meksikolai mexikansk mexicansk meksikansk mexick mexikói mexican Meksikalı
MD moldovalai moldavisk moldovisk moldovsk moldavsk moldáv moldovean|moldoven Moldovalı
MA marokkolai marockansk marokkansk marokkansk marock marokkói marocan Faslı
NL hollantilai nederländsk nederlandsk nederlandsk nizozemsk holland olandez Hollandalı
NZ uusiseelantilai nyzeeländsk newzealandsk newzealandsk novozélandsk új-zélandi neozeelandez Yeni_Zelandalı
NG nigerialai nigeriansk nigeriansk nigeriansk nigerijsk nigériai nigerian|nigerien Nijeryalı
NO norjalai norsk norsk norsk norsk norvég norvegian|norvegien Norveçli
PK pakistanilai pakistansk pakistansk pakistansk pákistánsk pakisztáni pakistanez Pakistanlı
PS palestiinalai palestinsk palæstinensisk palestinsk palestinsk palesztin palestinian|palestinien Filistinli
PL puolalai polsk polsk polsk polsk lengyel polonez Polonyalı
PT portugalilai portugisisk portugisisk portugisisk portugalsk portugál portughez Portekizli
RO romanialai rumänsk rumænsk rumensk rumunsk román român Rumen
RU venäläi rysk russisk russisk rusk orosz rus|ruș Rus
SA saudiarabialai saudisk saudisk saudisk saúdsk szaúdi saudit Suudi
RS serbialai serbisk serbisk serbisk srbsk szerb sârb Sırp
SK slovakialai slovakisk slovakisk slovakisk slovensk szlovák slovac Slovak
SI slovenialai slovensk slovensk slovensk slovinsk szlovén sloven Sloven
ZA eteläafrikkalai sydafrikansk sydafrikansk sørafrikansk jihoafrick dél-afrikai sud-african|sud-africen Güney_Afrikalı
ES espanjalai spansk spansk spansk španělsk spanyol spaniol İspanyol
SE ruotsalai svensk svensk svensk švédsk svéd suedez İsveçli
CH sveitsiläi schweizisk schweizisk sveitsisk švýcarsk svájci elvețian|elvețien İsviçreli
SY syyrialai syrisk syrisk syrisk syrsk szíriai sirian|sirien Suriyeli
TW taiwanilai taiwanesisk taiwansk taiwansk tchajwansk tajvani taiwanez Tayvanlı
TH thaimaalai thailändsk thailandsk thailandsk thajsk thaiföldi thailandez Taylandlı
TN tunisialai tunisisk tunesisk tunisisk tuniský tunéziai tunisian|tunisien Tunuslu
TR turkkilai turkisk tyrkisk tyrkisk tureck török turc Türk
UA ukrainalai ukrainsk ukrainsk ukrainsk ukrajinsk ukrán ucrainean|ucrainen Ukraynalı
GB brittiläi brittisk britisk britisk britsk brit britanic Britanyalı
US yhdysvaltalai amerikansk amerikansk amerikansk americk amerikai american Amerikalı
VE venezuelalai venezuelansk venezuelansk venezuelansk venezuelsk venezuelai venezuelean|venezuelen Venezuelalı
VN vietnamilai vietnamesisk vietnamesisk vietnamesisk vietnamsk vietnami vietnamez Vietnamlı
"""

# More words per language for a country or its people, matched as written (with the forms
# given): constituent countries, peoples' nouns, other names.
_MORE = {
    "fi": (
        ("GB", "englantilai skotlantilai walesilai"),
        ("US", "amerikkalai"),
        ("NL", "alankomaalai"),
    ),
    "sv": (("GB", "engelsk skotsk walesisk"),),
    "da": (("GB", "engelsk skotsk walisisk"),),
    "nb": (("GB", "engelsk skotsk walisisk"),),
    "cs": (("GB", "anglick skotsk velšsk"),),
    "hu": (("GB", "angol skót walesi"),),
    "ro": (("GB", "englez scoțian"), ("HU", "ungar"), ("BG", "bulgăr")),
    "tr": (("GB", "İngiliz İskoç"), ("US", "Amerikan")),
}

# The Scandinavian languages' nouns for peoples (lower case), as written.
_PEOPLES = {
    "FR": "franskmænd franskmand franskmenn franskmann fransmän fransman fransmännen",
    "NO": "nordmænd nordmand nordmenn nordmann nordmennene norrmän norrman norrmännen",
    "DK": "danskere dansker danskerne danskar danskarna",
    "SE": "svenskere svensker svenskerne svenskar svenskarna",
    "DE": "tyskere tysker tyskerne tyskar tyskarna",
    "FI": "finner finnerne finnar finnarna",
    "RU": "russere russer russerne ryssar ryss ryssarna",
    "CN": "kinesere kineser kineserne kineserna",
    "GB": "briter briterne britter britterna",
    "PL": "polakker polakkerne polacker polackerna",
    "IS": "islændinge islænding islendinger islänningar",
    "UA": "ukrainere ukrainerne ukrainare ukrainarna",
    "VN": "vietnameser vietnameserne vietnameserna vietnamesere",
    "PE": "peruvianer peruvianere peruvianske peruviansk",
    "US": "amerikanere amerikanerne amerikanen amerikanerna amerikaner",
}

# Names and forms the rules do not derive: plurals, irregular stems, usual short names.
_NAMES = {
    "fi": (
        (
            "US",
            "Yhdysvallat Yhdysvaltojen Yhdysvaltain Yhdysvalloissa Yhdysvalloista "
            "Yhdysvaltoihin Yhdysvalloille Yhdysvalloilla Yhdysvaltoja Yhdysvaltoina",
        ),
        (
            "GB",
            "Britannia Britannian Britanniassa Britanniasta Britanniaan Britannialle "
            "Ison-Britannian Isossa-Britanniassa Isosta-Britanniasta Isoon-Britanniaan",
        ),
        (
            "NL",
            "Alankomaat Alankomaiden Alankomaissa Alankomaista Alankomaihin Hollanti "
            "Hollannin Hollannissa Hollannista Hollantiin",
        ),
        ("GB", "Englanti Skotlanti Wales Walesin Walesissa"),
    ),
    "sv": (("GB", "England Englands Skottland Skottlands Wales"),),
    "da": (("GB", "England Englands Skotland Skotlands Wales"),),
    "nb": (("GB", "England Englands Skottland Skottlands Wales"), ("GR", "Hellas Hellas'")),
    "cs": (
        ("US", "Spojených_států Spojeným_státům Spojených_státech Spojenými_státy USA"),
        (
            "GB",
            "Británie Británii Británií Velké_Británie Velkou_Británii Velké_Británii "
            "Velkou_Británií Anglie Anglii Anglií Skotsko Skotska Skotsku",
        ),
        (
            "CZ",
            "České_republiky České_republice Českou_republiku Českou_republikou Česká_republika",
        ),
        ("US", "Amerika"),
        (
            "SE",
            "Švédové Švédů Švédy",
        ),
        ("NO", "Norové Norů"),
        ("DK", "Dánové Dánů"),
        ("FI", "Finové Finů"),
        ("RU", "Rusové Rusů Rusům"),
        ("DE", "Němci Němců Němcům Němec"),
        ("US", "Američané Američanů Američan"),
        ("GB", "Britové Britů"),
        ("FR", "Francouzi Francouzů"),
        ("PL", "Poláci Poláků"),
        ("UA", "Ukrajinci Ukrajinců"),
        ("SK", "Slováci Slováků"),
        ("HU", "Maďaři Maďarů"),
        ("AT", "Rakušané Rakušanů"),
        ("IT", "Italové Italů"),
        ("ES", "Španělé Španělů"),
        ("GR", "Řekové Řeků"),
        ("TR", "Turci Turků"),
        ("CN", "Číňané Číňanů"),
        ("JP", "Japonci Japonců"),
        ("IL", "Izraelci Izraelců"),
        ("CA", "Kanaďané Kanaďanů Kanaďany Kanaďan"),
        ("VN", "Vietnamci Vietnamců Vietnamec"),
        ("PS", "Palestinci Palestinců"),
    ),
    "hu": (
        ("US", "Egyesült_Államokat"),
        (
            "GB",
            "Nagy-Britannia Nagy-Britanniában Nagy-Britanniából Nagy-Britanniába "
            "Nagy-Britanniát Nagy-Britannián Anglia Angliában Angliából Angliába",
        ),
        ("NL", "Hollandia Hollandiában Hollandiából Hollandiába"),
    ),
    "ro": (
        ("US", "SUA Statele_Unite Statelor_Unite America Americii"),
        ("GB", "Marea_Britanie Marii_Britanii Regatului_Unit Anglia Angliei Scoția Scoției"),
        ("MD", "Republica_Moldova Republicii_Moldova"),
        ("KP", "Coreei_de_Nord"),
        ("KR", "Coreei_de_Sud"),
        ("NL", "Olanda Olandei"),
        ("RO", "românesc românească românești românesti"),
    ),
    "pt": (
        ("AO", "angolano angolana angolanos angolanas"),
        ("MZ", "moçambicano moçambicana moçambicanos moçambicanas"),
        ("EC", "equatoriano equatoriana"),
        ("GB", "Escócia País_de_Gales"),
        ("PS", "Cisjordânia"),
    ),
    "es": (
        ("AO", "angoleño angoleña"),
        ("MZ", "mozambiqueño"),
        ("ML", "Malí"),
        ("NL", "holandés holandesa holandeses holandesas"),
        ("PS", "Cisjordania"),
        ("GB", "Gales"),
    ),
    "it": (
        ("EC", "ecuadoriano ecuadoriana ecuadoriani ecuadoriane"),
        ("SN", "senegalese"),
        ("PS", "Cisgiordania"),
        ("US", "Usa"),
        ("GB", "Galles"),
    ),
    "ru": (("MD", "Молдавия Молдавии Молдавию Молдавией"),),
    "fr": (
        ("SN", "sénégalais sénégalaise sénégalaises"),
        ("GN", "guinéen guinéenne guinéens guinéennes"),
        ("ML", "malien malienne maliens maliennes"),
        ("PS", "Cisjordanie"),
        ("GB", "Pays_de_Galles"),
    ),
    "de": (
        ("BY", "Weißrussland Weißrusslands Weissrussland"),
        ("BA", "Bosnien-Herzegowina Bosnien-Herzegowinas"),
        ("AE", "Vereinigten_Arabischen_Emirate Vereinigten_Arabischen_Emiraten"),
        ("PS", "Gazakrieg Gazakriegs Gaza-Krieg Gaza-Kriegs"),
    ),
    "pl": (("BY", "Białorusi Białorusią Białorusin Białorusini"),),
    "nl": (
        ("NL", "Nederlanders Nederlander"),
        ("GB", "Noord-Ierland Schotland Wales Engels Engelse Brits Britse Schots Schotse"),
        ("US", "Amerikanen Amerikaan"),
        ("DE", "Duitsers Duitser"),
        ("FR", "Fransen Fransman"),
        ("GB", "Britten Brit Engelsen"),
        ("BE", "Belgen"),
        ("RU", "Russen"),
        ("CN", "Chinezen"),
        ("TR", "Turken"),
        ("MA", "Marokkanen"),
        ("BS", "Bahama's"),
    ),
    "tr": (
        ("BA", "Bosna_Hersek Bosna-Hersek Bosna_Hersekli"),
        ("US", "ABD Amerika"),
        ("GB", "İngiltere Britanya İskoçya Galler"),
        ("NL", "Hollanda"),
        ("PS", "Gazze Filistin"),
    ),
}

# The Finnish endings of a -lainen/-läinen word: ruotsalai-nen, -sen, -set, -sten, -sia, ...
_FI_ENDINGS = (
    "nen",
    "sen",
    "set",
    "sten",
    "sia",
    "sta",
    "sessa",
    "sesta",
    "selle",
    "sella",
    "selta",
    "seksi",
    "sena",
    "seen",
    "siin",
    "sissa",
    "sista",
    "sille",
    "silla",
    "silta",
    "siksi",
    "sina",
    "stakin",
    "setkin",
)


def _fi_forms(stem: str) -> list[str]:
    front = not any(c in "aou" for c in stem)
    table = str.maketrans("ao", "äö") if front else str.maketrans("", "")
    return [stem + e.translate(table) for e in _FI_ENDINGS]


def _nordic_forms(adjective: str) -> list[str]:
    """svensk, svenska, svenskt, svenske; the peoples' nouns are different words."""
    return [adjective, adjective + "a", adjective + "e", adjective + "t"]


def _cs_forms(stem: str) -> list[str]:
    """Czech adjective endings; the plural of persons softens the stem (americk -> američtí,
    rusk -> ruští). The adverb in -y names the language ("česky") and is not derived."""
    if stem.endswith("ý"):  # a stem given in the masculine form
        stem = stem[:-1]
    soft = stem[:-2] + {"ck": "čt", "sk": "št"}.get(stem[-2:], stem[-2:])
    return [stem + e for e in ("ý", "á", "é", "ého", "ému", "ém", "ým", "ou", "ých", "ými")] + [
        soft + "í"
    ]


def _hu_plural(adjective: str) -> str:
    harmony = hu_harmony(adjective)
    if adjective.endswith("i"):
        return adjective + ("ak" if harmony == "back" else "ek")
    if adjective.endswith("a"):
        return adjective[:-1] + "ák"
    if adjective.endswith("e"):
        return adjective[:-1] + "ék"
    return adjective + {"back": "ok", "front": "ek", "round": "ök"}[harmony]


def _hu_forms(adjective: str) -> list[str]:
    """német, németek, németeket, németeknek, ...; never németül (the language)."""
    plural = _hu_plural(adjective)
    back = hu_harmony(adjective) == "back"
    endings = (
        ("at", "nak", "kal", "ból", "ban", "ra", "tól", "hoz")
        if back
        else ("et", "nek", "kel", "ből", "ben", "re", "től", "hez")
    )
    return [adjective, plural, *(plural + e for e in endings)]


def _ro_forms(spec: str) -> list[str]:
    """german, germană, germani, germane, germanii, germanilor, germanul, germanului."""
    base, _, plural = spec.partition("|")
    plural = plural or base
    feminine = base + ("că" if base.endswith("ean") else "ă")  # moldovean, moldoveancă
    return [
        base,
        feminine,
        plural + "i",
        base + "e",
        plural + "ii",
        plural + "ilor",
        base + "ul",
        base + "ului",
    ]  # not the feminine definite ("franceza", "turca"): it names the language


_TR_VOWELS = "aıoueiöü"


def _tr_forms(people: str) -> list[str]:
    """Alman, Almanlar, Almanların, Almanlara, Almanları, Almanın, Almana, ... (vowel
    harmony); never Almanca (the language)."""
    vowels = [c for c in people.casefold() if c in _TR_VOWELS]
    last = vowels[-1] if vowels else "e"
    back = last in "aıou"
    plural = people + ("lar" if back else "ler")
    i4 = {"a": "ı", "ı": "ı", "o": "u", "u": "u", "e": "i", "i": "i", "ö": "ü", "ü": "ü"}[last]
    pi = "ı" if back else "i"
    a = "a" if back else "e"
    buffer_n = "n" if people[-1] in _TR_VOWELS else ""
    buffer_y = "y" if people[-1] in _TR_VOWELS else ""
    return [
        people,
        plural,
        plural + pi + "n",
        plural + a,
        plural + pi,
        plural + "d" + a,
        plural + "d" + a + "n",
        people + buffer_n + i4 + "n",
        people + buffer_y + a,
        people + buffer_y + i4,
    ]


_FORMS = {
    "fi": _fi_forms,
    "sv": _nordic_forms,
    "da": _nordic_forms,
    "nb": _nordic_forms,
    "cs": _cs_forms,
    "hu": _hu_forms,
    "ro": _ro_forms,
    "tr": _tr_forms,
}
_COLUMNS = ("fi", "sv", "da", "nb", "cs", "hu", "ro", "tr")


def adjectives() -> Iterator[tuple[str, str, str]]:
    """(form, code, language) for every adjective and people form of these languages."""
    rows = [line.split() for line in _ADJ.strip().splitlines()]
    for code, *words in rows:
        for lang, word in zip(_COLUMNS, words, strict=True):
            if word != "-":
                for form in _FORMS[lang](word.replace("_", " ")):
                    yield form, code, lang
    for lang, pairs in _MORE.items():
        for code, stems in pairs:
            for stem in stems.split():
                for form in _FORMS[lang](stem):
                    yield form, code, lang


def combining_forms() -> Iterator[tuple[str, str, str]]:
    """(form, code, language): Czech adjectives before a hyphen ("česko-slovenský")."""
    for code, *words in (line.split() for line in _ADJ.strip().splitlines()):
        stem = words[_COLUMNS.index("cs")].removesuffix("ý")
        yield stem + "o", code, "cs"


def peoples() -> Iterator[tuple[str, str, str]]:
    """(noun, code, language) of the Scandinavian nouns for peoples (da, nb and sv share
    most; each counts in all three)."""
    for code, words in _PEOPLES.items():
        for word in words.split():
            for lang in ("da", "nb", "sv"):
                yield word, code, lang


def names() -> Iterator[tuple[str, str, str]]:
    """(name, code, language): the names these languages use that CLDR and the rules miss."""
    for lang, pairs in _NAMES.items():
        for code, words in pairs:
            for word in words.split():
                yield word.replace("_", " "), code, lang
