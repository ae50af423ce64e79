"""Artifact round trip, refusal of bad artifacts, scores and explanations."""

from __future__ import annotations

import json
import shutil

import pytest

from mizan.models import artifact
from mizan.models.classifier import Classifier, ModelUnavailable, Scores, load
from mizan.models.normalize import normalize


def test_roundtrip_scores_match_pipeline(tiny_artifact):
    clf = load(tiny_artifact)
    assert isinstance(clf, Classifier)
    assert clf.version == "test-1"
    texts = ["يا كلب حقير", "واتساب 0912345678 ربح مضمون", "شكرا على الخبر"]
    scores = clf.score(texts)
    assert all(isinstance(s, Scores) for s in scores)
    direct = clf.pipeline.predict_proba(texts)
    for s, row in zip(scores, direct, strict=True):
        assert s.spam == pytest.approx(row[0])
        assert s.abuse == pytest.approx(row[1])
        assert 0.0 <= s.spam <= 1.0 and 0.0 <= s.abuse <= 1.0
    assert scores[0].abuse > scores[2].abuse
    assert scores[1].spam > scores[2].spam
    assert clf.score([]) == []


def test_score_rejects_a_bare_string(tiny_artifact):
    with pytest.raises(TypeError):
        load(tiny_artifact).score("يا كلب")


def test_sidecar_records_versions_and_hash(tiny_artifact):
    meta = artifact.read_sidecar(tiny_artifact)
    assert set(meta["libraries"]) >= {"scikit-learn", "numpy", "scipy", "skops", "python"}
    assert len(meta["model_sha256"]) == 64


def test_refuses_other_sklearn_version(tiny_artifact, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(tiny_artifact, bad)
    side = bad / artifact.SIDECAR_FILE
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta["libraries"]["scikit-learn"] = "1.4.2"
    side.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelUnavailable, match=r"scikit-learn 1\.4\.2"):
        load(bad)


