"""Writing assessment: offline checks find real errors at the right offsets; scoring; LLM merge."""

from __future__ import annotations

import copy

import pytest

from pipelines.errors import PipelineError
from pipelines.llm.openai_provider import OpenAIProvider
from pipelines.writing import anchor_llm_errors, apply_corrections, assess_writing, cross_lingual
from pipelines.writing.spelling import _spellchecker
from pipelines.writing.unknown_words import MIN_LIFT
from tests.pipelines.text.fake_llm import completion, json_completion
from tests.pipelines.text.llm_samples import ANSWERS


def _found(text, result, check=None):
    return [
        (e.offset, text[e.offset : e.offset + e.length], e.replacements[:1])
        for e in result.errors
        if check is None or e.check == check
    ]


def test_english_misspellings_are_found_at_their_offsets_with_suggestions():
    # Given a sentence with three known misspellings
    text = "Yesterday I recieved a letter from my freind and it was definately long."
    # When assessed offline
    result = assess_writing(text, "en")
    # Then each is reported at its exact span with the right first suggestion
    assert _found(text, result, "spelling") == [
        (12, "recieved", ["received"]),
        (38, "freind", ["friend"]),
        (56, "definately", ["definitely"]),
    ]
    assert all(e.category == "spelling" and e.source == "offline" for e in result.errors)


def test_missing_accents_and_misspellings_in_spanish_and_french():
    # Given Spanish and French texts with missing accents and a misspelled word
    es = "Mi famlia vive en Sevilla. Tambien nadamos en el rio."
    fr = "Ma mere est tres gentille."
    # When assessed
    es_found = _found(es, assess_writing(es, "es"), "spelling")
    fr_found = _found(fr, assess_writing(fr, "fr"), "spelling")
    # Then accents and the misspelling are found; the rare but real "nadamos" is accepted
    assert es_found == [
        (3, "famlia", ["familia"]),
        (27, "Tambien", ["También"]),
        (49, "rio", ["río"]),
    ]
    assert fr_found == [(3, "mere", ["mère"]), (12, "tres", ["très"])]


def test_two_edit_misspellings_get_the_same_suggestions_as_the_reference_search():
    # Given misspellings with no dictionary word one edit away
    speller = _spellchecker("en")
    words = ["neccesary", "recieveing", "wsgi", "xyzzyq"]
    # When suggestions are searched with rapidfuzz, and by pyspellchecker's own generation
    # of every string two edits away (the slow reference)
    ours = [speller.candidates(w) for w in words]
    reference = [speller.checker.candidates(w) for w in words]
    # Then both find the same words, and the assessment offers the most frequent one
    assert ours == reference
    assert ours[0] == {"necessary"}
    text = "It is not neccesary."
    found = _found(text, assess_writing(text, "en"), "spelling")
    assert found == [(10, "neccesary", ["necessary"])]


def test_names_contractions_and_regional_spellings_are_not_misspellings():
    # Given correct text with rare names, a contraction and British spellings
    text = "I don't think Kowalczyk liked the colour of the centre in Szczecin."
    # When assessed / Then nothing is reported
    assert assess_writing(text, "en").errors == []
    # And names opening a sentence, possessives, clitics and brands are not corrected either
    text = (
        "Navi Pillay spoke first. Basford’s books sell well. Leifert said no, and then "
        "Leifert left. There're many iReport dependences."
    )
    assert assess_writing(text, "en").errors == []


def test_real_words_the_dictionary_lacks_are_not_changed_into_other_words():
    # Given edited text with rare formations, a German title, a loanword, a web address and
    # compounds WordNet lists
    text = (
        "Critics wrote about the historical facticity of capitalism and the "
        "recertification of the airline. The title was Neue Quellen zur Grundlegung. "
        "There is no arché or foundation. The video is at vimeo.com now. They played "
        "tic-tac-toe and made an a priori assumption. It was an axiological theory."
    )
    # When assessed
    spelling = [e for e in assess_writing(text, "en").errors if e.check == "spelling"]
    # Then WordNet's words and compounds pass, the web address is left alone, and the rest
    # are reported as not in the dictionary without a replacement ("activity", "our")
    assert [text[e.offset : e.offset + e.length] for e in spelling] == [
        "facticity",
        "recertification",
        "zur",
        "arché",
    ]
    assert all(e.replacements == [] and "not in the dictionary" in e.message for e in spelling)


