"""Spam evidence: what lets a spam score send a comment to spam (models/signals.py)."""

from __future__ import annotations

import pytest

from mizan.models import signals
from mizan.models.normalize import normalize
from mizan.models.signals import spam_signals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("زوروا موقعنا www.deals-store.net لأفضل العروض", {"link", "promotion"}),
        ("Nice post, more here https://tinyurl.com/x1", {"link"}),
        ("قروض بدون فوائد تواصل واتساب 0912345678", {"money", "contact"}),
        ("للتواصل 00218 91 234 5678", {"contact", "phone"}),
        ("follow me on instagram @libya_daily", {"promotion", "contact", "handle"}),
        ("اشتركوا في قناتي على يوتيوب", {"promotion"}),
        ("الشيخ الروحاني لجلب الحبيب وفك السحر", {"healer"}),
        ("1xbet promo code LY100 bonus on first deposit", {"money"}),
        ("abonnez-vous a ma chaine", {"commerce"}),
        ("welcome bonus 200% + free spins, sign up today", {"money"}),
        ("سجل الان وخذ بونص ترحيبي على اول ايداع", {"money"}),
        ("كود كوبون خصم 20% على كل الطلبات", {"money"}),
        ("كازينو اونلاين بالدينار وسحب فوري", {"money"}),
        ("تابعوا حسابي على انستغرام", {"promotion"}),
        ("للطلب والاستفسار راسلونا", {"promotion"}),
        ("شاركت الخبر في بودكاستي، تابعوني على سبوتيفاي", {"promotion"}),
        ("My new book is out on Amazon, leave a review!", {"promotion"}),
        ("ربحت اليوم من الماتش، الرابط في البايو", {"promotion"}),
        ("Free bets every day, use my code SAVE30, link in bio", {"money", "promotion"}),
        ("Bonus 100% 3la awel depot, rbe7 m3ana", {"money"}),
        ("Zourou page mta3i 3al facebook", {"promotion"}),
        ("Hey guys, I'm 15 and I sing, my new video is up, check it", {"promotion"}),
        ("sub4sub anyone? I'll sub back", {"promotion"}),
        ("سجل واربح رهان على ماتش الليلة", {"money"}),
        ("el3ab w erba7 m3a melbet, code: LIBYA777", {"money"}),
        ("Marabout voyant médium, retour de l'être aimé en 3 jours", {"healer"}),
        ("voyant medium serieux retour de l’être aimé en 48h", {"healer"}),
        ("لايك لصفحتي عالفيسبوك ونرد اللايك", {"promotion"}),
        # an official domain beside a seller's is no excuse
        ("cheap loans at fast-cash.com, licensed by moe.gov.ly", {"link"}),
        ("t.me/loans_ly or write to info@x.gov.ly", {"handle", "link"}),
        # a seller's host hidden beside, after or inside an official-looking name
        ("قروض ميسره حسب منشور moe.gov.ly والتسجيل هنا...loans-ly.com", {"link"}),
        ("https://moe.gov.ly:443@loans-ly.com/apply", {"link"}),
        ("http://spam.com\\.gov.ly", {"link"}),
        ("قروض سريعة moe.gov.ly -loans-ly.com", {"link"}),  # a name after a hyphen is a name
        ("قروض للموظفين loans-ly.com.-.gov.ly", {"link"}),  # hyphen junk joins no names
        ("احجز الآن من خلال موقعنا-smileclinic-ly.com", {"link"}),  # after an Arabic word
        # a seller's host beside an official one, written so a plain reading misses it
        ("قروض moe.gov.ly loans-ly\u200b.com", {"link"}),
        ("قروض moe.gov.ly ｌｏａｎｓ.com", {"link"}),
        ("قروض moe.gov.ly loans-ly\u2024com", {"link"}),
        ("قروض moe.gov.ly https://قروض-ليبيا.com", {"link"}),
        ("قروض moe.gov.ly http://loans/apply", {"link"}),
        ("قروض ميسره للموظفين، التفاصيل على loans.edu.vip", {"link"}),
        ("كود برومو MELBET سجلو الآن", {"money"}),
        ("عسل جبلي اصلي، الكيلو ب 90 دينار والتوصيل مجاني لكل المدن", {"commerce"}),
    ],
)
def test_spam_comments_carry_evidence(text, expected):
    assert expected <= set(spam_signals(text)), spam_signals(text)


