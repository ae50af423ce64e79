/* Mizan comments widget: plain JavaScript, no build step, no third-party requests.
 *
 *   <div id="mizan-comments" data-post-id="7"></div>
 *   <script src="https://MIZAN/embed.js" async></script>
 *
 * Optional: data-lang="ar|en", data-permalink, data-title. Reader-supplied text is only ever
 * inserted as text; no style attribute is set, so a page's CSP without 'unsafe-inline' works.
 */
(function () {
  "use strict";

  var VERSION = "__MIZAN_VERSION__";
  var PAGE_SIZE = 20;
  var STORE = "mizan.pending";
  var MAX_DEPTH = 3;
  var REASONS = ["spam", "abusive", "off_topic", "other"];

  var T = {
    ar: {
      title: "التعليقات",
      leave: "أضف تعليقًا",
      replyTo: "الرد على {0}",
      cancelReply: "إلغاء الرد",
      name: "الاسم",
      email: "البريد الإلكتروني",
      url: "الموقع الإلكتروني",
      comment: "التعليق",
      optional: "(اختياري)",
      emailNote: "لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *",
      submit: "أرسل التعليق",
      sending: "جارٍ الإرسال…",
      reply: "رد",
      report: "إبلاغ",
      more: "عرض المزيد من التعليقات",
      loading: "جارٍ تحميل التعليقات…",
      empty: "لا توجد تعليقات بعد. كن أول من يعلّق.",
      loadFailed: "تعذّر تحميل التعليقات.",
      retry: "أعد المحاولة",
      pending: "تعليقك بانتظار المراجعة.",
      received: "وصلنا تعليقك وهو بانتظار المراجعة.",
      published: "نُشر تعليقك.",
      notPublished: "لم يُنشر تعليقك.",
      wait: "انتظر {0} ثانية ثم أرسل مجددًا.",
      network: "تعذّر الاتصال بخدمة التعليقات. نصّك محفوظ؛ حاول مجددًا.",
      fixFields: "راجع الحقول المشار إليها.",
      reportTitle: "لماذا تبلغ عن هذا التعليق؟",
      reasons: { spam: "رسائل مزعجة", abusive: "مسيء", off_topic: "خارج الموضوع", other: "سبب آخر" },
      note: "ملاحظة",
      sendReport: "أرسل البلاغ",
      cancel: "إلغاء",
      reportThanks: "شكرًا، سيطّلع المشرفون على بلاغك.",
      you: "أنت"
    },
    en: {
      title: "Comments",
      leave: "Leave a comment",
      replyTo: "Reply to {0}",
      cancelReply: "Cancel reply",
      name: "Name",
      email: "Email",
      url: "Website",
      comment: "Comment",
      optional: "(optional)",
      emailNote: "Your email address will not be published. Required fields are marked *",
      submit: "Post comment",
      sending: "Sending…",
      reply: "Reply",
      report: "Report",
      more: "Show more comments",
      loading: "Loading comments…",
      empty: "No comments yet. Be the first to comment.",
      loadFailed: "The comments could not be loaded.",
      retry: "Try again",
      pending: "Your comment is awaiting moderation.",
      received: "Your comment was received and is awaiting moderation.",
      published: "Your comment was published.",
      notPublished: "Your comment was not published.",
      wait: "Wait {0} seconds, then post again.",
      network: "The comment service could not be reached. Your text is kept; try again.",
      fixFields: "Check the fields marked below.",
      reportTitle: "Why are you reporting this comment?",
      reasons: { spam: "Spam", abusive: "Abusive", off_topic: "Off topic", other: "Something else" },
      note: "Note",
      sendReport: "Send report",
      cancel: "Cancel",
      reportThanks: "Thank you: the moderators will look at your report.",
      you: "You"
    }
  };

  function fmt(s, a) {
    return s.replace("{0}", a);
  }

  // --- where Mizan is -------------------------------------------------------------------------
  var script = document.currentScript;
  if (!script) {
    var all = document.querySelectorAll("script[src]");
    for (var i = 0; i < all.length; i++) {
      if (/\/embed(\/[^\/]+)?\/embed\.js(\?|$)|\/embed\.js(\?|$)/.test(all[i].src)) script = all[i];
    }
  }
  if (!script) return;
  var src = new URL(script.src, location.href);
  var BASE = src.origin + src.pathname.replace(/\/embed(\/[^\/]+\/embed)?\.js$/, "");

  // --- small DOM helpers: text is always text -------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) {
          node.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
        }
      }
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }
  function safeHref(url) {
    return typeof url === "string" && /^https?:\/\/[^\s"'<>`\\]+$/i.test(url) ? url : null;
  }

  function loadStyles() {
    if (document.querySelector("link[data-mizan-styles]")) return;
    var link = el("link", { rel: "stylesheet", href: BASE + "/embed/" + VERSION + "/embed.css", "data-mizan-styles": "" });
    (document.head || document.documentElement).appendChild(link);
  }

  // --- receipts kept in localStorage --------------------------------------------------------
  function readStore() {
    try {
      var v = JSON.parse(window.localStorage.getItem(STORE) || "[]");
      return Array.isArray(v) ? v : [];
    } catch (e) {
      return [];
    }
  }
  function writeStore(items) {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(items.slice(-50)));
    } catch (e) { /* private mode: the receipt lives as long as the page */ }
  }
  function remember(entry) {
    var items = readStore().filter(function (x) { return x.id !== entry.id; });
    items.push(entry);
    writeStore(items);
  }
  function forget(id) {
    writeStore(readStore().filter(function (x) { return x.id !== id; }));
  }

  function pageLang(root) {
    var want = root.getAttribute("data-lang");
    if (!want) {
      var holder = root.closest("[lang]");
      want = holder ? holder.getAttribute("lang") : "";
    }
    return /^ar\b/i.test(want || "") ? "ar" : "en";
  }
  function pageDir(root, lang) {
    if (root.getAttribute("data-lang")) return lang === "ar" ? "rtl" : "ltr";
    var holder = root.closest("[dir]");
    var dir = holder ? holder.getAttribute("dir").toLowerCase() : "";
    return dir === "rtl" || dir === "ltr" ? dir : lang === "ar" ? "rtl" : "ltr";
  }
  function permalink(root) {
    var given = root.getAttribute("data-permalink");
    if (given) return given;
    var canon = document.querySelector("link[rel=canonical]");
    if (canon && canon.href && new URL(canon.href, location.href).origin === location.origin) return canon.href.split("#")[0];
    return location.href.split("#")[0];
  }

  var instances = 0;

  function Widget(root) {
    this.root = root;
    this.n = ++instances;
    this.postId = root.getAttribute("data-post-id");
    this.lang = pageLang(root);
    this.t = T[this.lang];
    this.dir = pageDir(root, this.lang);
    this.cursor = null;
    this.shown = {};
    this.timers = {};
    this.build();
    this.takeFragment();
    this.load(null);
  }

  Widget.prototype.id = function (name) {
    return "mizan" + this.n + "-" + name;
  };

  Widget.prototype.api = function (path, options) {
    options = options || {};
    var headers = { Accept: "application/json", "Accept-Language": this.lang === "ar" ? "ar" : "en" };
    if (options.body) headers["Content-Type"] = "application/json";
    return fetch(BASE + path, {
      method: options.method || "GET",
      headers: headers,
      body: options.body ? JSON.stringify(options.body) : undefined,
      credentials: "include",
      cache: "no-cache",
      mode: "cors"
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: resp.status, data: data, retryAfter: parseInt(resp.headers.get("Retry-After") || "", 10) };
      });
    });
  };

  Widget.prototype.announce = function (text, isError) {
    var self = this;
    window.clearTimeout(this.announcing);
    this.status.textContent = "";
    this.status.className = "mizan-status" + (isError ? " mizan-status-error" : "");
    // A fresh text node a moment later, so screen readers announce repeated messages too.
    if (text) this.announcing = window.setTimeout(function () { self.status.textContent = text; }, 30);
  };

  Widget.prototype.build = function () {
    var t = this.t;
    clear(this.root);
    this.section = el("section", { class: "mizan", lang: this.lang, dir: this.dir, "aria-labelledby": this.id("title") });
    this.heading = el("h2", { class: "mizan-title", id: this.id("title") }, [t.title]);
    this.status = el("p", { class: "mizan-status", role: "status", "aria-live": "polite" });
    this.list = el("ol", { class: "mizan-list" });
    this.empty = el("p", { class: "mizan-empty", hidden: true }, [t.empty]);
    this.more = el("button", { type: "button", class: "mizan-more", hidden: true }, [t.more]);
    var self = this;
    this.more.addEventListener("click", function () { self.load(self.cursor); });
    this.retry = el("button", { type: "button", class: "mizan-more mizan-retry", hidden: true }, [t.retry]);
    this.retry.addEventListener("click", function () {
      self.retry.hidden = true;
      self.load(self.failedCursor);
    });
    this.formSlot = el("div", { class: "mizan-form-home" });
    this.form = this.buildForm();
    this.formSlot.appendChild(this.form);
    this.section.appendChild(this.heading);
    this.section.appendChild(this.list);
    this.section.appendChild(this.empty);
    this.section.appendChild(this.more);
    this.section.appendChild(this.status);
    this.section.appendChild(this.retry);
    this.section.appendChild(this.formSlot);
    this.root.appendChild(this.section);
  };

  Widget.prototype.buildForm = function () {
    var t = this.t, self = this;
    var form = el("form", { class: "mizan-form", novalidate: true, "aria-labelledby": this.id("form-title") });
    this.formTitle = el("h3", { class: "mizan-form-title", id: this.id("form-title") }, [t.leave]);
    this.cancelReply = el("button", { type: "button", class: "mizan-link mizan-cancel-reply", hidden: true }, [t.cancelReply]);
    this.cancelReply.addEventListener("click", function () { self.replyTo(null); });
    form.appendChild(el("div", { class: "mizan-form-head" }, [this.formTitle, this.cancelReply]));
    form.appendChild(el("p", { class: "mizan-note", id: this.id("email-note") }, [t.emailNote]));
    this.fields = {};
    var spec = [
      ["body", t.comment, "textarea", true, "off"],
      ["author_name", t.name, "text", true, "name"],
      ["author_email", t.email, "email", true, "email"],
      ["author_url", t.url, "url", false, "url"]
    ];
    spec.forEach(function (f) {
      var name = f[0], inputId = self.id(name);
      var label = el("label", { for: inputId }, [f[1]]);
      if (f[3]) {
        label.appendChild(document.createTextNode(" "));
        label.appendChild(el("span", { class: "mizan-req", "aria-hidden": "true" }, ["*"]));
      } else {
        label.appendChild(el("span", { class: "mizan-optional" }, [" " + t.optional]));
      }
      var attrs = { id: inputId, name: name, required: f[3], "aria-required": f[3] ? "true" : null, autocomplete: f[4] };
      if (name === "author_email") attrs["aria-describedby"] = self.id("email-note");
      var input;
      if (f[2] === "textarea") {
        attrs.rows = 6;
        input = el("textarea", attrs);
      } else {
        attrs.type = f[2];
        if (name !== "author_name") attrs.dir = "ltr";
        input = el("input", attrs);
      }
      var error = el("p", { class: "mizan-error", id: self.id(name + "-error"), hidden: true });
      form.appendChild(el("div", { class: "mizan-field mizan-field-" + name }, [label, input, error]));
      self.fields[name] = { input: input, error: error };
    });
    this.formError = el("p", { class: "mizan-form-error", role: "alert", hidden: true });
    this.submit = el("button", { type: "submit", class: "mizan-submit" }, [t.submit]);
    form.appendChild(this.formError);
    form.appendChild(el("div", { class: "mizan-form-actions" }, [this.submit]));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      self.send();
    });
    this.parentId = null;
    return form;
  };

  Widget.prototype.clearErrors = function () {
    for (var name in this.fields) {
      var f = this.fields[name];
      f.error.hidden = true;
      f.error.textContent = "";
      f.input.removeAttribute("aria-invalid");
      var described = name === "author_email" ? this.id("email-note") : null;
      if (described) f.input.setAttribute("aria-describedby", described);
      else f.input.removeAttribute("aria-describedby");
    }
    this.formError.hidden = true;
    this.formError.textContent = "";
  };

  Widget.prototype.showErrors = function (fields, message) {
    var first = null, rest = [];
    fields = fields || {};
    for (var name in fields) {
      var msgs = fields[name];
      var text = Array.isArray(msgs) ? msgs.join(" ") : typeof msgs === "string" ? msgs : JSON.stringify(msgs);
      var f = this.fields[name];
      if (f) {
        f.error.textContent = text;
        f.error.hidden = false;
        f.input.setAttribute("aria-invalid", "true");
        var ids = f.error.id + (name === "author_email" ? " " + this.id("email-note") : "");
        f.input.setAttribute("aria-describedby", ids);
      } else {
        rest.push(text);
      }
    }
    // Focus goes to the first field in the form's own order, whatever order the API used.
    for (var key in this.fields) {
      if (!first && fields[key] && this.fields[key]) first = this.fields[key].input;
    }
    var summary = [message || ""].concat(rest).join(" ").trim();
    // One message, next to the button; role=alert announces it (the status line stays quiet).
    this.announce("");
    this.formError.textContent = summary || this.t.fixFields;
    this.formError.hidden = false;
    if (first) first.focus();
  };

  Widget.prototype.holdSubmit = function (seconds) {
    var self = this, t = this.t, left = seconds;
    this.submit.disabled = true;
    var tick = function () {
      if (left <= 0) {
        self.submit.disabled = false;
        self.submit.textContent = t.submit;
        return;
      }
      self.submit.textContent = t.submit + " (" + left + ")";
      left -= 1;
      window.setTimeout(tick, 1000);
    };
    tick();
  };

  Widget.prototype.send = function () {
    var self = this, t = this.t;
    if (this.submit.disabled) return;
    this.clearErrors();
    var value = function (n) { return self.fields[n].input.value; };
    var payload = {
      post_id: this.postId,
      author_name: value("author_name"),
      author_email: value("author_email"),
      body: value("body"),
      permalink: permalink(this.root),
      title: (this.root.getAttribute("data-title") || document.title || "").slice(0, 300)
    };
    if (value("author_url").trim()) payload.author_url = value("author_url");
    if (this.parentId) payload.parent_id = this.parentId;
    this.submit.disabled = true;
    this.submit.textContent = t.sending;
    this.api("/api/v1/comments", { method: "POST", body: payload }).then(function (res) {
      self.submit.disabled = false;
      self.submit.textContent = t.submit;
      var err = res.data && res.data.error;
      if (res.status === 202 && res.data) {
        var receipt = /[?&]receipt=([^&]+)/.exec(res.data.status_url || "");
        var entry = {
          id: res.data.id,
          receipt: receipt ? decodeURIComponent(receipt[1]) : "",
          post_id: self.postId,
          parent_id: self.parentId,
          author_name: payload.author_name.trim(),
          body: payload.body.trim(),
          created_at: new Date().toISOString(),
          base: BASE
        };
        remember(entry);
        self.fields.body.input.value = "";
        self.replyTo(null);
        var node = self.renderPending(entry, "pending");
        self.announce(t.received);
        node.focus();
        self.watch(entry);
      } else if (res.status === 422 && err) {
        self.showErrors(err.fields, err.message);
      } else if (res.status === 429 || res.status === 503) {
        var wait = isFinite(res.retryAfter) ? res.retryAfter : 15;
        self.showErrors({}, (err ? err.message + " " : "") + fmt(t.wait, wait));
        self.holdSubmit(wait);
      } else if (err) {
        self.showErrors(err.fields, err.message);
      } else {
        self.showErrors({}, t.network);
      }
    }, function () {
      self.submit.disabled = false;
      self.submit.textContent = t.submit;
      self.showErrors({}, t.network);
    });
  };

  Widget.prototype.replyTo = function (comment) {
    var t = this.t;
    this.clearErrors();
    if (!comment) {
      this.parentId = null;
      this.formTitle.textContent = t.leave;
      this.cancelReply.hidden = true;
      if (this.form.parentNode !== this.formSlot) this.formSlot.appendChild(this.form);
      return;
    }
    this.parentId = comment.id;
    this.formTitle.textContent = fmt(t.replyTo, comment.author_name);
    this.cancelReply.hidden = false;
    var host = document.getElementById(this.id("c-" + comment.id));
    if (host) host.querySelector(".mizan-reply-slot").appendChild(this.form);
    this.fields.body.input.focus();
  };

  Widget.prototype.author = function (c) {
    var href = safeHref(c.author_url);
    if (href) {
      return el("a", { class: "mizan-author", href: href, rel: "nofollow ugc noopener" }, [c.author_name]);
    }
    return el("span", { class: "mizan-author" }, [c.author_name]);
  };

  Widget.prototype.time = function (iso) {
    var d = new Date(iso), text = iso;
    try {
      text = d.toLocaleString(this.lang === "ar" ? "ar" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
    } catch (e) { /* an old browser: the ISO time */ }
    return el("time", { class: "mizan-time", datetime: iso }, [text]);
  };

  Widget.prototype.renderComment = function (c, depth) {
    var self = this, t = this.t;
    var li = el("li", { class: "mizan-comment mizan-depth-" + Math.min(depth, MAX_DEPTH), id: this.id("c-" + c.id) });
    var reply = el("button", { type: "button", class: "mizan-link mizan-reply" }, [t.reply]);
    reply.addEventListener("click", function () { self.replyTo(c); });
    var report = el("button", { type: "button", class: "mizan-link mizan-report", "aria-expanded": "false" }, [t.report]);
    report.addEventListener("click", function () { self.openReport(c, li, report); });
    var article = el("article", { class: "mizan-card", "aria-labelledby": this.id("a-" + c.id) }, [
      el("header", { class: "mizan-meta", id: this.id("a-" + c.id) }, [this.author(c), " ", this.time(c.created_at)]),
      el("div", { class: "mizan-body" }, [c.body]),
      el("div", { class: "mizan-actions" }, [reply, report]),
      el("div", { class: "mizan-report-slot" }),
      el("div", { class: "mizan-reply-slot" })
    ]);
    li.appendChild(article);
    li.appendChild(el("ol", { class: "mizan-replies" }));
    this.shown[c.id] = li;
    return li;
  };

  Widget.prototype.placeUnder = function (parentId, node) {
    var parent = parentId && this.shown[parentId];
    if (!parent) {
      this.list.appendChild(node);
      return;
    }
    // Deep threads stop indenting: a reply to a reply at the deepest level sits beside it.
    var depth = parseInt((/mizan-depth-(\d)/.exec(parent.className) || [0, 0])[1], 10);
    var holder = parent;
    while (depth >= MAX_DEPTH && holder.parentNode && holder.parentNode.closest) {
      var up = holder.parentNode.closest(".mizan-comment");
      if (!up) break;
      holder = up;
      depth = parseInt((/mizan-depth-(\d)/.exec(holder.className) || [0, 0])[1], 10);
    }
    holder.querySelector(".mizan-replies").appendChild(node);
  };

  Widget.prototype.depthOf = function (parentId) {
    var parent = parentId && this.shown[parentId];
    if (!parent) return 0;
    var d = parseInt((/mizan-depth-(\d)/.exec(parent.className) || [0, 0])[1], 10);
    return Math.min(d + 1, MAX_DEPTH);
  };

  Widget.prototype.renderThread = function (root) {
    if (this.shown[root.id]) return;
    var self = this;
    this.list.appendChild(this.renderComment(root, 0));
    (root.replies || []).forEach(function (r) {
      if (self.shown[r.id]) return;
      var node = self.renderComment(r, self.depthOf(r.parent_id || root.id));
      self.placeUnder(r.parent_id || root.id, node);
    });
  };

  Widget.prototype.load = function (cursor) {
    var self = this, t = this.t;
    this.more.hidden = true;
    if (!cursor) this.announce(t.loading);
    var path = "/api/v1/posts/" + encodeURIComponent(this.postId) + "/comments?limit=" + PAGE_SIZE;
    if (cursor) path += "&cursor=" + encodeURIComponent(cursor);
    this.api(path).then(function (res) {
      if (res.status !== 200 || !res.data) throw new Error("status " + res.status);
      var firstNew = null;
      res.data.comments.forEach(function (c) {
        var before = self.shown[c.id];
        self.renderThread(c);
        if (!before && !firstNew) firstNew = self.shown[c.id];
      });
      self.cursor = res.data.next_cursor;
      self.more.hidden = !self.cursor;
      self.empty.hidden = self.list.children.length > 0;
      if (!cursor) {
        self.announce("");
        self.showPending();
      } else if (firstNew) {
        var focus = firstNew.querySelector(".mizan-card");
        focus.setAttribute("tabindex", "-1");
        focus.focus();
      }
    }).catch(function () {
      self.announce(t.loadFailed, true);
      self.failedCursor = cursor;
      self.retry.hidden = false;
    });
  };

  // --- the reader's own comments awaiting moderation --------------------------------------------
  Widget.prototype.takeFragment = function () {
    var m = /^#mizan-pending-([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_=-]{1,64})$/.exec(location.hash);
    if (!m) return;
    remember({ id: m[1], receipt: m[2], post_id: this.postId, base: BASE });
    // The receipt leaves the address bar (a copied link must not carry it); the anchor stays.
    try {
      history.replaceState(history.state, "", location.href.split("#")[0] + "#mizan-pending-" + m[1]);
    } catch (e) { /* sandboxed page */ }
    this.scrollTo = m[1];
  };

  Widget.prototype.showPending = function () {
    var self = this;
    readStore().forEach(function (entry) {
      if (entry.post_id !== self.postId || (entry.base && entry.base !== BASE)) return;
      if (self.shown[entry.id]) {
        forget(entry.id);
        return;
      }
      if (entry.body) self.renderPending(entry, "pending");
      self.poll(entry, true);
    });
  };

  Widget.prototype.renderPending = function (entry, state) {
    var t = this.t;
    var existing = document.getElementById("mizan-pending-" + entry.id);
    var li = el("li", {
      class: "mizan-comment mizan-pending mizan-depth-" + this.depthOf(entry.parent_id),
      id: "mizan-pending-" + entry.id,
      tabindex: "-1"
    });
    var label = el("p", { class: "mizan-badge" }, [state === "rejected" ? t.notPublished : t.pending]);
    li.appendChild(el("article", { class: "mizan-card" }, [
      el("header", { class: "mizan-meta" }, [
        el("span", { class: "mizan-author" }, [entry.author_name || t.you]),
        " ",
        entry.created_at ? this.time(entry.created_at) : null
      ]),
      label,
      el("div", { class: "mizan-body" }, [entry.body || ""])
    ]));
    if (existing && existing.parentNode) existing.parentNode.replaceChild(li, existing);
    else this.placeUnder(entry.parent_id, li);
    this.empty.hidden = true;
    if (this.scrollTo === entry.id) {
      this.scrollTo = null;
      li.scrollIntoView({ block: "center" });
      li.focus();
    }
    return li;
  };

  Widget.prototype.watch = function (entry) {
    var self = this, started = Date.now();
    var step = function () {
      var age = Date.now() - started;
      if (age > 30 * 60 * 1000) return;
      self.timers[entry.id] = window.setTimeout(function () {
        self.poll(entry, false).then(function (done) { if (!done) step(); });
      }, age < 120000 ? 2000 : 30000);
    };
    step();
  };

  Widget.prototype.poll = function (entry, first) {
    var self = this, t = this.t;
    var path = "/api/v1/comments/" + encodeURIComponent(entry.id) + "?receipt=" + encodeURIComponent(entry.receipt);
    return this.api(path).then(function (res) {
      if (res.status === 404) {
        forget(entry.id);
        var gone = document.getElementById("mizan-pending-" + entry.id);
        if (gone) gone.parentNode.removeChild(gone);
        return true;
      }
      if (res.status !== 200 || !res.data) {
        if (first) self.watch(entry);
        return false;
      }
      var s = res.data;
      var full = {
        id: entry.id, receipt: entry.receipt, post_id: s.post_id || entry.post_id, parent_id: s.parent_id,
        author_name: s.author_name, body: s.body, created_at: s.created_at, base: BASE
      };
      if (s.status === "approved") {
        forget(entry.id);
        var node = document.getElementById("mizan-pending-" + entry.id);
        if (!self.shown[entry.id]) {
          var published = self.renderComment(full, self.depthOf(full.parent_id));
          if (node && node.parentNode) node.parentNode.replaceChild(published, node);
          else self.placeUnder(full.parent_id, published);
        } else if (node && node.parentNode) {
          node.parentNode.removeChild(node);
        }
        if (!first) self.announce(t.published);
        return true;
      }
      if (s.status === "spam" || s.status === "rejected") {
        forget(entry.id);
        if (document.getElementById("mizan-pending-" + entry.id) || !first) {
          self.renderPending(full, "rejected");
          if (!first) self.announce(t.notPublished);
        }
        return true;
      }
      if (full.post_id === self.postId) {
        remember(full);
        self.renderPending(full, "pending");
      }
      if (first) self.watch(entry);
      return false;
    }, function () {
      if (first) self.watch(entry);
      return false;
    });
  };

  // --- reader reports -------------------------------------------------------------------------
  Widget.prototype.openReport = function (c, li, button) {
    var self = this, t = this.t;
    var slot = li.querySelector(".mizan-report-slot");
    if (slot.firstChild) {
      clear(slot);
      button.setAttribute("aria-expanded", "false");
      button.focus();
      return;
    }
    button.setAttribute("aria-expanded", "true");
    var name = this.id("reason-" + c.id);
    var fieldset = el("fieldset", { class: "mizan-reasons" }, [el("legend", null, [t.reportTitle])]);
    REASONS.forEach(function (r, i) {
      var rid = name + "-" + r;
      fieldset.appendChild(el("div", { class: "mizan-reason" }, [
        el("input", { type: "radio", name: name, id: rid, value: r, checked: i === 0 }),
        el("label", { for: rid }, [t.reasons[r]])
      ]));
    });
    var noteId = this.id("note-" + c.id);
    var note = el("input", { type: "text", id: noteId, maxlength: "500" });
    var msg = el("p", { class: "mizan-report-msg", role: "status", "aria-live": "polite" });
    var send = el("button", { type: "submit", class: "mizan-submit mizan-small" }, [t.sendReport]);
    var cancel = el("button", { type: "button", class: "mizan-link" }, [t.cancel]);
    var form = el("form", { class: "mizan-report-form", novalidate: true }, [
      fieldset,
      el("div", { class: "mizan-field" }, [el("label", { for: noteId }, [t.note, el("span", { class: "mizan-optional" }, [" " + t.optional])]), note]),
      el("div", { class: "mizan-form-actions" }, [send, " ", cancel]),
      msg
    ]);
    cancel.addEventListener("click", function () { self.openReport(c, li, button); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var chosen = form.querySelector("input[type=radio]:checked");
      var body = { reason: chosen ? chosen.value : "other" };
      if (note.value.trim()) body.note = note.value;
      send.disabled = true;
      self.api("/api/v1/comments/" + encodeURIComponent(c.id) + "/reports", { method: "POST", body: body }).then(function (res) {
        send.disabled = false;
        if (res.status === 202) {
          clear(slot);
          slot.appendChild(el("p", { class: "mizan-report-msg", role: "status", tabindex: "-1" }, [t.reportThanks]));
          slot.firstChild.focus();
          button.setAttribute("aria-expanded", "false");
          button.disabled = true;
        } else {
          var err = res.data && res.data.error;
          msg.textContent = err ? err.message + (isFinite(res.retryAfter) ? " " + fmt(t.wait, res.retryAfter) : "") : t.network;
        }
      }, function () {
        send.disabled = false;
        msg.textContent = t.network;
      });
    });
    slot.appendChild(form);
    form.querySelector("input[type=radio]").focus();
  };

  function start() {
    loadStyles();
    var roots = document.querySelectorAll("#mizan-comments, [data-mizan-comments]");
    for (var i = 0; i < roots.length; i++) {
      if (roots[i].getAttribute("data-mizan-ready") || !roots[i].getAttribute("data-post-id")) continue;
      roots[i].setAttribute("data-mizan-ready", "1");
      new Widget(roots[i]);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