def test_names_abbreviations_compounds_and_program_names_are_not_changed_into_words():
    # Given edited prose with a rare word a larger word list has, parts of hyphenated
    # compounds, a name and an abbreviation opening sentences, program names, a closed
    # compound, a dropped "g" and words of a path, a file name and an e-mail address: each
    # has a common word near it that its neighbours support
    text = (
        "We watched the improv show. Children like sing-alongs with physico-chemical "
        "games. Komen for the cure. Thx for the help. The dbus daemon and cmake ran. "
        "The dpkg tool and systemd start. Use reportbug to report it. I ain't payin "
        "for it. Read the /etc/passwd file and idna.h, or write to lool@dooz.org. A "
        "mosquitto broker reads /etc/mosquitto/certs first."
    )
    # When assessed
    spelling = [e for e in assess_writing(text, "en").errors if e.check == "spelling"]
    # Then none is changed into another word ("improve", "along", "Women", "Tax", "bus",
    # "make", "dog", "system", "reporting", "pain", "passed", "idea", "look", "mosquito"):
    # at most reported without a replacement
    assert spelling, "the words stay reported for the writer to check"
    assert [
        (text[e.offset : e.offset + e.length], e.replacements) for e in spelling if e.replacements
    ] == []


def test_program_names_in_running_prose_are_not_changed_into_words():
    # Given technical prose naming programs and files in running text: quoted as code, in
    # an identifier or a file name, listed with other programs, or in a sentence that writes
    # a command-line option; each is one or two edits from a word its neighbours support
    text = (
        "It serves the `group', `passwd' and `services' databases. See the "
        "mosquitto_passwd utility. Tests in foad1.sh fail. This includes arp, "
        "ifconfig, netstat, rarp and route. There is a race between the netbase and "
        "procps startup scripts. You need the libXrender and renderext packages. "
        "adduser --system can help you to create a user in your postinst."
    )
    # When assessed
    spelling = [e for e in assess_writing(text, "en").errors if e.check == "spelling"]
    # Then none is changed into another word ("passed", "food", "rare", "props",
    # "rendered", "posting")
    assert [
        (text[e.offset : e.offset + e.length], e.replacements) for e in spelling if e.replacements
    ] == []


def test_a_program_name_with_nothing_around_it_but_words_is_not_changed_into_a_word():
    # Given a program's name in a sentence of plain words, listed with a common word
    # ("login"): no code quote, path or option to tell it from a slip of "passed"
    text = "Read this file first for a brief overview of the new versions of login and passwd."
    # When assessed
    spelling = [e for e in assess_writing(text, "en").errors if e.check == "spelling"]
    # Then it is reported for the writer to check, not changed into "passed": wordfreq's
    # lists of languages in other scripts use it far more, relative to "passed", than
    # English does
    assert [(text[e.offset : e.offset + e.length], e.replacements) for e in spelling] == [
        ("passwd", [])
    ]


def test_slips_of_english_words_are_not_lifted_by_other_scripts_lists():
    # Given classic slips of English words (wordfreq's English list has them all) and
    # program names
    slips = {"freind": "friend", "recieve": "receive", "teh": "the", "becuase": "because"}
    slips |= {"sucessful": "successful", "definately": "definitely", "hause": "house"}
    # When each is compared with its replacement in the other scripts' lists
    # Then no slip reaches the lift that marks a name or code, and "passwd" does
    assert all(cross_lingual.lift(w, r)[0] < MIN_LIFT for w, r in slips.items())
    assert cross_lingual.lift("passwd", "passed")[0] >= MIN_LIFT
    # And a word no list of the table holds, or only one or two do, is never lifted
    assert cross_lingual.lift("ambassdaor", "ambassador") == (0.0, 0)


