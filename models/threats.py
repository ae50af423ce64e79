"""Threat and incitement evidence: phrases that promise or call for violence against someone.

An n-gram model sees "قتل" in a crime report and in "نقتلك" alike, and threats are rare in the
training sets, so a threat written in plain words ("نعرف وين ساكن", "يستاهل رصاصة في راسه")
can score as low as a polite comment.  A threat phrase holds the comment for a moderator
whatever its scores (service/policy/verdict.py); it never rejects on its own.  The phrases
are first- or second-person promises of harm, calls to kill, hang or burn someone, and "we
know where you live"; reporting words ("قتل", "اعدام", "هجوم") are not here.  Pure functions
of the normalised text, shared by the worker's policy and ``mizan evaluate``.
"""

from __future__ import annotations

from .signals import phrase_pattern

PHRASES: tuple[str, ...] = (
    # we know where you live / we have your address (MSA, Libyan, Maghrebi, Arabizi; the
    # dialects' "نعرفو وين تسكن" and its kin are made below)
    "نعرف اين تسكن",
    "نعرف اين تعيش",
    "نعلم اين تسكن",
    "عارفين دارك",
    "نعرف دارك",
    "نعرفوا دارك",
    "نعرفو دارك",
    "نعرف حوشك",
    "نعرفوا حوشك",
    "نعرفو حوشك",
    "عارفين حوشك",
    "نعرف بيتك",
    "نعرف عنوانك",
    "عندنا عنوانك",
    "عندنا صورتك",
    "n3arfou darek",
    "na3rfou darek",
    "n3rfou darek",
    "na3ref darek",
    "n3ref darek",
    "we know where you live",
    "i know where you live",
    "on sait où tu habites",
    "on sait ou tu habites",
    # promises of harm to the reader or the writer
    "بنجيك",
    "بنجوك",
    "نقتلك",
    "نقتلكم",
    "بنقتلك",
    "سنقتلك",
    "سنقتلكم",
    "راح نقتلك",
    "حنقتلك",
    "نذبحك",
    "نذبحكم",
    "بنذبحك",
    "سنذبحك",
    "نحرقك",
    "بنحرقك",
    "نحرق دارك",
    "نحرق بيتك",
    "نصفيك",
    "بنصفيك",
    "نكسر راسك",
    "نكسرلك راسك",
    "نفرغ فيك",
    "رصاصه في راسك",
    "ايامك معدوده",
    "حسابك جاي",
    "نهارك قريب",
    "ستدفع الثمن غاليا",
    "استني وتشوف",
    "استنا وتشوف",
    "بتشوف شن بيصير لك",
    "تشوف شن بيصير لك",
    "تشوف شنو غادي يوقع لك",
    # "I have your address", "I have your phone number": second person, no errand in sight
    # ("رقمك عندي نكلمك بعدين", "نعرف عيلتك ناس طيبين", "راك مراقب بالرادار" are not threats)
    "عنوانك عندي",
    "عندي عنوانك",
    "رقم تلفونك عندي",
    "n9etlek",
    "n9tlek",
    "nektlek",
    "noktlek",
    "nedb7ek",
    "nodb7ek",
    "ndab7ek",
    "i will kill you",
    "i'll kill you",
    "we will kill you",
    "we'll kill you",
    "gonna kill you",
    "we'll burn your house",
    "we will burn your house",
    "burn your house down",
    "you will pay for this",
    "we know your family",
    "i hope you die",
    "hope you die",
    "kill yourself",
    "je vais te tuer",
    "on va te tuer",
    "tu vas le payer",
    # calls to kill, hang, burn or drown someone
    "يستاهل رصاصه",
    "يستاهل الرصاص",
    "يستاهلوا الرصاص",
    "يستحق رصاصه",
    "رصاصه في راسه",
    "طلقه في راسه",
    "يجب ان يقتلوا",
    "يجب ان يقتل",
    "يجب قتلهم",
    "يجب قتله",
    "يجب ذبحهم",
    "يجب حرقهم",
    "لازم يتقتلوا",
    "لازم يتقتل",
    "لازم يتذبحوا",
    "لازم يتعلق",
    "لازم يتعلقوا",
    "لازم يتحرقوا",
    "لازم نقتلوهم",
    "يستحقون القتل",
    "يستحق القتل",
    "يستحقون الذبح",
    "اقتلوهم",
    "اقتلوه",
    "اذبحوهم",
    "اذبحوه",
    "احرقوهم",
    "احرقوه",
    "اسحلوهم",
    "اسحلوه",
    "علقوهم",
    "علقوه",
    "ارموهم في البحر",
    "يرموا في البحر",
    "should be hanged",
    "should be killed",
    "should all be killed",
    "should all be shot",
    "should all be hanged",
    "should be shot dead",
    "deserves a bullet",
    "deserve a bullet",
    "deserves to die",
    "deserve to die",
    "mérite une balle",
    "merite une balle",
)

# "We know where you live" in every dialect form of its three words (when only some were
# listed, "نعرفو وين تسكن" was published). The MSA "اين" / "نعلم" and the third person
# ("ساكنه", "تعيش": "she lives") are left out: "لا نعلم اين تعيش عائلته" is news.
PHRASES += tuple(
    f"{know} {where} {live}"
    for know in ("نعرف", "نعرفو", "نعرفوا", "انعرفو", "نعرفوك", "عارفين", "عارفينك")
    for where in ("وين", "فين")
    for live in ("ساكن", "تسكن")
)

# An Arabic conjunction may be glued to the phrase ("وبنجيك", "فاقتلوهم").
GLUED_PREFIXES = "وف"
_THREAT = phrase_pattern(PHRASES, prefix=f"[{GLUED_PREFIXES}]")


def threat_spans(normalized: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of threat phrases in normalised text."""
    return [m.span() for m in _THREAT.finditer(normalized)]


def has_threat(normalized: str) -> bool:
    """True when the normalised text holds a threat or incitement phrase."""
    return _THREAT.search(normalized) is not None
