"""Every word the desk shows, in Arabic and English, and how times and reasons are written.

One catalogue: the pages' labels, statuses, actions, reasons (each reason code of the policy,
the rules, intake, readers and moderators in plain words), score labels, spam signals and the
statistics' headers. Times are shown in MIZAN_TIMEZONE with their label, relative ("منذ 5
دقائق") where that reads better. Anything that must not be reordered by the bidirectional
algorithm (versions, ids, emails, URLs, numbers) is wrapped in <bdi>.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from mizan.service.db import utcnow

LANGS = ("ar", "en")

# --- the catalogue ----------------------------------------------------------------------------
# Keys are flat; groups share a prefix: status., act., done., reject., report., reason., why.,
# signal., score., by., audit., stats., chart., group.
CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "dir": "ltr",
        "title": "Moderation desk",
        "login": "Log in",
        "logout": "Log out",
        "email": "Email",
        "password": "Password",
        "bad_login": "Wrong email or password.",
        "too_many": "Too many failed logins; try again later.",
        "queue": "Queue",
        "audit": "Audit log",
        "wordlists": "Word lists",
        "bans": "Bans",
        "posts": "Posts",
        "stats": "Statistics",
        "accounts": "Accounts",
        "readers": "Readers' data",
        "domains": "Blocked domains",
        "integrations": "Integrations",
        "language": "العربية",
        "nav": "Desk sections",
        # statuses (the queue's tabs, a comment's state, the audit's from/to)
        "status.pending": "Pending",
        "status.held": "Held",
        "status.spam": "Spam",
        "status.reported": "Reported",
        "status.approved": "Approved",
        "status.rejected": "Rejected",
        # buttons
        "act.approve": "Approve",
        "act.reject": "Reject",
        "act.spam": "Spam",
        "act.not_spam": "Not spam",
        "act.restore": "Restore",
        "act.undo": "Undo",
        # what the toast says after an action, {n} comments
        "done.approve": "Approved: {n}",
        "done.reject": "Rejected: {n}",
        "done.spam": "Marked as spam: {n}",
        "done.not_spam": "Approved as not spam: {n}",
        "done.restore": "Restored: {n}",
        "done.undone": "Undone: {n}",
        "done.failed": "Could not be changed: {n}",
        "undo_hint": "Undo (u)",
        # rejection reasons (moderators) and report reasons (readers)
        "reject.abusive": "Abusive",
        "reject.hate": "Hate",
        "reject.spam": "Spam",
        "reject.off_topic": "Off-topic",
        "reject.personal_data": "Personal data",
        "reject.other": "Other",
        # who decided
        "by.model": "the model",
        "by.rule": "a rule",
        "by.moderator": "a moderator",
        "by.intake": "intake",
        "by.failure": "the failure policy",
        "by.readers": "readers' reports",
        # reason codes: a short label
        "reason.abuse_score": "Abuse score",
        "reason.spam_score": "Spam score",
        "reason.spam_signal": "Spam evidence",
        "reason.insult_term": "Insult word",
        "reason.threat_phrase": "Threat phrase",
        "reason.dehumanising_phrase": "Hate about a group",
        "reason.blocked_term": "Blocked word",
        "reason.watched_term": "Watched word",
        "reason.too_many_links": "Too many links",
        "reason.blocked_domain": "Blocked domain",
        "reason.flood": "Too many comments",
        "reason.duplicate": "Duplicate",
        "reason.banned_author": "Banned author",
        "reason.premoderation": "Pre-moderated article",
        "reason.akismet_feedback": "Reported by a site (Akismet feedback)",
        "reason.no_model": "No model",
        "reason.scoring_failed": "Scoring failed",
        "reason.honeypot": "Bot trap",
        "reason.trusted_author": "Trusted author",
        "reason.shadow_mode": "Shadow mode",
        "reason.below_thresholds": "Below thresholds",
        "reason.reader_reports": "Reader reports",
        "reason.moderator": "Moderator",
        "reason.erased": "Erased at the reader's request",
        "reason.link": "Link",
        "reason.phone": "Phone number",
        "reason.match": "Match",
        # reason codes in plain words ({score}, {threshold}, ... are filled in and isolated)
        "why.abuse_score.held": "The model finds it abusive ({score}, holds from {threshold}).",
        "why.abuse_score.rejected": "The model finds it clearly abusive ({score}, "
        "rejects from {threshold}).",
        "why.insult_term": "It contains a word of the insult list, which lowers the bar.",
        "why.threat_phrase": "It contains a threat or a call to violence: a person reads each one.",
        "why.dehumanising_phrase": "It speaks of a group of people as vermin or animals, or "
        "as lesser beings: a person reads each one.",
        "why.spam_score.spam": "The model finds it spam ({score}, from {threshold}) and it "
        "carries spam evidence: {signals}.",
        "why.spam_score.held": "The model finds it very likely spam ({score}, from {threshold}) "
        "but it carries no spam evidence.",
        "why.spam_signal": "It carries spam evidence ({signals}); the spam score {score} is "
        "below the spam cut.",
        "why.blocked_term": "It contains the blocked word {term}.",
        "why.watched_term": "It contains the watched word {term}.",
        "why.too_many_links": "It has {count} links; more than {limit} are held.",
        "why.blocked_domain": "It links to the blocked domain {domain}.",
        "why.flood.email": "The same email sent {count} comments in {minutes} "
        "(more than {limit} are held).",
        "why.flood.ip": "The same address sent {count} comments in {minutes} "
        "(more than {limit} are held).",
        "why.duplicate.other_article": "It repeats a comment on another article "
        "({similarity} alike).",
        "why.duplicate.same_author": "It repeats an earlier comment of the same author "
        "({similarity} alike).",
        "why.banned_author.email": "Its author's email is banned (ban {ban_id}).",
        "why.banned_author.ip": "Its author's address is banned (ban {ban_id}).",
        "why.banned_author.network": "Its author's network is banned (ban {ban_id}).",
        "why.premoderation": "Every comment on this article waits for a moderator.",
        "why.no_model": "No model was loaded: held rather than published unchecked.",
        "why.scoring_failed": "Scoring failed: held rather than published unchecked.",
        "why.honeypot": "A field only bots fill in was filled in.",
        "why.trusted_author": "Its author is trusted (approved comments from the same browser).",
        "why.shadow_mode": "Shadow mode: the decision was recorded, the comment got {status}.",
        "why.below_thresholds": "Scores below the thresholds.",
        "why.reader_reports": "{reports} readers reported it (threshold {threshold}).",
        "why.moderator": "Decided by {actor}.",
        "why.erased": "The reader asked for their data to be erased.",
        "why.unknown": "Reason: {code}.",
        # spam signals
        "signal.link": "a link",
        "signal.phone": "a phone number",
        "signal.handle": "an account handle",
        "signal.contact": "a contact request",
        "signal.money": "money or profit",
        "signal.promotion": "a promotion",
        "signal.commerce": "selling",
        "signal.healer": "a healer's offer",
        "signal.email": "an email address",
        # score labels
        "score.spam": "Spam",
        "score.abuse": "Abuse",
        "score.obscene": "Obscene",
        "score.hate": "Hate",
        # audit actions
        "audit.approve": "Approved",
        "audit.reject": "Rejected",
        "audit.spam": "Marked as spam",
        "audit.not_spam": "Not spam",
        "audit.restore": "Restored",
        "audit.reveal_email": "Revealed the email",
        "audit.ban": "Banned",
        "audit.unban": "Lifted a ban",
        "audit.word_add": "Added a word",
        "audit.word_remove": "Removed a word",
        "audit.post_settings": "Changed an article",
        "audit.reported": "Reported by readers",
        "audit.model_activate": "Activated a model",
        "audit.account_add": "Added an account",
        "audit.account_update": "Changed an account",
        "audit.password_reset": "Reset a password",
        "audit.token_revoke": "Revoked a token",
        "audit.domain_add": "Blocked a domain",
        "audit.domain_remove": "Unblocked a domain",
        "audit.data_export": "Exported a reader's data",
        "audit.data_erase": "Erased a reader's data",
        # the rest of the pages
        "select": "Select",
        "selected": "With selected:",
        "reason": "Reason",
        "scores": "Scores",
        "reasons": "Why",
        "history": "Author history",
        "history.approved": "approved",
        "history.rejected": "rejected",
        "history.spam": "spam",
        "reveal": "Reveal email",
        "post": "Article",
        "reports": "Reader reports",
        "duplicates": "Near-duplicates",
        "empty": "The queue is clear.",
        "next": "Next page",
        "search": "Search",
        "sort": "Order",
        "sort.oldest": "Oldest first",
        "sort.newest": "Newest first",
        "sort.uncertain": "Most uncertain first",
        "group.by_article": "Group by article",
        "group.count": "Comments: {n}",
        "group.only": "Only this article",
        "filter": "Filter",
        "keys": "Keys: j/k move · a approve · r reject · s spam · x select · u undo",
        "when": "When",
        "who": "Who",
        "what": "What",
        "from": "From",
        "to": "To",
        "comment": "Comment",
        "details": "Details",
        "decisions": "Decisions",
        "term": "Term",
        "list": "List",
        "action": "Action",
        "add": "Add",
        "remove": "Remove",
        "blocked": "Blocked",
        "watched": "Watched",
        "hold": "Hold",
        "kind": "Kind",
        "value": "Value",
        "days": "Days (empty: permanent)",
        "note": "Note",
        "expires": "Expires",
        "never": "never",
        "lift": "Lift",
        "ban_author": "Ban author",
        "ban_email": "Email",
        "ban_ip": "IP",
        "ban_network": "Network",
        "comments_closed": "Comments closed",
        "premoderation": "Pre-moderation",
        "save": "Save",
        "model": "Model",
        "open": "Open",
        "done": "Done",
        "failed": "Failed",
        "times_in": "Times in {zone}",
        "just_now": "just now",
        "restore_hint": "Undo the last decision on this comment",
        "status": "Status",
        # stats
        "stats.day": "Day",
        "stats.model": "Model version",
        "stats.decisions": "Decided automatically",
        "stats.auto_approve": "Automatic approvals confirmed",
        "stats.auto_spam": "Automatic spam confirmed",
        "stats.reviewed": "{agreed} of {reviewed}",
        "stats.none": "—",
        "acc.add": "Add an account",
        "acc.role": "Role",
        "acc.role.moderator": "Moderator",
        "acc.role.admin": "Admin",
        "acc.lang": "Language",
        "acc.active": "Active",
        "acc.disabled": "Disabled",
        "acc.disable": "Disable",
        "acc.enable": "Enable",
        "acc.make": "Change role",
        "acc.reset": "Reset password",
        "acc.new_password": "New password for {email}, shown only now: {password}",
        "acc.last_login": "Last login",
        "acc.tokens": "API tokens",
        "acc.token_used": "last used",
        "acc.revoke": "Revoke",
        "acc.revoked": "revoked",
        "acc.no_tokens": "none",
        "acc.password_hint": "at least 12 characters",
        "chart.comments": "Comments per day, by status now",
        "chart.comments_desc": "Stacked bars: comments posted each day in the last {days} days.",
        "chart.overturned": "Automatic decisions reversed by moderators, per model version",
        "chart.overturned_desc": "Reviewed automatic approvals, spam and rejections, and how "
        "many a moderator reversed.",
        "chart.overturned_rate": "{version}: {overturned} of {reviewed} reviewed reversed",
        "chart.queue": "Comments held at the end of each day",
        "chart.queue_desc": "How many comments waited in the held queue (today: now).",
        "chart.age": "How long the oldest held comment had waited (hours)",
        "chart.age_desc": "Hours since the oldest held comment was posted, at the end of each day.",
        "chart.reports": "Reader reports per day",
        "chart.reports_desc": "Reports readers sent each day.",
        "chart.reviewed": "Reviewed",
        "chart.overturned_n": "Reversed",
        "chart.held_now": "Held",
        "chart.hours": "Hours",
        "chart.reports_n": "Reports",
        "chart.csv": "Download these numbers (CSV)",
        "chart.none": "No automatic decision in this period.",
        "backlog": "The queue is growing old: the oldest held comment was posted {ago} "
        "(the alert is at {minutes}).",
        "readers.hint": "Answer a reader who asks to see or erase what is stored about them. "
        "Check first that the request comes from the owner of the address.",
        "readers.export": "Export (JSON)",
        "readers.erase": "Erase",
        "readers.mode.remove": "Keep the comments as \u201cremoved by request\u201d "
        "(threads stay readable)",
        "readers.mode.delete": "Delete the comments",
        "readers.confirm": "I have checked that the request comes from this address's owner.",
        "readers.done": "Erased: {removed} kept as removed by request, {deleted} deleted.",
        "readers.bad": "Write the reader's email address.",
        "readers.need_confirm": "Tick the confirmation first.",
        "author.view": "Author",
        "author.title": "The author's comments",
        "author.approve": "Approve and trust ({n} waiting)",
        "author.approve_hint": "Approves every held, spam or reported comment of this author; "
        "with enough approved comments their next ones from the same browser are published.",
        "author.none_waiting": "Nothing of this author is waiting.",
        "dom.invalid": "Not a valid domain name; write it like spam.example.",
        "dom.exists": "This domain is already blocked.",
        "acc.invalid": "Check the email address and the password (at least 12 characters).",
        "acc.exists": "An account with this email already exists.",
        "acc.self": "You cannot disable or demote your own account.",
        "dom.domain": "Domain",
        "dom.hint": "Links to this domain and its subdomains make a comment spam.",
        "dom.hits": "Comments sent to spam (30 days)",
        "dom.last_hit": "Last one",
        # the Integrations page (service/integrations/pages.py)
        "int.heading": "Integrations",
        "int.sites": "Sites using the Akismet-compatible API",
        "int.name": "Name",
        "int.origin": "Origin",
        "int.key": "Key",
        "int.checks": "Checked",
        "int.spam": "Answered spam",
        "int.last_used": "Last used",
        "int.state": "State",
        "int.live": "live",
        "int.revoked": "revoked",
        "int.revoke": "Revoke",
        "int.add_site": "Add a site",
        "int.new_key": (
            "The site's API key (shown only now; copy it into the site's Akismet settings):"
        ),
        "int.webhooks": "Webhooks",
        "int.url": "URL",
        "int.events": "Events",
        "int.enabled": "enabled",
        "int.disabled": "disabled",
        "int.failures": "Failures in a row",
        "int.last_error": "Last error",
        "int.last_success": "Last success",
        "int.enable": "Enable",
        "int.disable": "Disable",
        "int.delete": "Delete",
        "int.add_webhook": "Add a webhook",
        "int.new_secret": (
            "The signing secret (shown only now; the receiver verifies X-Mizan-Signature with it):"
        ),
        "int.deliveries": "Recent deliveries",
        "int.event": "Event",
        "int.comment": "Comment",
        "int.status": "Status",
        "int.attempts": "Attempts",
        "int.code": "HTTP",
        "int.when": "Created",
        "int.none": "None yet.",
        "int.error": "Not done:",
    },
    "ar": {
        "dir": "rtl",
        "title": "مكتب الإشراف",
        "login": "تسجيل الدخول",
        "logout": "خروج",
        "email": "البريد الإلكتروني",
        "password": "كلمة المرور",
        "bad_login": "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
        "too_many": "محاولات دخول فاشلة كثيرة؛ حاول لاحقًا.",
        "queue": "الطابور",
        "audit": "سجل التدقيق",
        "wordlists": "قوائم الكلمات",
        "bans": "الحظر",
        "posts": "المقالات",
        "stats": "إحصاءات",
        "accounts": "الحسابات",
        "readers": "بيانات القراء",
        "domains": "النطاقات المحظورة",
        "integrations": "التكاملات",
        "language": "English",
        "nav": "أقسام المكتب",
        "status.pending": "قيد المعالجة",
        "status.held": "محجوزة",
        "status.spam": "مزعجة",
        "status.reported": "مُبلَّغ عنها",
        "status.approved": "منشورة",
        "status.rejected": "مرفوضة",
        "act.approve": "نشر",
        "act.reject": "رفض",
        "act.spam": "مزعج",
        "act.not_spam": "ليس مزعجًا",
        "act.restore": "استعادة",
        "act.undo": "تراجع",
        "done.approve": "نُشر: {n}",
        "done.reject": "رُفض: {n}",
        "done.spam": "عُلّم مزعجًا: {n}",
        "done.not_spam": "نُشر (ليس مزعجًا): {n}",
        "done.restore": "استُعيد: {n}",
        "done.undone": "تم التراجع: {n}",
        "done.failed": "تعذّر تغييره: {n}",
        "undo_hint": "تراجع (u)",
        "reject.abusive": "مسيء",
        "reject.hate": "كراهية",
        "reject.spam": "مزعج",
        "reject.off_topic": "خارج الموضوع",
        "reject.personal_data": "بيانات شخصية",
        "reject.other": "آخر",
        "by.model": "النموذج",
        "by.rule": "قاعدة",
        "by.moderator": "مشرف",
        "by.intake": "الاستقبال",
        "by.failure": "سياسة الإخفاق",
        "by.readers": "بلاغات القراء",
        "reason.abuse_score": "درجة الإساءة",
        "reason.spam_score": "درجة الإزعاج",
        "reason.spam_signal": "قرائن إزعاج",
        "reason.insult_term": "كلمة شتم",
        "reason.threat_phrase": "عبارة تهديد",
        "reason.dehumanising_phrase": "كراهية تجاه جماعة",
        "reason.blocked_term": "كلمة محظورة",
        "reason.watched_term": "كلمة مراقبة",
        "reason.too_many_links": "روابط كثيرة",
        "reason.blocked_domain": "نطاق محظور",
        "reason.flood": "تعليقات كثيرة متتالية",
        "reason.duplicate": "تعليق مكرر",
        "reason.banned_author": "كاتب محظور",
        "reason.premoderation": "مقال بمراجعة مسبقة",
        "reason.akismet_feedback": "أبلغ عنه موقع (ملاحظات Akismet)",
        "reason.no_model": "لا نموذج",
        "reason.scoring_failed": "تعذّر التقييم",
        "reason.honeypot": "فخ الروبوتات",
        "reason.trusted_author": "كاتب موثوق",
        "reason.shadow_mode": "وضع الظل",
        "reason.below_thresholds": "دون العتبات",
        "reason.reader_reports": "بلاغات القراء",
        "reason.moderator": "مشرف",
        "reason.erased": "مُحي بطلب القارئ",
        "reason.link": "رابط",
        "reason.phone": "رقم هاتف",
        "reason.match": "تطابق",
        "why.abuse_score.held": "يرى النموذج أنه مسيء ({score}، والحجز من {threshold}).",
        "why.abuse_score.rejected": "يرى النموذج أنه مسيء بوضوح ({score}، والرفض من {threshold}).",
        "why.insult_term": "فيه كلمة من قائمة الشتائم، وهذا يخفّض عتبة الحجز.",
        "why.threat_phrase": "فيه عبارة تهديد أو دعوة إلى العنف: كل تهديد يقرؤه مشرف.",
        "why.dehumanising_phrase": "يصف جماعة من الناس بالحشرات أو الحيوانات أو ينتقص من "
        "إنسانيتها وقدرها: كل تعليق كهذا يقرؤه مشرف.",
        "why.spam_score.spam": "يرى النموذج أنه مزعج ({score}، من {threshold}) وفيه قرائن "
        "إزعاج: {signals}.",
        "why.spam_score.held": "يرى النموذج أنه مزعج على الأرجح ({score}، من {threshold}) "
        "لكن ليس فيه قرائن إزعاج.",
        "why.spam_signal": "فيه قرائن إزعاج ({signals})؛ ودرجة الإزعاج {score} دون حدّ الإزعاج.",
        "why.blocked_term": "فيه الكلمة المحظورة {term}.",
        "why.watched_term": "فيه الكلمة المراقبة {term}.",
        "why.too_many_links": "فيه {count} روابط؛ ويُحجز ما زاد على {limit}.",
        "why.blocked_domain": "فيه رابط إلى النطاق المحظور {domain}.",
        "why.flood.email": "أرسل البريد نفسه {count} تعليقات خلال {minutes} (يُحجز ما "
        "زاد على {limit}).",
        "why.flood.ip": "أرسل العنوان نفسه {count} تعليقات خلال {minutes} (يُحجز ما زاد "
        "على {limit}).",
        "why.duplicate.other_article": "يكرر تعليقًا على مقال آخر (تشابه {similarity}).",
        "why.duplicate.same_author": "يكرر تعليقًا سابقًا للكاتب نفسه (تشابه {similarity}).",
        "why.banned_author.email": "بريد الكاتب محظور (الحظر {ban_id}).",
        "why.banned_author.ip": "عنوان الكاتب محظور (الحظر {ban_id}).",
        "why.banned_author.network": "شبكة الكاتب محظورة (الحظر {ban_id}).",
        "why.premoderation": "كل تعليقات هذا المقال تنتظر مشرفًا.",
        "why.no_model": "لم يُحمَّل نموذج: حُجز بدل أن يُنشر دون فحص.",
        "why.scoring_failed": "تعذّر التقييم: حُجز بدل أن يُنشر دون فحص.",
        "why.honeypot": "مُلئ حقل لا يملؤه إلا الروبوتات.",
        "why.trusted_author": "الكاتب موثوق (تعليقات منشورة من المتصفح نفسه).",
        "why.shadow_mode": "وضع الظل: سُجّل القرار، وصار التعليق {status}.",
        "why.below_thresholds": "الدرجات دون العتبات.",
        "why.reader_reports": "أبلغ عنه {reports} من القراء (العتبة {threshold}).",
        "why.moderator": "قرّره {actor}.",
        "why.erased": "طلب القارئ محو بياناته.",
        "why.unknown": "السبب: {code}.",
        "signal.link": "رابط",
        "signal.phone": "رقم هاتف",
        "signal.handle": "اسم حساب",
        "signal.contact": "دعوة للتواصل",
        "signal.money": "مال أو أرباح",
        "signal.promotion": "ترويج",
        "signal.commerce": "بيع",
        "signal.healer": "عرض معالج أو راقٍ",
        "signal.email": "عنوان بريد",
        "score.spam": "إزعاج",
        "score.abuse": "إساءة",
        "score.obscene": "بذاءة",
        "score.hate": "كراهية",
        "audit.approve": "نشر",
        "audit.reject": "رفض",
        "audit.spam": "تعليم مزعج",
        "audit.not_spam": "ليس مزعجًا",
        "audit.restore": "استعادة",
        "audit.reveal_email": "إظهار البريد",
        "audit.ban": "حظر",
        "audit.unban": "رفع حظر",
        "audit.word_add": "إضافة كلمة",
        "audit.word_remove": "حذف كلمة",
        "audit.post_settings": "تغيير إعدادات مقال",
        "audit.reported": "بلاغات القراء",
        "audit.model_activate": "تفعيل نموذج",
        "audit.account_add": "إضافة حساب",
        "audit.account_update": "تغيير حساب",
        "audit.password_reset": "إعادة تعيين كلمة المرور",
        "audit.token_revoke": "إلغاء رمز",
        "audit.domain_add": "حظر نطاق",
        "audit.domain_remove": "رفع حظر نطاق",
        "audit.data_export": "تصدير بيانات قارئ",
        "audit.data_erase": "محو بيانات قارئ",
        "select": "تحديد",
        "selected": "للمحدد:",
        "reason": "السبب",
        "scores": "الدرجات",
        "reasons": "لماذا",
        "history": "سجل الكاتب",
        "history.approved": "منشورة",
        "history.rejected": "مرفوضة",
        "history.spam": "مزعجة",
        "reveal": "إظهار البريد",
        "post": "المقال",
        "reports": "بلاغات القراء",
        "duplicates": "تعليقات شبه مكررة",
        "empty": "لا شيء في الطابور.",
        "next": "الصفحة التالية",
        "search": "بحث",
        "sort": "الترتيب",
        "sort.oldest": "الأقدم أولًا",
        "sort.newest": "الأحدث أولًا",
        "sort.uncertain": "الأكثر التباسًا أولًا",
        "group.by_article": "تجميع بحسب المقال",
        "group.count": "التعليقات: {n}",
        "group.only": "تعليقات هذا المقال وحدها",
        "filter": "تصفية",
        "keys": "المفاتيح: j/k تنقّل · a نشر · r رفض · s مزعج · x تحديد · u تراجع",
        "when": "الوقت",
        "who": "من",
        "what": "الإجراء",
        "from": "من حالة",
        "to": "إلى حالة",
        "comment": "التعليق",
        "details": "تفاصيل",
        "decisions": "القرارات",
        "term": "الكلمة",
        "list": "القائمة",
        "action": "الإجراء",
        "add": "إضافة",
        "remove": "حذف",
        "blocked": "محظورة",
        "watched": "مراقبة",
        "hold": "حجز",
        "kind": "النوع",
        "value": "القيمة",
        "days": "أيام (فارغ: دائم)",
        "note": "ملاحظة",
        "expires": "ينتهي",
        "never": "أبدًا",
        "lift": "رفع",
        "ban_author": "حظر الكاتب",
        "ban_email": "البريد",
        "ban_ip": "العنوان",
        "ban_network": "الشبكة",
        "comments_closed": "التعليقات مغلقة",
        "premoderation": "مراجعة مسبقة",
        "save": "حفظ",
        "model": "النموذج",
        "open": "فتح",
        "done": "تم",
        "failed": "تعذّر",
        "times_in": "الأوقات بتوقيت {zone}",
        "just_now": "الآن",
        "restore_hint": "التراجع عن آخر قرار على هذا التعليق",
        "status": "الحالة",
        "stats.day": "اليوم",
        "stats.model": "إصدار النموذج",
        "stats.decisions": "قرارات آلية",
        "stats.auto_approve": "نشر آلي أكّده المشرفون",
        "stats.auto_spam": "إزعاج آلي أكّده المشرفون",
        "stats.reviewed": "{agreed} من {reviewed}",
        "stats.none": "—",
        "acc.add": "إضافة حساب",
        "acc.role": "الدور",
        "acc.role.moderator": "مشرف",
        "acc.role.admin": "مدير",
        "acc.lang": "اللغة",
        "acc.active": "فعّال",
        "acc.disabled": "معطّل",
        "acc.disable": "تعطيل",
        "acc.enable": "تفعيل",
        "acc.make": "تغيير الدور",
        "acc.reset": "إعادة تعيين كلمة المرور",
        "acc.new_password": "كلمة المرور الجديدة لـ {email}، تظهر الآن فقط: {password}",
        "acc.last_login": "آخر دخول",
        "acc.tokens": "رموز الواجهة البرمجية",
        "acc.token_used": "آخر استخدام",
        "acc.revoke": "إلغاء",
        "acc.revoked": "ملغى",
        "acc.no_tokens": "لا شيء",
        "acc.password_hint": "12 حرفًا على الأقل",
        "chart.comments": "التعليقات في اليوم، بحسب حالتها الآن",
        "chart.comments_desc": "أعمدة مكدسة: التعليقات المرسلة كل يوم في آخر {days} يومًا.",
        "chart.overturned": "قرارات آلية عكسها المشرفون، لكل إصدار من النموذج",
        "chart.overturned_desc": "النشر والإزعاج والرفض الآلي الذي راجعه مشرف، وكم منه عُكس.",
        "chart.overturned_rate": "{version}: عُكس {overturned} من {reviewed} مراجَعة",
        "chart.queue": "التعليقات المحجوزة في نهاية كل يوم",
        "chart.queue_desc": "كم تعليقًا انتظر في طابور المحجوزة (اليوم: الآن).",
        "chart.age": "كم انتظر أقدم تعليق محجوز (بالساعات)",
        "chart.age_desc": "الساعات منذ إرسال أقدم تعليق محجوز، في نهاية كل يوم.",
        "chart.reports": "بلاغات القراء في اليوم",
        "chart.reports_desc": "البلاغات التي أرسلها القراء كل يوم.",
        "chart.reviewed": "مراجَعة",
        "chart.overturned_n": "معكوسة",
        "chart.held_now": "محجوزة",
        "chart.hours": "ساعات",
        "chart.reports_n": "بلاغات",
        "chart.csv": "تنزيل هذه الأرقام (CSV)",
        "chart.none": "لا قرارات آلية في هذه المدة.",
        "backlog": "الطابور يتأخر: أُرسل أقدم تعليق محجوز {ago} (التنبيه بعد {minutes}).",
        "readers.hint": "أجب القارئ الذي يطلب الاطلاع على ما خُزّن عنه أو محوه. تحقّق أولًا أن الطلب "
        "من صاحب العنوان.",
        "readers.export": "تصدير (JSON)",
        "readers.erase": "محو",
        "readers.mode.remove": "إبقاء التعليقات بعبارة «حُذف بطلب من كاتبه» (تبقى النقاشات مقروءة)",
        "readers.mode.delete": "حذف التعليقات",
        "readers.confirm": "تحقّقتُ أن الطلب من صاحب هذا العنوان.",
        "readers.done": "مُحي: {removed} أُبقي بعبارة «حُذف بطلب من كاتبه»، و{deleted} حُذف.",
        "readers.bad": "اكتب البريد الإلكتروني للقارئ.",
        "readers.need_confirm": "أكّد التحقق أولًا.",
        "author.view": "الكاتب",
        "author.title": "تعليقات الكاتب",
        "author.approve": "نشر ووثوق ({n} بانتظار القرار)",
        "author.approve_hint": "ينشر كل تعليقات هذا الكاتب المحجوزة والمزعجة والمُبلَّغ عنها؛ "
        "وحين تكفي تعليقاته المنشورة تُنشر تعليقاته التالية من المتصفح نفسه تلقائيًا.",
        "author.none_waiting": "لا شيء من هذا الكاتب بانتظار القرار.",
        "dom.invalid": "ليس اسم نطاق صالحًا؛ اكتبه هكذا: spam.example.",
        "dom.exists": "هذا النطاق محظور من قبل.",
        "acc.invalid": "تحقق من البريد الإلكتروني وكلمة المرور (12 حرفًا على الأقل).",
        "acc.exists": "يوجد حساب بهذا البريد الإلكتروني.",
        "acc.self": "لا يمكنك تعطيل حسابك أو خفض دوره.",
        "dom.domain": "النطاق",
        "dom.hint": "الروابط إلى هذا النطاق ونطاقاته الفرعية تجعل التعليق مزعجًا.",
        "dom.hits": "تعليقات عُلّمت مزعجة (30 يومًا)",
        "dom.last_hit": "آخرها",
        # the Integrations page (service/integrations/pages.py)
        "int.heading": "التكاملات",
        "int.sites": "المواقع التي تستخدم واجهة Akismet المتوافقة",
        "int.name": "الاسم",
        "int.origin": "الأصل",
        "int.key": "المفتاح",
        "int.checks": "المفحوص",
        "int.spam": "أجيب بأنه مزعج",
        "int.last_used": "آخر استخدام",
        "int.state": "الحالة",
        "int.live": "فعّال",
        "int.revoked": "ملغى",
        "int.revoke": "إلغاء",
        "int.add_site": "إضافة موقع",
        "int.new_key": "مفتاح الموقع (يظهر الآن فقط؛ انسخه إلى إعدادات Akismet في الموقع):",
        "int.webhooks": "الخطافات (Webhooks)",
        "int.url": "الرابط",
        "int.events": "الأحداث",
        "int.enabled": "مفعّل",
        "int.disabled": "معطّل",
        "int.failures": "إخفاقات متتالية",
        "int.last_error": "آخر خطأ",
        "int.last_success": "آخر نجاح",
        "int.enable": "تفعيل",
        "int.disable": "تعطيل",
        "int.delete": "حذف",
        "int.add_webhook": "إضافة خطاف",
        "int.new_secret": "سر التوقيع (يظهر الآن فقط؛ يتحقق المستقبِل به من X-Mizan-Signature):",
        "int.deliveries": "آخر الإرسالات",
        "int.event": "الحدث",
        "int.comment": "التعليق",
        "int.status": "الحالة",
        "int.attempts": "المحاولات",
        "int.code": "HTTP",
        "int.when": "أنشئ",
        "int.none": "لا شيء بعد.",
        "int.error": "لم يتم:",
    },
}


def bdi(value: Any) -> Markup:
    """An isolated run: a version, id, email, URL or number keeps its own direction."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