def test_the_cross_lingual_table_holds_words_that_several_lists_attest():
    # Given the table shipped with the code (rebuilt by `python -m
    # pipelines.writing.cross_lingual`) / Then every word is attested by at least three
    # lists, and common English words are in every list
    table = cross_lingual._table()
    assert len(table) > 20_000
    assert all(sum(z > 0 for z in values) >= cross_lingual.MIN_LISTS for values in table.values())
    assert all(z > 0 for z in table["friend"]) and len(table["friend"]) == 8


def test_slips_next_to_program_text_and_in_lists_of_words_keep_their_replacement():
    # Given slips one edit from their word in a sentence with code, and two misspelled words
    # listed together
    text = (
        "Setting the XDG_DATA_DIRS environtment variable may help. I like apples, "
        "banannas and oranjes."
    )
    # When assessed / Then each keeps its correction
    assert _found(text, assess_writing(text, "en"), "spelling") == [
        (26, "environtment", ["environment"]),
        (73, "banannas", ["bananas"]),
        (86, "oranjes", ["oranges"]),
    ]


def test_a_misspelled_inflection_keeps_the_ending_the_writer_meant():
    # Given "-ing", "-ed" and "-s" forms misspelled in the stem or where stem and ending meet
    text = "Thanks to Tony for maintaing it. I am studing a lot. We recieved two letters."
    # When assessed
    found = _found(text, assess_writing(text, "en"), "spelling")
    # Then the replacement keeps the form: "maintaining", not "maintain" one edit away
    assert found == [
        (19, "maintaing", ["maintaining"]),
        (38, "studing", ["studying"]),
        (56, "recieved", ["received"]),
    ]


def test_a_word_without_a_clear_replacement_gets_none_anywhere_in_the_text():
    # Given a rare real word, once where no replacement fits and once after "between",
    # where "citizens" would fit
    text = "Many Chinese netizens posted photos. Talks between netizens in three cities followed."
    # When assessed
    spelling = [e for e in assess_writing(text, "en").errors if e.check == "spelling"]
    # Then both places report it without a replacement: one verdict per word
    assert [(e.offset, e.replacements) for e in spelling] == [(13, []), (51, [])]


def test_misspellings_keep_their_replacement_when_context_or_form_makes_it_clear():
    # Given slips where the parts of a formation meet, and one with no neighbour to judge by
    text = "It is truely a good idea, and we had an arguement about it. Tomorow we go."
    # When assessed / Then each keeps the teacher's correction
    assert _found(text, assess_writing(text, "en"), "spelling") == [
        (6, "truely", ["truly"]),
        (40, "arguement", ["argument"]),
        (60, "Tomorow", ["Tomorrow"]),
    ]


def test_repeated_words_capitalisation_articles_and_spacing_are_found():
    # Given one text with each kind of mechanical error
    text = "i saw the the film.  it was a amazing film ,and an great story.Really"
    # When assessed
    result = assess_writing(text, "en")
    found = {(e.check, e.offset, text[e.offset : e.offset + e.length]) for e in result.errors}
    # Then every error is located on the words a learner reads (a doubled space or a missing
    # space next to another error stays on its characters)
    assert found == {
        ("capitalisation", 0, "i"),
        ("repeated_words", 6, "the the"),
        ("spacing", 19, "  "),
        ("capitalisation", 21, "it"),
        ("articles_a_an", 28, "a"),
        ("spacing", 38, "film ,and"),
        ("articles_a_an", 48, "an"),
        ("spacing", 62, "."),
        ("final_punctuation", 63, "Really"),
    }
    assert result.corrected_text == (
        "I saw the film. It was an amazing film, and a great story. Really."
    )
    assert result.corrected_text_source == "offline"


def test_a_pronoun_after_a_verb_that_takes_a_clause_is_still_checked():
    # Given "it" after a verb whose object is often a clause, and after a noun
    text = "I think it were cold. In the morning it were dark."
    # When assessed / Then both agreement errors are found
    assert _found(text, assess_writing(text, "en"), "agreement") == [
        (11, "were", ["was"]),
        (40, "were", ["was"]),
    ]


