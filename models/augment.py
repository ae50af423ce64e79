"""Template-generated web-comment spam and ordinary comments (Arabic and English).

The datasets hold no real web-comment spam (README: Twitter ads, scam tweets, SMS), so the
spam head would never see a link drop under a news article.  These templates, written from
common comment-spam patterns (link drops, WhatsApp/Telegram numbers, betting, crypto and forex
signals, loans, fee-charging "jobs", diet and sex-health products, "spiritual healers",
followers and SEO sellers), give it that style.  Ordinary comments that legitimately carry a
link, a number or a handle are generated too, so that "has a link" alone is not spam.
Nothing here is read from the evaluation fixture (models/eval/), which stays unseen.
"""

from __future__ import annotations

import random

from .data import Rows

AR_OPEN = [
    "",
    "",
    "",
    "مقال رائع، ",
    "شكرا على الخبر ",
    "السلام عليكم ",
    "للأمانة ",
    "يا جماعة ",
    "عاجل ",
    "فرصة لا تعوض ",
    "🔥 ",
    "✅ ",
    "معلومة مهمة: ",
    "بعد إذن الإدارة ",
]
EN_OPEN = [
    "",
    "",
    "",
    "Great article! ",
    "Thanks for sharing. ",
    "Nice post. ",
    "Hello everyone, ",
    "Very informative. ",
    "🔥 ",
    "Attention: ",
    "I agree with you. ",
    "Hi admin, ",
]
AR_PITCH = [
    "اربح {n}$ يوميا من التداول في الفوركس مع توصيات مضمونة",
    "استثمر في البيتكوين والعملات الرقمية وضاعف أرباحك خلال أسبوع",
    "انضم لقناة التوصيات المجانية للأسهم والذهب نسبة نجاح {n}%",
    "أفضل موقع مراهنات رياضية بونص ترحيبي {n}% على أول إيداع",
    "كازينو اونلاين وربح حقيقي وسحب فوري",
    "قروض شخصية سريعة بدون ضمانات وبدون فوائد",
    "مطلوب موظفين للعمل من المنزل براتب {n} دولار رسوم التسجيل بسيطة",
    "وظائف شاغرة في شركات النفط برواتب عالية ارسل سيرتك مع رسوم الملف",
    "تنحيف {n} كيلو في أسبوعين بدون رجيم منتج طبيعي ١٠٠٪",
    "علاج سرعة القذف وضعف الانتصاب نهائيا بالأعشاب الطبيعية",
    "الشيخ الروحاني لجلب الحبيب وفك السحر ورد المطلقة",
    "زيادة متابعين انستقرام وتيك توك حقيقيين بأرخص الأسعار",
    "تصميم مواقع وتسويق إلكتروني وتصدر نتائج جوجل",
    "تأشيرات وفيزا شنغن مضمونة بدون مقابلة",
    "بيع حسابات نتفليكس وشاهد VIP بسعر رمزي",
    "خصم {n}% على جميع المنتجات لفترة محدودة",
    "شاهد المباراة بث مباشر بدون تقطيع",
    "اشترك في قناتي على اليوتيوب ولا تنسى اللايك",
    "ربح بطاقات شحن مجانية سجل الآن واحصل على الجائزة",
    "شقق للبيع بالتقسيط المريح مقدم {n} فقط",
    "سيارات مستعملة بحالة ممتازة للبيع بأسعار مغرية",
    "دورة مجانية لتعلم التداول والربح من الإنترنت",
    "شحن رصيد ليبيانا ومدار بخصم {n}% وتوصيل فوري",
    "بيع وشراء الدولار بأفضل سعر في السوق",
    "عقارات في تركيا بالتقسيط والحصول على الجنسية",
    "قبول جامعي مضمون للدراسة في الخارج ومنح دراسية",
    "رقية شرعية وتفسير أحلام وعلاج العين والحسد عن بعد",
    "حمل التطبيق واحصل على {n} دينار هدية عند التسجيل",
    "ملابس وعطور بالجملة والتوصيل لكل المدن",
    "استرجاع الحسابات المسروقة واختراق الواتساب",
    "والله ربحت {n} دولار مع الأستاذ المحترم في التداول أنصحكم تتواصلوا معه",
    "حسابات تداول ممولة وأرباح أسبوعية مضمونة",
    "سحب على جوائز نقدية يوميا شارك الآن",
    "أفلام ومسلسلات بدون إعلانات مجانا",
]
EN_PITCH = [
    "Earn ${n} a day from home with this simple trick",
    "Make money online fast, I made ${n} last week",
    "Join our free crypto signals group, {n}% accuracy guaranteed",
    "Invest in bitcoin now and double your profit in 7 days",
    "Best forex trading signals, guaranteed returns",
    "Best online casino, {n}% welcome bonus and free spins",
    "Sports betting tips that actually win, sign up today",
    "Get instant payday loans with no credit check",
    "Cheap viagra and cialis online without prescription",
    "Lose {n} pounds in 2 weeks with this natural pill",
    "Buy real Instagram followers and likes at the lowest price",
    "Professional SEO services, rank #1 on Google fast",
    "Cheap web hosting and domains, use code SAVE{n}",
    "Essay writing service, top grades guaranteed",
    "Check out my channel for more videos like this, please subscribe",
    "Watch the full match live stream free HD",
    "Congratulations, you have been selected to win a free iPhone",
    "Work from home jobs, no experience needed, pay a small registration fee",
    "Hot singles in your area are waiting for you",
    "Get a free gift card, limited offer, claim now",
    "I made ${n} with Mrs Anna's investment program, contact her",
    "Recover your lost crypto and hacked accounts, contact the expert",
    "Hire a genuine hacker for any job",
    "Cheap replica watches and designer bags",
    "Download the app and get ${n} free on sign up",
    "Watch new movies online free, no ads",
    "Visit my blog for more articles like this",
    "Looking for a sugar daddy? Join now",
    "Grow your YouTube channel with real subscribers",
    "Get your driving licence or passport without exams",
    "Limited time deal: {n}% off everything in our store",
    "Free trading course, learn to earn online",
]
AR_CTA = [
    "تواصل معنا واتساب",
    "للتواصل واتساب",
    "راسلني على الواتس",
    "للطلب اتصل على",
    "انضم الآن عبر التليجرام",
    "سجل من الرابط",
    "التفاصيل في الرابط",
    "اضغط هنا",
    "رابط التسجيل",
    "للاستفسار على الرقم",
    "زوروا موقعنا",
    "الرابط في البايو",
]
EN_CTA = [
    "Contact us on WhatsApp",
    "WhatsApp me",
    "Call now",
    "Join on Telegram",
    "Sign up here",
    "Click here",
    "Visit",
    "More info at",
    "DM me",
    "Register now at",
    "Check it out:",
    "Link:",
]
WORDS = [
    "win",
    "cash",
    "bet",
    "trade",
    "crypto",
    "profit",
    "deal",
    "shop",
    "fast",
    "vip",
    "pro",
    "arab",
    "money",
    "star",
    "gold",
    "free",
    "best",
    "top",
    "easy",
    "smart",
    "lucky",
    "forex",
]
TLDS = ["com", "net", "xyz", "info", "online", "site", "ly", "shop", "top", "io", "biz"]
SHORT = ["bit.ly", "tinyurl.com", "t.me", "wa.me", "cutt.ly", "linktr.ee"]