@pytest.mark.parametrize(
    "text",
    [
        "متابعة ممتازة، شكرا لكم",
        "متابعين",
        "تغطية ممتازة، بارك الله فيكم",
        "الخط الساخن 1415 لا يرد منذ يومين",
        "سعر الخبز وصل 2 دينار",
        "وتستمر الحكومة في تجاهل مطالب الناس",  # "وتس" inside a word is not WhatsApp
        "صلاة التراويح كانت روحانية جدا",  # a spiritual evening is not a "spiritual healer"
        "The central bank published the exchange rate for 2026.",
        "Merci pour cet article",
        "👍👍",
        # digit runs readers type for emphasis or a huge amount are not phone numbers
        "السلام عليكم 0000000000 الله يجعلها أمطار خير",
        "10000000000000000 مبروك للفريق",
        "ابو خمسه 55555555 رقم مميز",
        "13 13 13 13 13 13 بحلم بيك انا بحلم بيك",
        # ordinary sentences with a promotion-like phrase that is not one
        "The video player is broken, my video keeps buffering on this page",
        "Check your policy: my cover did not include flood damage",
        "This story popped up in my YouTube recommendations",
        "UK to restrict free bets for under-25s",
        "الحكومة تدرس منع تقديم رهانات مجانية للاعبين الجدد",
        "اخسر معركة واربح الحرب، هذا ما فعله المدرب",
        "الوزراء اشتركو في الاجتماع الطارئ",
        # addresses on government, university and military domains
        "الشكاوى ترسل على البريد info@cbl.gov.ly حسب ما كتبو في البيان",
        "النتائج على الموقع الرسمي لوزارة التربية والتعليم moe.gov.ly",
        "Les démarches sont sur https://www.service-public.gouv.fr/particuliers",
        "The study is at www.harvard.edu/research",
        "Le grand marabout de Touba a appelé au calme",
        "Le patient a besoin d'un retour affectif de sa famille",
        "الدين العام وصل 120000000000 دينار",
        # words that are offers only inside a phrase: a salary bonus, a café, "by forming",
        # "at my expense", "my position", "for the application", "to the impound"
        "the bonus for teachers was cut again this year",
        "البونص متاع الشركة ما نزلش من شهرين",
        "بشتري من كازينو فراخ في الحي",
        "اقترحت مصر بتكوين لجنة رباعية للوساطة",
        "والتذاكر على حسابي والله",
        "موقعي من هذا القانون واضح: أنا ضده",
        "دفعنا رسوم للطلب في بداية المبادرة",
        "سحبوا سيارتي للحجز بدون مخالفة",
        # a platform named in the news is no invitation to contact anyone
        "الوزير نشر الصور على حسابه في انستغرام",
        # a code in the news is no promo code, and a reader's page of the paper no promotion
        "الكود الجديد للمرور يطبق من الشهر الجاي",
        "شفت الخبر في page الجريدة على فيسبوك",
        "Hackers use code from open source projects",
        "استخدم كود التفعيل في منظومة الجوازات",
        "le premier dépôt de carburant a brûlé",
        "a3mlou partage bech yal9aw el tfol",  # a missing child: sharing is no promotion
        "Zourou page el wizara",
    ],
)
def test_ordinary_comments_carry_none(text):
    assert spam_signals(text) == ()


def test_every_phrase_matches_as_a_whole_word_only():
    # the phrases are compiled into one character trie: each must still match on its own,
    # inside a sentence, and never as the start or end of a longer word
    for kind, phrases in signals._PHRASES.items():
        for phrase in phrases:
            assert kind in spam_signals(phrase), phrase
            assert kind in spam_signals(f"قال لي {phrase} امس"), phrase
            glued = spam_signals(f"{phrase}zq") + spam_signals(f"zq{phrase}")
            assert kind not in glued, phrase


def test_links_need_a_domain_or_scheme():
    assert "link" in spam_signals("visit Shop-Now.XYZ today")
    assert "link" in spam_signals("go to t.me/deals")
    assert "link" not in spam_signals("the match ended 2.1 and he said so.")


@pytest.mark.parametrize(
    ("digits", "plausible"),
    [
        ("0912345678", True),
        ("218912345678", True),
        ("48573732", True),
        ("1234567", False),  # too short
        ("1234567890123456", False),  # longer than any phone number
        ("000000000", False),
        ("55555555", False),
        ("1000000000", False),  # a round amount
        ("10001000", False),  # mostly one digit
        ("131313131313", False),  # a group of two repeated: "13 13 13 13 13 13"
        ("123123123123", False),  # a group of three repeated
        ("0771310826", True),
        # vanity numbers in local form: a leading 0, or 8-9 digits
        ("0606060606", True),
        ("20202020", True),
        ("550550550", True),
    ],
)
def test_plausible_phone(digits, plausible):
    from mizan.models.normalize import plausible_phone

    assert plausible_phone(digits) is plausible


def test_the_phrase_prefilter_misses_no_spam_or_threat_phrase():
    # the scorer skips both phrase searches when the prefilter finds nothing: it must match
    # wherever either does (each phrase alone, glued to a conjunction, inside a sentence)
    from mizan.models import threats
    from mizan.models.signals import _ANY_PHRASE, SPAM_PHRASES, phrase_prefilter

    pre = phrase_prefilter(SPAM_PHRASES, threats.PHRASES, threats.GLUED_PREFIXES)
    texts = []
    for phrase in SPAM_PHRASES + threats.PHRASES:
        for form in (phrase, "و" + phrase, "ف" + phrase, "x" + phrase, phrase + "x"):
            texts += [form, f"قال الرجل {form} امس", f"well, {form}!"]
    hits = 0
    for text in texts:
        norm = normalize(text)
        either = bool(_ANY_PHRASE.search(norm)) or threats.has_threat(norm)
        hits += either
        assert bool(pre.search(norm)) == either, text
    assert hits > len(texts) // 3  # the lists were really exercised (the x-forms never match)