def test_a_an_is_not_judged_before_a_word_whose_sound_is_unknown():
    # Given an article before a program's name no word list has (said "ar-path") and, in
    # the same text, a slip before a known word
    text = "CMake inserts an rpath for you. It is a interesting book."
    # When assessed / Then only the known word's article is corrected
    assert _found(text, assess_writing(text, "en"), "articles_a_an") == [(38, "a", ["an"])]


def test_a_an_follows_sound_not_letter():
    # Given articles before words whose sound differs from their first letter
    text = "It was an hour at a university, a one-off, an MBA and a European trip."
    # When assessed / Then none is wrong
    assert _found(text, assess_writing(text, "en"), "articles_a_an") == []
    # And letters read by name, initialisms and prefixes are not taken for words
    text = (
        "Use an xterm over an ssh link on a Unix box. If script A imports B, where the a "
        "is just an a, we make a U-turn with a usable copy and an unidentified man."
    )
    assert _found(text, assess_writing(text, "en"), "articles_a_an") == []


def test_subject_verb_agreement_errors_are_found_with_the_agreeing_form():
    # Given a learner text where pronouns and their verbs disagree
    text = "I is tired. They was late. She don't like it. He have a dog. She always play."
    # When assessed
    found = _found(text, assess_writing(text, "en"), "agreement")
    # Then each verb is located and the agreeing form offered
    assert found == [
        (2, "is", ["am"]),
        (17, "was", ["were"]),
        (31, "don't", ["doesn't"]),
        (49, "have", ["has"]),
        (72, "play", ["plays"]),
    ]
    # And after "and" where the pair would take the same verb ("and they was"), but not where
    # the pair may be the subject ("Tom and she like", "you and I are")
    text = "She was ready and they was late. Tom and she like tea. You and I are here."
    assert _found(text, assess_writing(text, "en"), "agreement") == [(23, "was", ["were"])]
    # And after ", and", which joins two clauses
    text = "I was late, and she don't care."
    assert _found(text, assess_writing(text, "en"), "agreement") == [(20, "don't", ["doesn't"])]


def test_noun_subjects_agree_with_their_verbs():
    # Given nouns opening their clauses with verbs that disagree in number
    text = "My brother like football. The students is late. Their teacher have a car."
    # When assessed
    found = _found(text, assess_writing(text, "en"), "agreement")
    # Then each verb is located with the form that agrees with its noun
    assert found == [(11, "like", ["likes"]), (39, "is", ["are"]), (62, "have", ["has"])]


def test_verb_forms_after_auxiliaries_are_found():
    # Given the wrong form after a perfect, a do-support, a modal and a question's subject
    text = (
        "We have went home. I didn't saw it, but he can swims. Does she likes it? You must to go."
    )
    # When assessed
    found = _found(text, assess_writing(text, "en"), "verb_forms")
    # Then each is located with the form the auxiliary needs; "didn't saw" is left alone
    # ("saw" is also a verb of its own, so the rule cannot be sure)
    assert found == [
        (8, "went", ["gone"]),
        (47, "swims", ["swim"]),
        (63, "likes", ["like"]),
        (81, " to", [""]),
    ]
    fixed = assess_writing(text, "en").corrected_text
    assert fixed == (
        "We have gone home. I didn't saw it, but he can swim. Does she like it? You must go."
    )


@pytest.mark.parametrize(
    "text",
    [
        "If I were you, I would stay. As it were, the plan failed. I wish she were here.",
        "Does she like it? Let it go. I made her stay. Tom and she like tea.",
        "Thank you is all I can say. Part I is short. The variable i is one.",
        "Will went home early. His free will goes a long way. We do drinks on Fridays.",
        "They had rose bushes. She need not worry. He put the book down. I had had enough.",
        "The items in it have been created. What he did they knew nothing about.",
        "He has gone. They have eaten. Did he go? We didn't know. Can you help me?",
        "All submenus below it are affected. The option -i does not work. ^I is a tab.",
        "I saw the dog run. The bus stop is near. My family are here. Physics is hard.",
        "It is important that the student attend. The main help file is long.",
        "If the student were here, we would start.",
        "The homeless are tired and the rich have money. The aircraft were old.",
        "We must do what we can to help. Their expert use of beads is good.",
        "People using it are happy. She insisted he stay. Your teeth are white.",
        "Only students who can afford it have the chance. Those who enjoy it are many.",
    ],
)
def test_agreement_and_verb_forms_leave_correct_english_alone(text):
    # Given correct sentences that look like the errors the rules catch
    # When assessed / Then neither rule reports anything
    result = assess_writing(text, "en")
    assert [e for e in result.errors if e.check in ("agreement", "verb_forms")] == []
    assert {"agreement", "verb_forms"} <= set(result.checks_run)