AR_PLAIN = [
    "الله يرحمه ويصبر أهله",
    "خبر محزن، نسأل الله السلامة للجميع",
    "شكرا على التغطية المهنية",
    "أتمنى أن تتحسن الأوضاع الاقتصادية قريبا",
    "المشكلة في غياب التخطيط وليس في الميزانية",
    "متى سيتم افتتاح الطريق الجديد؟",
    "الأسعار ارتفعت كثيرا هذا الشهر والناس تعبت",
    "كلام الوزير غير مقنع، نريد أفعالا لا أقوالا",
    "نفس الشيء حدث عندنا في بنغازي العام الماضي",
    "الكهرباء تنقطع يوميا في حينا منذ أسبوع",
    "برافو للمنتخب على هذا الأداء",
    "مقال متوازن وموضوعي",
    "أختلف مع الكاتب في النقطة الأخيرة",
    "هل من جديد بخصوص رواتب المعلمين؟",
    "الله يحفظ بلادنا من كل سوء",
    "تقرير ممتاز لكن ينقصه رأي الطرف الآخر",
]
EN_PLAIN = [
    "Thanks for the clear report",
    "I hope the situation improves soon",
    "The minister's answer was not convincing",
    "Does anyone know when the road reopens?",
    "My thoughts are with the families",
    "Well written and balanced article",
    "I disagree with the last point, but good piece",
    "Prices have gone up a lot this year",
    "The same happened in our town last winter",
    "Great match, the team played well",
    "Any update on the teachers' salaries?",
    "This deserves more coverage",
]
AR_PLAIN_LINK = [
    "التفاصيل الكاملة في موقع {src}",
    "الخبر منشور أيضا على {src}",
    "المصدر: {src}",
    "قرأت تقريرا أوضح هنا {src}",
    "البيان الرسمي على موقع الوزارة {src}",
]
EN_PLAIN_LINK = [
    "Full statement here: {src}",
    "Source: {src}",
    "Reuters has more details {src}",
    "The official report is at {src}",
    "See also {src}",
]
SOURCES = [
    "https://www.bbc.com/arabic/articles/{k}",
    "aljazeera.net/news/{k}",
    "https://www.reuters.com/world/{k}",
    "https://ar.wikipedia.org/wiki/{k}",
    "https://www.who.int/news/{k}",
    "libyaobserver.ly/news/{k}",
    "alwasat.ly/news/{k}",
]
AR_PLAIN_NUM = [
    "رقم الطوارئ في طرابلس هو 1415 لمن يحتاج",
    "ولدت سنة 1985 وأتذكر تلك الأيام",
    "سعر الخبز وصل {n} دينار",
    "صار عمري {n} سنة ولم أر مثل هذا",
    "الحادثة وقعت على طريق {n}",
    "تابعوا الحساب الرسمي للوزارة @{h} للتحديثات",
]
EN_PLAIN_NUM = [
    "I was born in 1985 and remember those days",
    "Bread costs {n} dinars now",
    "The emergency number is 1415 if anyone needs it",
    "I have waited {n} days",
    "Follow the official account @{h} for updates",
]


