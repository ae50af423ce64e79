"""Error and page messages in English and Arabic, chosen from the request's Accept-Language."""

from __future__ import annotations

import re

_EXACT = {
    "Metrics are off until MIZAN_METRICS_TOKEN is set.": "المقاييس معطلة حتى يُضبط MIZAN_METRICS_TOKEN.",
    "Metrics need the bearer token.": "المقاييس تتطلب رمز الوصول.",
    "Missing data for required field.": "هذا الحقل مطلوب.",
    "Field may not be null.": "لا يمكن أن يكون هذا الحقل فارغًا.",
    "Not a valid string.": "يجب أن تكون القيمة نصًّا.",
    "Unknown field.": "حقل غير معروف.",
    "Not a valid email address.": "عنوان البريد الإلكتروني غير صالح.",
    "Not a valid URL: use an http or https address.": "رابط غير صالح: استخدم عنوانًا يبدأ بـ http أو https.",
    "The address is not on an allowed site.": "العنوان ليس على موقع مسموح به.",
    "Contains characters that are not allowed.": "يحتوي على محارف غير مسموح بها.",
    "The text is not valid UTF-8.": "النص ليس بترميز UTF-8 صالح.",
    "The parent comment does not exist or is not published.": "التعليق الأصلي غير موجود أو غير منشور.",
    "The parent comment belongs to another article.": "التعليق الأصلي يخص مقالًا آخر.",
    "Invalid input.": "مدخلات غير صالحة.",
    "Invalid input type.": "نوع المدخلات غير صالح.",
    "The comment could not be accepted: see the fields.": "تعذّر قبول التعليق: راجع الحقول.",
    "The request body is not valid JSON.": "جسم الطلب ليس JSON صالحًا.",
    "The request body must be a JSON object.": "يجب أن يكون جسم الطلب كائن JSON.",
    "The request body is too large.": "جسم الطلب كبير جدًا.",
    "Unsupported content type.": "نوع المحتوى غير مدعوم.",
    "Not found.": "غير موجود.",
    "Method not allowed.": "الطريقة غير مسموح بها.",
    "The request was not understood.": "تعذّر فهم الطلب.",
    "The request took too long to arrive.": "استغرق وصول الطلب وقتًا طويلًا.",
    "The request address is too long.": "عنوان الطلب طويل جدًا.",
    "The request headers are too large.": "ترويسات الطلب كبيرة جدًا.",
    "The request's expectation cannot be met.": "لا يمكن تلبية توقّع الطلب.",
    "This transfer encoding is not supported.": "ترميز النقل هذا غير مدعوم.",
    "This origin is not allowed.": "هذا المصدر غير مسموح به.",
    "The service is temporarily unavailable; try again shortly.": "الخدمة غير متاحة مؤقتًا؛ حاول بعد قليل.",
    "An unexpected error occurred.": "حدث خطأ غير متوقع.",
    "Invalid cursor.": "مؤشر صفحات غير صالح.",
    "Must be a whole number between 1 and 100.": "يجب أن يكون عددًا صحيحًا بين 1 و100.",
    "Comments are closed on this article.": "التعليقات مغلقة على هذا المقال.",
    "You are posting too quickly; wait a moment and try again.": "أنت تنشر بسرعة كبيرة؛ انتظر قليلًا ثم حاول مجددًا.",
    "You have already posted this comment on this article.": "سبق أن نشرت هذا التعليق على هذا المقال.",
    "Too many reports; try again later.": "بلاغات كثيرة؛ حاول لاحقًا.",
    "Too many failed logins; try again later.": "محاولات دخول فاشلة كثيرة؛ حاول لاحقًا.",
    "Log in or send a valid API token.": "سجّل الدخول أو أرسل رمز وصول صالحًا.",
    "This action needs an admin account.": "هذا الإجراء يتطلب حساب مدير.",
    "The CSRF token is missing or does not match; reload the page.": "رمز الحماية من التزوير مفقود أو غير مطابق؛ أعد تحميل الصفحة.",
    "Cross-site requests are not allowed.": "الطلبات من مواقع أخرى غير مسموح بها.",
    "This term is already on the list.": "هذه الكلمة موجودة في القائمة بالفعل.",
    "An account with this email already exists.": "يوجد حساب بهذا البريد الإلكتروني بالفعل.",
    "Must be at least 12 characters.": "يجب ألا يقل عن 12 حرفًا.",
}