def test_clean_advanced_text_has_no_errors_and_outscores_a_beginner(graded_texts):
    # Given a correct C2 paragraph and a correct A1 paragraph
    advanced = assess_writing(graded_texts[("en", "C2")], "en")
    beginner = assess_writing(graded_texts[("en", "A1")], "en")
    # When compared / Then no false alarms, and the advanced one is higher on every measure
    assert advanced.errors == [] and beginner.errors == []
    assert advanced.cefr_level == "C2" and beginner.cefr_level == "A1"
    for key in ("grammar", "vocabulary", "task", "overall"):
        assert advanced.scores[key] > beginner.scores[key], key


def test_errors_lower_the_scores_of_the_same_text(graded_texts):
    # Given the B2 paragraph and a copy with misspellings and mechanical errors
    clean = graded_texts[("en", "B2")]
    noisy = (
        clean.replace("considerable", "considerible")
        .replace("Employees", "employees")
        .replace("several", "sevral")
        .replace("the arrangement", "the the arrangement")
    )
    # When both are assessed
    a, b = assess_writing(clean, "en"), assess_writing(noisy, "en")
    # Then the noisy copy has the errors and scores lower on grammar, vocabulary and overall
    assert len(b.errors) == 4
    assert b.scores["grammar"] < a.scores["grammar"]
    assert b.scores["vocabulary"] < a.scores["vocabulary"]
    assert b.scores["overall"] < a.scores["overall"]


def test_task_coverage_rewards_answering_the_task():
    # Given a text about a holiday, judged against a holiday task and an unrelated one
    text = "Last summer I spent two weeks at the beach in Portugal with my family."
    on_task = assess_writing(text, "en", task="Describe your last summer holiday at the beach.")
    off_task = assess_writing(text, "en", task="Explain how photosynthesis works in plants.")
    # When compared / Then the matching task scores higher
    assert on_task.scores["task"] > off_task.scores["task"]


def test_checks_that_ran_and_those_that_could_not_are_listed():
    # Given Japanese text (no spelling dictionary, no letter case)
    result = assess_writing("私は学生です。毎日図書館で勉強しています", "ja")
    # When assessed / Then the skipped checks say why, and the missing 。 is still found
    assert "spelling" in result.checks_skipped and "capitalisation" in result.checks_skipped
    assert "final_punctuation" in result.checks_run
    assert [(e.check, e.replacements) for e in result.errors] == [("final_punctuation", ["す。"])]


def test_limits_and_bad_input_are_clear_errors():
    # Given text over the limit, text with no words and an unknown language
    cases = [
        ("a " * 5001, "en", "text_too_long"),
        ("... 123 !!", "en", "text_empty"),
        ("hello", "tlh", "unsupported_language"),
    ]
    for text, language, code in cases:
        # When assessed / Then each fails with its code
        with pytest.raises(PipelineError) as err:
            assess_writing(text, language)
        assert err.value.code == code
    with pytest.raises(PipelineError, match="limit is 20"):
        assess_writing("This text is longer than twenty characters.", "en", max_chars=20)


def test_progress_is_reported_by_stage():
    # Given a report callback / When a text is assessed / Then the stages arrive in order
    seen = []
    assess_writing("This is fine.", "en", report=lambda stage, p: seen.append((stage, p)))
    assert seen == [("checking", 10), ("analysing", 40), ("done", 100)]