# --- relative times ---------------------------------------------------------------------------
# Arabic counts: 1 and 2 have their own forms, 3-10 take the plural, 11 and up the singular.
_AR_UNITS = {
    "minute": ("دقيقة", "دقيقتين", "دقائق", "دقيقة"),
    "hour": ("ساعة", "ساعتين", "ساعات", "ساعة"),
    "day": ("يوم", "يومين", "أيام", "يومًا"),
}


def _ago(lang: str, n: int, unit: str) -> str:
    if lang == "ar":
        one, two, few, many = _AR_UNITS[unit]
        if n == 1:
            return f"منذ {one}"
        if n == 2:
            return f"منذ {two}"
        return f"منذ {n} {few if 3 <= n <= 10 else many}"
    return f"{n} {unit}{'' if n == 1 else 's'} ago"


def span(lang: str, n: int, unit: str = "minute") -> str:
    """ "5 minutes" / "5 دقائق" / "دقيقتين": a count with its unit, counted as the language does."""
    if lang == "ar":
        one, two, few, many = _AR_UNITS[unit]
        if n == 1:
            return one
        if n == 2:
            return two
        return f"{n} {few if 3 <= n <= 10 else many}"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def relative(lang: str, then: datetime, now: datetime) -> str | None:
    """ "5 minutes ago" / "منذ 5 دقائق" within a week; None beyond (show the date instead)."""
    seconds = (now - then).total_seconds()
    if seconds < 0 or seconds >= 7 * 86400:
        return None
    if seconds < 60:
        return CATALOGUE[lang]["just_now"]
    if seconds < 3600:
        return _ago(lang, int(seconds // 60), "minute")
    if seconds < 86400:
        return _ago(lang, int(seconds // 3600), "hour")
    return _ago(lang, int(seconds // 86400), "day")


def zone_label(tz: ZoneInfo, at: datetime | None = None) -> str:
    """UTC, or UTC+2 / UTC+5:30: short, unambiguous, the same in both languages."""
    offset = (at or utcnow()).astimezone(tz).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def _parse(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Words:
    """The catalogue in one language and the desk's time zone, as the templates use it."""

    def __init__(self, lang: str, tz: ZoneInfo, now: datetime | None = None) -> None:
        self.lang = lang if lang in CATALOGUE else "en"
        self.t = CATALOGUE[self.lang]
        self.tz = tz
        self.now = now or utcnow()

    def __call__(self, key: str, **params: Any) -> str:
        text = self.t.get(key) or CATALOGUE["en"].get(key) or key
        return text.format(**params) if params else text

    def markup(self, key: str, **params: Any) -> Markup:
        """A sentence with its values escaped and isolated."""
        text = self.t.get(key) or CATALOGUE["en"].get(key) or key
        return escape(text).format(
            **{k: v if isinstance(v, Markup) else bdi(_num(v)) for k, v in params.items()}
        )

    # statuses, actions, reasons, labels: unknown codes are shown as they are, isolated
    def _group(self, prefix: str, code: Any) -> str | Markup:
        key = f"{prefix}.{code}"
        if key in self.t:
            return self.t[key]
        return bdi(code if code is not None else "")

    def plain(self, prefix: str, code: Any) -> str:
        """A label as plain text (for attributes): unknown codes as they are."""
        return self.t.get(f"{prefix}.{code}") or str(code if code is not None else "")

    def status(self, code: Any) -> str | Markup:
        return self._group("status", code)

    def act(self, code: Any) -> str | Markup:
        return self._group("act", code)

    def audit_action(self, code: Any) -> str | Markup:
        return self._group("audit", code)

    def reject_reason(self, code: Any) -> str | Markup:
        return self._group("reject", code)

    def by(self, code: Any) -> str | Markup:
        return self._group("by", code)

    def score_label(self, code: Any) -> str | Markup:
        return self._group("score", code)

    def reason_label(self, code: Any) -> str | Markup:
        return self._group("reason", code)

    def signals(self, names: Any) -> str:
        sep = "، " if self.lang == "ar" else ", "
        return sep.join(str(self._group("signal", n)) for n in names or ())

    def why(self, r: Mapping[str, Any], outcome: str | None = None) -> Markup:
        """One reason in plain words, with its numbers and terms isolated."""
        code = str(r.get("code", ""))
        p = dict(r)
        if code == "abuse_score":
            key = "why.abuse_score.rejected" if outcome == "rejected" else "why.abuse_score.held"
            text = self.markup(key, score=p.get("score", ""), threshold=p.get("threshold", ""))
            if p.get("insult_term"):
                text = Markup("{} {}").format(text, self.markup("why.insult_term"))
            return text
        if code in ("threat_phrase", "dehumanising_phrase"):
            return self.markup(f"why.{code}")
        if code == "spam_score":
            key = "why.spam_score.spam" if p.get("signals") else "why.spam_score.held"
            return self.markup(
                key,
                score=p.get("score", ""),
                threshold=p.get("threshold", ""),
                signals=escape(self.signals(p.get("signals"))),
            )
        if code == "spam_signal":
            return self.markup(
                "why.spam_signal",
                score=p.get("score", ""),
                signals=escape(self.signals(p.get("signals"))),
            )
        if code in ("blocked_term", "watched_term"):
            return self.markup(f"why.{code}", term=Markup("«{}»").format(p.get("term", "")))
        if code == "too_many_links":
            return self.markup(
                "why.too_many_links", count=p.get("count", ""), limit=p.get("limit", "")
            )
        if code == "blocked_domain":
            return self.markup("why.blocked_domain", domain=p.get("domain", ""))
        if code == "flood":
            by = "ip" if p.get("by") == "ip" else "email"
            window = p.get("window") or 0
            return self.markup(
                f"why.flood.{by}",
                count=p.get("count", ""),
                limit=p.get("limit", ""),
                minutes=escape(span(self.lang, max(1, int(window) // 60)))
                if isinstance(window, int | float)
                else window,
            )
        if code == "duplicate":
            scope = "same_author" if p.get("scope") == "same_author" else "other_article"
            sim = p.get("similarity")
            pct = f"{round(sim * 100)}%" if isinstance(sim, int | float) else ""
            return self.markup(f"why.duplicate.{scope}", similarity=pct)
        if code == "banned_author":
            kind = str(p.get("by")) if p.get("by") in ("email", "ip", "network") else "email"
            return self.markup(f"why.banned_author.{kind}", ban_id=f"#{p.get('ban_id', '')}")
        if code == "shadow_mode":
            return self.markup("why.shadow_mode", status=escape(self.status(p.get("status"))))
        if code == "reader_reports":
            return self.markup(
                "why.reader_reports",
                reports=p.get("reports", ""),
                threshold=p.get("threshold", ""),
            )
        if f"why.{code}" in self.t and code != "moderator":
            return self.markup(f"why.{code}")
        return self.markup("why.unknown", code=code)

    def audit_reason(self, reason: Any) -> str | Markup:
        """An audit entry's reason: a rejection reason, a ban kind, a word list or a reason code."""
        for key in (f"reject.{reason}", f"ban_{reason}", f"reason.{reason}"):
            if key in self.t:
                return self.t[key]
        if reason in ("blocked", "watched"):
            return self.t[reason]
        return bdi(reason or "")

    def moderator_reason(self, r: Mapping[str, Any]) -> str | Markup:
        """What a moderator did: the action, and the rejection reason when there is one."""
        text = self.audit_action(r.get("action"))
        if r.get("reason"):
            return Markup("{} ({})").format(text, self.reject_reason(r.get("reason")))
        return text

    # --- times ------------------------------------------------------------------------------
    def local(self, value: Any) -> datetime | None:
        dt = _parse(value)
        return dt.astimezone(self.tz) if dt else None

    def zone(self) -> str:
        return zone_label(self.tz, self.now)

    def at(self, value: Any) -> Markup:
        """An absolute time in the desk's zone, with its label."""
        dt = self.local(value)
        if dt is None:
            return Markup("")
        return Markup('<time datetime="{}">{}</time>').format(
            dt.isoformat(timespec="seconds"),
            bdi(f"{dt:%Y-%m-%d %H:%M} {zone_label(self.tz, dt)}"),
        )

    def when(self, value: Any) -> Markup:
        """Relative within a week ("منذ 5 دقائق"), the full time on hover; else absolute."""
        dt = self.local(value)
        if dt is None:
            return Markup("")
        rel = relative(self.lang, dt, self.now)
        if rel is None:
            return self.at(value)
        full = f"{dt:%Y-%m-%d %H:%M} {zone_label(self.tz, dt)}"
        return Markup('<time datetime="{}" title="{}">{}</time>').format(
            dt.isoformat(timespec="seconds"), full, rel
        )

    def span(self, minutes: int) -> Markup:
        """A number of minutes in words, left to the sentence's direction (not isolated)."""
        return escape(span(self.lang, int(minutes)))

    def day(self, value: Any) -> Markup:
        return bdi(value or "")


__all__ = ["CATALOGUE", "LANGS", "Words", "bdi", "relative", "zone_label"]


def words_with_prefix(lang: str, prefix: str) -> dict[str, str]:
    """One page's words from the catalogue: the keys that start with ``prefix``, without it."""
    words = CATALOGUE.get(lang, CATALOGUE["ar"])
    return {k[len(prefix) :]: v for k, v in words.items() if k.startswith(prefix)}