_PATTERNS = [
    (
        re.compile(r"^Must be between (\d+) and (\d+) characters\.$"),
        "يجب أن يكون بين {0} و{1} حرفًا.",
    ),
    (re.compile(r"^Must be at most (\d+) characters\.$"), "يجب ألا يزيد على {0} حرفًا."),
    (
        re.compile(r"^Must be a whole number between (\d+) and (\d+)\.$"),
        "يجب أن يكون عددًا صحيحًا بين {0} و{1}.",
    ),
    (re.compile(r"^Must be one of: (.+)\.$"), "يجب أن يكون واحدًا من: {0}."),
    (
        re.compile(r"^Cannot (.+) a comment that is (\w+)\.$"),
        "لا يمكن تنفيذ ({0}) على تعليق حالته {1}.",
    ),
]

PAGES = {
    "en": {
        "received_title": "Thank you: your comment was received",
        "received_body": "Your comment is awaiting moderation and will appear once it is approved.",
        "status": "Check the status of your comment",
        "error_title": "Your comment could not be posted",
        "fix_fields": "Correct what is marked below and post again: your text is kept.",
        "text_kept": "Your text is kept below.",
        "retry_after": "Wait {0} seconds, then post again.",
        "back": "Back to the article",
        "name": "Name",
        "email": "Email",
        "url": "Website",
        "comment": "Comment",
        "required": "required",
        "email_note": "Your email address will not be published. Required fields are marked *",
        "submit": "Post comment",
        "honeypot": "Leave this field empty",
    },
    "ar": {
        "received_title": "شكرًا لك: وصلنا تعليقك",
        "received_body": "تعليقك بانتظار المراجعة وسيظهر بعد الموافقة عليه.",
        "status": "تحقق من حالة تعليقك",
        "error_title": "تعذّر نشر تعليقك",
        "fix_fields": "صحّح ما هو مشار إليه أدناه ثم أرسل مجددًا: نصّك محفوظ.",
        "text_kept": "نصّك محفوظ أدناه.",
        "retry_after": "انتظر {0} ثانية ثم أرسل مجددًا.",
        "back": "العودة إلى المقال",
        "name": "الاسم",
        "email": "البريد الإلكتروني",
        "url": "الموقع الإلكتروني",
        "comment": "التعليق",
        "required": "مطلوب",
        "email_note": "لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *",
        "submit": "أرسل التعليق",
        "honeypot": "اترك هذا الحقل فارغًا",
    },
}


def page_language(field: str | None, accept_language: str | None) -> str:
    """ "ar" or "en": a form's `lang` field when it names one of them, else Accept-Language."""
    if field:
        base = field.strip().lower().replace("_", "-").split("-")[0]
        if base in PAGES:
            return base
    return "ar" if prefers_arabic(accept_language) else "en"


def prefers_arabic(accept_language: str | None) -> bool:
    """True when Arabic ranks above English (or alone) in an Accept-Language header."""
    if not accept_language:
        return False
    best_ar = best_other = -1.0
    for position, part in enumerate(accept_language.split(",")[:20]):
        lang, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        # Earlier entries win ties, as browsers list them in preference order.
        score = q - position * 1e-6
        if lang.strip().lower().split("-")[0] == "ar":
            best_ar = max(best_ar, score)
        elif lang.strip():
            best_other = max(best_other, score)
    return best_ar > 0 and best_ar > best_other


def translate(message: str, arabic: bool) -> str:
    """The Arabic form of a known message, or the message unchanged."""
    if not arabic:
        return message
    if message in _EXACT:
        return _EXACT[message]
    for pattern, template in _PATTERNS:
        m = pattern.match(message)
        if m:
            return template.format(*m.groups())
    return message


def translate_fields(fields: dict, arabic: bool) -> dict:
    """Translate marshmallow's nested message structure."""
    if not arabic:
        return fields
    out: dict = {}
    for key, value in fields.items():
        if isinstance(value, dict):
            out[key] = translate_fields(value, arabic)
        elif isinstance(value, list):
            out[key] = [translate(v, arabic) if isinstance(v, str) else v for v in value]
        else:
            out[key] = translate(str(value), arabic)
    return out