def _domain(r: random.Random) -> str:
    name = r.choice(WORDS) + r.choice(["", "-", ""]) + r.choice(WORDS) + str(r.randint(1, 999))
    if r.random() < 0.3:
        return f"{r.choice(SHORT)}/{name}"
    return f"{name}.{r.choice(TLDS)}"


def _url(r: random.Random) -> str:
    d = _domain(r)
    style = r.random()
    if style < 0.4:
        return f"https://{d}"
    if style < 0.6:
        return f"http://www.{d}/?ref={r.randint(100, 99999)}"
    if style < 0.8:
        return f"www.{d}"
    return d


def _phone(r: random.Random) -> str:
    kind = r.random()
    if kind < 0.35:
        p = f"09{r.choice('1245')}{r.randint(1000000, 9999999)}"
    elif kind < 0.55:
        p = f"+218 9{r.choice('1245')} {r.randint(100, 999)} {r.randint(1000, 9999)}"
    elif kind < 0.7:
        p = f"05{r.randint(10000000, 99999999)}"
    elif kind < 0.85:
        p = f"01{r.choice('0125')}{r.randint(10000000, 99999999)}"
    else:
        cc = r.choice(["44", "1", "971", "966", "20"])
        p = f"+{cc} {r.randint(100, 999)} {r.randint(1000000, 9999999)}"
    return p


def _contact(r: random.Random, lang: str) -> str:
    k = r.random()
    if k < 0.45:
        return _url(r)
    if k < 0.8:
        return _phone(r)
    if k < 0.9:
        return f"t.me/{r.choice(WORDS)}{r.choice(WORDS)}{r.randint(1, 99)}"
    return f"@{r.choice(WORDS)}_{r.choice(WORDS)}{r.randint(1, 99)}"


def synthetic_comments(n_spam: int = 3000, n_ham: int = 1500, seed: int = 0) -> Rows:
    """Return generated comment-spam (label 1) and ordinary comments (label 0), task spam."""
    r = random.Random(seed)
    rows = Rows()

    def add(text: str, label: int, lang: str) -> None:
        rows.text.append(text.strip())
        rows.label.append(label)
        rows.task.append("spam")
        rows.lang.append(lang)
        rows.file.append("synthetic_comments")
        rows.fine_label.append("")
        rows.weight.append(1.0)

    for _ in range(n_spam):
        lang = "ar" if r.random() < 0.6 else "en"
        opens, pitches, ctas = (
            (AR_OPEN, AR_PITCH, AR_CTA) if lang == "ar" else (EN_OPEN, EN_PITCH, EN_CTA)
        )
        pitch = r.choice(pitches).format(n=r.choice([50, 100, 200, 500, 1000, 3000, 90, 95]))
        cta = r.choice(ctas)
        contact = _contact(r, lang)
        parts = [r.choice(opens) + pitch]
        if r.random() < 0.85:
            parts.append(f"{cta} {contact}")
        if r.random() < 0.25:
            parts.append(r.choice(["💰💰", "🔥🔥🔥", "✅", "👇👇", "!!!", "📈", "🎁"]))
        sep = r.choice([" ", " - ", "، " if lang == "ar" else ", ", "\n"])
        add(sep.join(parts), 1, lang)

    for _ in range(n_ham):
        lang = "ar" if r.random() < 0.6 else "en"
        plain = AR_PLAIN if lang == "ar" else EN_PLAIN
        k = r.random()
        if k < 0.45:
            tmpl = r.choice(AR_PLAIN_LINK if lang == "ar" else EN_PLAIN_LINK)
            src = r.choice(SOURCES).format(k=f"{r.choice(WORDS)}-{r.randint(1000, 99999)}")
            text = (r.choice(plain) + ". " if r.random() < 0.6 else "") + tmpl.format(src=src)
        elif k < 0.75:
            tmpl = r.choice(AR_PLAIN_NUM if lang == "ar" else EN_PLAIN_NUM)
            text = tmpl.format(n=r.randint(2, 60), h=r.choice(["MOH_Libya", "UN_News", "WHO"]))
        else:
            text = r.choice(plain) + (" " + r.choice(plain) if r.random() < 0.5 else "")
        if r.random() < 0.5:  # spam openers are ordinary words too: keep them neutral
            text = r.choice(AR_OPEN if lang == "ar" else EN_OPEN) + text
        add(text, 0, lang)
    return rows
