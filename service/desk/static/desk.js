/* Mizan moderation desk: keyboard shortcuts and actions through the moderation API.
   Commenters' text is only ever written with textContent, never as HTML. */
(function () {
  "use strict";

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var form = document.getElementById("queue-form");
  var toast = document.getElementById("toast");
  var toastText = document.getElementById("toast-text");
  var undoButton = document.getElementById("toast-undo");
  var current = -1;
  var UNDO_MS = 10000;  // how long the toast offers to undo the last action
  var undoable = null;  // {ids: [...], removed: [{el, before}]} of the last action

  function words(key, n) {
    var text = (toast && toast.getAttribute("data-done-" + key.replace(/_/g, "-"))) || key + ": {n}";
    return text.replace("{n}", String(n));
  }

  function say(text, canUndo) {
    if (!toast) return;
    toastText.textContent = text;
    undoButton.hidden = !canUndo;
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(function () {
      toast.hidden = true;
      undoable = null;
    }, canUndo ? UNDO_MS : 3000);
  }

  function api(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      return resp.json().then(function (data) {
        if (!resp.ok) {
          var err = new Error((data && data.error && data.error.message) || resp.statusText);
          err.status = resp.status;
          throw err;
        }
        return data;
      });
    });
  }

  // Reveal an author's email (audited on the server): works on the queue and detail pages.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("button[data-reveal]");
    if (!btn) return;
    ev.preventDefault();
    var id = btn.getAttribute("data-reveal");
    api("/api/v1/moderation/comments/" + encodeURIComponent(id) + "/reveal").then(function (data) {
      var span = document.querySelector('[data-email-for="' + CSS.escape(id) + '"]');
      if (span) span.textContent = data.email;
      btn.remove();
    }).catch(function (e) { say(e.message, false); });
  });

  if (!form) return;
  var list = document.getElementById("items");

  function items() { return Array.prototype.slice.call(list.querySelectorAll("li.item")); }

  function focus(i) {
    var all = items();
    if (!all.length) { current = -1; return; }
    current = Math.max(0, Math.min(i, all.length - 1));
    all.forEach(function (el, n) { el.classList.toggle("current", n === current); });
    all[current].focus({ preventScroll: true });
    all[current].scrollIntoView({ block: "nearest" });
  }

  function selectedIds() {
    return items().filter(function (el) {
      return el.querySelector('input[name="ids"]').checked;
    }).map(function (el) { return el.getAttribute("data-id"); });
  }

  function setCounts(counts) {
    if (!counts) return;
    Object.keys(counts).forEach(function (s) {
      var el = document.querySelector('[data-count="' + s + '"]');
      if (el) el.textContent = String(counts[s]);
    });
  }

  // Grouped by article: each heading counts what is left of its group; an empty group hides.
  function groupCounts() {
    Array.prototype.forEach.call(list.querySelectorAll("section.group"), function (g) {
      var n = g.querySelectorAll("li.item").length;
      var count = g.querySelector(".group-count bdi");
      if (count) count.textContent = String(n);
      g.hidden = n === 0;
    });
  }

  function allowed(action) {
    return !!form.querySelector('button[data-bulk="' + action + '"]');
  }

  function act(action, ids) {
    if (!ids.length || !allowed(action)) return;
    var body = { action: action, ids: ids };
    if (action === "reject") body.reason = document.getElementById("reject-reason").value;
    api("/api/v1/moderation/actions", body).then(function (data) {
      var done = [], failed = 0, removed = [];
      data.results.forEach(function (r) {
        var el = document.getElementById("c-" + r.id);
        if (r.ok) {
          done.push(r.id);
          if (el) {
            removed.push({ el: el, parent: el.parentNode, before: el.nextElementSibling });
            el.remove();
          }
        } else {
          failed += 1;
        }
      });
      setCounts(data.counts);
      groupCounts();
      undoable = done.length ? { ids: done, removed: removed.reverse() } : null;
      var text = done.length ? words(action, done.length) : "";
      if (failed) text += (text ? " · " : "") + words("failed", failed);
      say(text, !!undoable);
      if (!items().length) {
        if (form.getAttribute("data-more") === "1") { window.location.reload(); return; }
        document.getElementById("empty-after").hidden = false;
      }
      focus(current);
    }).catch(function (e) { say(e.message, false); });
  }

  // Undo the last action: restore each comment (audited on the server) and put it back.
  function undo() {
    if (!undoable) return;
    var last = undoable;
    undoable = null;
    api("/api/v1/moderation/actions", { action: "restore", ids: last.ids }).then(function (data) {
      var back = {};
      var n = 0;
      data.results.forEach(function (r) { if (r.ok) { back[r.id] = true; n += 1; } });
      last.removed.forEach(function (r) {
        if (!back[r.el.getAttribute("data-id")]) return;
        r.el.classList.remove("selected", "current");
        var box = r.el.querySelector('input[name="ids"]');
        if (box) box.checked = false;
        if (r.before && r.before.parentNode === r.parent) r.parent.insertBefore(r.el, r.before);
        else r.parent.appendChild(r.el);
      });
      setCounts(data.counts);
      groupCounts();
      document.getElementById("empty-after").hidden = items().length > 0;
      say(words("undone", n), false);
      focus(Math.max(current, 0));
    }).catch(function (e) { say(e.message, false); });
  }
  if (undoButton) undoButton.addEventListener("click", undo);

  function targets() {
    var sel = selectedIds();
    if (sel.length) return sel;
    var all = items();
    return current >= 0 && all[current] ? [all[current].getAttribute("data-id")] : [];
  }

  // Buttons act through the API when JavaScript runs; without it the form posts as usual.
  form.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("button");
    if (!btn || btn.hasAttribute("data-reveal")) return;
    if (btn.hasAttribute("data-bulk")) {
      ev.preventDefault();
      act(btn.getAttribute("data-bulk"), selectedIds());
    } else if (btn.hasAttribute("data-action")) {
      ev.preventDefault();
      var li = btn.closest("li.item");
      act(btn.getAttribute("data-action"), [li.getAttribute("data-id")]);
    }
  });

  list.addEventListener("change", function (ev) {
    var li = ev.target.closest("li.item");
    if (li) li.classList.toggle("selected", ev.target.checked);
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var tag = (ev.target && ev.target.tagName) || "";
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(tag) && ev.target.type !== "checkbox") return;
    var all = items();
    switch (ev.key) {
      case "j": focus(current + 1); break;
      case "k": focus(current - 1); break;
      case "x":
        if (all[current]) {
          var box = all[current].querySelector('input[name="ids"]');
          box.checked = !box.checked;
          all[current].classList.toggle("selected", box.checked);
        }
        break;
      case "a": act(form.getAttribute("data-status") === "spam" ? "not_spam" : "approve", targets()); break;
      case "r": act("reject", targets()); break;
      case "s": act("spam", targets()); break;
      case "u": undo(); break;
      default: return;
    }
    ev.preventDefault();
  });

  focus(0);
})();