def test_refuses_tampered_model(tiny_artifact, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(tiny_artifact, bad)
    with open(bad / artifact.MODEL_FILE, "ab") as fh:
        fh.write(b"x")
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        load(bad)


def test_missing_artifact_is_unavailable(tmp_path):
    with pytest.raises(ModelUnavailable):
        load(tmp_path / "nothing-here")


def test_loads_the_skops_file_directly(tiny_artifact):
    clf = load(tiny_artifact / artifact.MODEL_FILE)
    assert clf.version == "test-1"


@pytest.mark.parametrize(
    "text",
    [
        "يا كــــلب يا حِمَار حقير",  # tatweel and diacritics
        "شكرا\u200b على الخبر يا  كلب",  # zero-width space, double space
        "YOU IDIOT!!! casino bonus http://bit.ly/win",
    ],
)
def test_explain_spans_point_into_the_original(tiny_artifact, text):
    clf = load(tiny_artifact)
    expl = clf.explain(text, top=5)
    assert set(expl) == {"spam", "abuse"}
    seen = 0
    for items in expl.values():
        assert len(items) <= 5
        weights = [it["weight"] for it in items]
        assert weights == sorted(weights, reverse=True)
        for it in items:
            if it["span"] is None:
                assert it["feature"].startswith("meta:")
                continue
            s, e = it["span"]
            assert 0 <= s < e <= len(text)
            if not it["feature"].startswith("meta:"):
                # the original slice normalises to the explained word
                assert it["feature"] in normalize(text[s:e])
                seen += 1
    assert seen > 0


def test_dense_cache_is_not_persisted(tiny_artifact, tmp_path):
    clf = load(tiny_artifact)
    clf.score(["يا كلب"])
    heads = clf.pipeline.named_steps["heads"]
    assert "_dense" in heads.__dict__
    artifact.save(clf.pipeline, tmp_path / "again", {"version": "x", "thresholds": {}})
    again = artifact.load(tmp_path / "again")[0].named_steps["heads"]
    assert "_dense" not in again.__dict__


def test_flags_a_changed_normaliser(tiny_artifact, tmp_path):
    import mizan.models.normalize
    from mizan.models.data import sha256

    for recorded, changed in ((sha256(mizan.models.normalize.__file__), False), ("0" * 64, True)):
        copy = tmp_path / f"n{int(changed)}"
        shutil.copytree(tiny_artifact, copy)
        side = copy / artifact.SIDECAR_FILE
        meta = json.loads(side.read_text(encoding="utf-8"))
        meta["normalizer_sha256"] = recorded
        side.write_text(json.dumps(meta), encoding="utf-8")
        assert load(copy).normalizer_changed is changed


def test_flags_a_normaliser_whose_output_changed(tiny_artifact, tmp_path, monkeypatch):
    # the fingerprint of the normaliser's output decides when the model records one: a
    # rewrite with the same output is no change, an output that differs anywhere is
    import mizan.models.normalize as norm
    from mizan.models import normalizer_check

    side = tiny_artifact / artifact.SIDECAR_FILE
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta["normalizer_sha256"] = "0" * 64  # a stale file hash no longer decides
    meta["normalizer_check"] = {
        "version": normalizer_check.VERSION,
        "fingerprint": normalizer_check.fingerprint(norm.normalize),
    }
    side.write_text(json.dumps(meta), encoding="utf-8")
    assert load(tiny_artifact).normalizer_changed is False
    original = norm.normalize
    monkeypatch.setattr(norm, "normalize", lambda t: original(t.replace("ة", "ت")))
    assert load(tiny_artifact).normalizer_changed is True
    monkeypatch.setattr(norm, "normalize", original)
    meta["normalizer_check"]["version"] = normalizer_check.VERSION + 1  # other texts: the hash
    side.write_text(json.dumps(meta), encoding="utf-8")
    assert load(tiny_artifact).normalizer_changed is True


def test_the_normaliser_check_texts_reach_every_rule():
    # each rule of models/normalize.py shows in the check set's output, so a change to any of
    # them changes the fingerprint
    import re

    from mizan.models.normalizer_check import check_texts

    pairs = [(t, normalize(t)) for t in check_texts()]
    outputs = " ".join(o for _, o in pairs)
    for placeholder in ("xurlx", "xemailx", "xphonex", "xhandlex"):
        assert placeholder in outputs, placeholder
    for folded in "أإآٱؤئىةکگیہھڤپچ٣۴ـَ​ѕ":  # every one folded away somewhere
        assert any(folded in t and folded not in o for t, o in pairs), folded
    assert any(re.search(r"([^\W\d])\1\1", t) and len(o) < len(t) for t, o in pairs)  # repeats
    assert any("s.p.a.m" in t and "spam" in o for t, o in pairs)  # spaced letters
    assert any("w0rld" in t and "world" in o for t, o in pairs)  # leet
    assert any("HELLO" in t and "hello" in o for t, o in pairs)  # case
    assert len(check_texts()) > 3000 and len(set(check_texts())) > 2500


class Smuggled:
    """A type that is not on the trusted list."""


def test_refuses_untrusted_types(tiny_artifact, tmp_path):
    import skops.io as sio

    from mizan.models.data import sha256

    bad = tmp_path / "bad"
    shutil.copytree(tiny_artifact, bad)
    pipe = artifact.load(tiny_artifact)[0]
    pipe.named_steps["heads"].extra = Smuggled()
    sio.dump(pipe, bad / artifact.MODEL_FILE)
    side = bad / artifact.SIDECAR_FILE
    meta = json.loads(side.read_text(encoding="utf-8"))
    meta["model_sha256"] = sha256(bad / artifact.MODEL_FILE)
    side.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="untrusted"):
        load(bad)
    with pytest.raises(artifact.ArtifactError, match="untrusted"):
        artifact.save(pipe, tmp_path / "never", {"version": "x"})


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("يا ك*ب", True),
        ("you f**king liar", True),
        ("5*3 = 15", False),
        ("**عاجل** انقطاع الكهرباء", False),
        ("تقرير ممتاز", False),
    ],
)
def test_a_word_masked_with_asterisks_counts_as_an_insult(text, masked):
    from mizan.models.classifier import masked_word
    from mizan.models.normalize import normalize

    assert masked_word(normalize(text)) is masked


def test_a_threat_phrase_is_evidence_and_the_first_span_explained(tiny_artifact):
    clf = load(tiny_artifact)
    text = "يا صحفي، نعرف وين ساكن وبنجيك قريب"
    (scores,) = clf.score([text])
    assert scores.threat is True
    first = clf.explain(text)["abuse"][0]
    assert first["evidence"] == "threat"
    s, e = first["span"]
    assert normalize(text[s:e]) == "نعرف وين ساكن"
    assert clf.score(["قتل ثلاثة أشخاص في هجوم على البوابة"])[0].threat is False


def test_a_dehumanising_phrase_is_evidence_and_the_first_span_explained(tiny_artifact):
    clf = load(tiny_artifact)
    text = "قالوا إن المهاجرين كلهم حشرات"
    (scores,) = clf.score([text])
    assert scores.dehumanising is True and scores.threat is False
    first = clf.explain(text)["abuse"][0]
    assert first["evidence"] == "dehumanising"
    s, e = first["span"]
    assert normalize(text[s:e]) == normalize("المهاجرين كلهم حشرات")
    assert clf.score(["المهاجرين يعاملون كالحيوانات"])[0].dehumanising is False