def test_apply_corrections_skips_overlaps_and_errors_without_replacements():
    # Given errors that overlap, and one without a replacement
    from pipelines.writing import TextError

    errors = [
        TextError(0, 3, "x", "spelling", ["The"]),
        TextError(1, 2, "overlaps", "spelling", ["zz"]),
        TextError(4, 3, "no fix", "style", []),
    ]
    # When applied / Then only the first applies
    assert apply_corrections("teh cat sat", errors) == "The cat sat"


def test_llm_errors_are_anchored_by_their_text_not_their_offsets():
    # Given model errors with a wrong offset, a right one, and one not in the text
    text = "I goed home and goed to bed."
    items = [
        {
            "original": "goed",
            "offset": 14,
            "length": 4,
            "category": "grammar",
            "message": "went",
            "replacements": ["went"],
        },
        {
            "original": "bed",
            "offset": 24,
            "length": 3,
            "category": "style",
            "message": "ok",
            "replacements": [],
        },
        {
            "original": "sleeped",
            "offset": 3,
            "length": 7,
            "category": "grammar",
            "message": "x",
            "replacements": [],
        },
    ]
    # When anchored
    kept, dropped = anchor_llm_errors(text, items)
    # Then the wrong offset moves to the nearest occurrence and the invented one is dropped
    assert [(e.offset, e.length) for e in kept] == [(16, 4), (24, 3)]
    assert dropped == 1


def test_with_an_llm_its_judgement_and_corrections_are_merged(fake_openai):
    # Given a text with a misspelling the offline check finds and a grammar error it cannot,
    # and a model that reports both (the grammar one with a miscounted offset)
    text = "I went to the beach with my freind. Yesterday we go swimming."
    answer = copy.deepcopy(ANSWERS["writing_assessment"])
    answer["errors"] = [
        {
            "original": "freind",
            "offset": 28,
            "length": 6,
            "category": "spelling",
            "message": "Misspelled.",
            "replacements": ["friend"],
        },
        {
            "original": "go",
            "offset": 51,
            "length": 2,
            "category": "grammar",
            "message": "'Yesterday' takes the past.",
            "replacements": ["went"],
        },
    ]
    answer["corrected_text"] = "I went to the beach with my friend. Yesterday we went swimming."
    fake_openai.push(json_completion(answer))
    llm = OpenAIProvider(model="test-model", base_url=fake_openai.base_url)
    # When assessed with the LLM
    result = assess_writing(text, "en", task="Describe your last holiday.", llm=llm)
    # Then the level, scores, corrected text and provenance come from the model; the offline
    # spelling error stays and the model's grammar error is added at its real position
    assert result.cefr_level == "A2"
    assert result.scores == answer["scores"]
    assert result.corrected_text == answer["corrected_text"]
    assert result.corrected_text_source == "llm"
    assert (result.provider, result.model, result.prompt_version) == (
        "openai",
        "test-model",
        "2026-11-01",
    )
    spans = [(e.offset, text[e.offset : e.offset + e.length], e.source) for e in result.errors]
    assert spans == [(28, "freind", "offline"), (49, "go", "llm")]
    assert result.llm_errors_dropped == 0
    assert result.offline_estimate["level"] in ("A1", "A2")
    sent = fake_openai.requests[0]["messages"][1]["content"]
    assert "Yesterday we go swimming." in sent and "errors_found_offline" in sent


def test_llm_invalid_twice_fails_the_assessment(fake_openai):
    # Given a model that never answers with valid JSON
    fake_openai.push(completion("no"), completion("still no"))
    llm = OpenAIProvider(model="test-model", base_url=fake_openai.base_url)
    # When assessed / Then llm_invalid_output
    with pytest.raises(PipelineError) as err:
        assess_writing("A short text.", "en", llm=llm)
    assert err.value.code == "llm_invalid_output"


def test_be_before_a_verb_only_word_is_reported_with_the_verb_alone():
    # Given "be" before words both lexicons know only as a verb, and a passive whose
    # participle is the base form
    text = "I am agree with you. She is agree too. The book is put on the table."
    # When assessed
    found = _found(text, assess_writing(text, "en"), "verb_forms")
    # Then the verb replaces "be" + verb, agreeing with its subject; the passive is left
    assert found == [(2, "am agree", ["agree"]), (25, "is agree", ["agrees"])]
