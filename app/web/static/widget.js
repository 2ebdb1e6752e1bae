/*!
 * UserCentriCities assistant: chat widget for the community website.
 *
 *   <script src="https://HOST/widget.js" data-endpoint="https://HOST" data-title="Ask UserCentriCities"
 *           data-lang="en" data-accent="#0b5fa5" async></script>
 *
 * Plain ES2019, no dependencies, no build step. Everything is drawn inside a Shadow DOM, so the
 * host page's styles cannot reach it and its styles cannot reach the page. The only requests it
 * makes go to data-endpoint (POST /api/v1/ask, POST /api/v1/feedback), without cookies; nothing
 * is stored in the browser. Text from the server is only ever inserted with textContent or text
 * nodes, never parsed as HTML; links are made only for http(s) URLs.
 */
(function () {
  "use strict";

  var HOST_TAG = "ucc-assistant-widget";
  var DEFAULT_ACCENT = "#0b5fa5";
  var TIMEOUT_MS = 45000;

  // Interface strings, one dictionary per language. Add a language by adding a key with every
  // entry of "en"; data-lang picks it (its primary subtag, e.g. "fr-BE" -> "fr"), else English.
  var STRINGS = {
    en: {
      title: "Ask UserCentriCities",
      close: "Close",
      dialog: "Chat with the UserCentriCities assistant",
      intro: "Ask how member cities design and deliver user-centric public services. Answers quote their sources.",
      conversation: "Conversation",
      label: "Your question",
      placeholder: "Ask about a service or a city",
      send: "Send",
      you: "You asked:",
      assistant: "Assistant:",
      thinking: "Looking for an answer\u2026",
      empty: "Please type a question first.",
      sources: "Sources",
      source: "Source",
      newTab: "(opens in a new tab)",
      related: "Related elsewhere",
      followUps: "You could also ask",
      needDetail: "Could you say a little more? For example, ask about one of these:",
      outsideScope: "Sorry, that is outside what this assistant covers: public services and the UserCentriCities network.",
      noContent: "Sorry, nothing in the knowledge base answers this closely enough.",
      nearest: "The closest matches",
      helpful: "Was this helpful?",
      yes: "Yes",
      no: "No",
      thanks: "Thank you for your feedback.",
      feedbackFailed: "Sorry, your feedback could not be sent. Please try again later.",
      networkError: "Sorry, the assistant could not be reached. Please check your connection and try again.",
      serverError: "Sorry, something went wrong on our side. Please try again in a moment.",
      busy: "Sorry, there are too many questions right now. Please wait a moment and try again.",
      badRequest: "Sorry, that question could not be answered:",
    },
  };

  if (typeof document === "undefined" || typeof window.fetch !== "function") return;
  if (!document.createElement("div").attachShadow) return;

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var data = (script && script.dataset) || {};
  var lang = String(data.lang || document.documentElement.lang || "en").toLowerCase().split(/[-_]/)[0];
  if (!Object.prototype.hasOwnProperty.call(STRINGS, lang)) lang = "en";
  var T = STRINGS[lang];
  var endpoint = resolveEndpoint(data.endpoint, script && script.src);
  if (!endpoint) return;
  var title = String(data.title || "").replace(/\s+/g, " ").trim().slice(0, 80) || T.title;

  // --- colours: the accent if it is a hex colour, with text colours that keep WCAG AA contrast ---
  var WHITE = [255, 255, 255];
  var BLACK = [0, 0, 0];
  var accent = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(String(data.accent || "").trim())
    ? hexToRgb(String(data.accent).trim()) : hexToRgb(DEFAULT_ACCENT);
  // Text on the accent: black or white, whichever contrasts more (always at least 4.58:1).
  var onAccent = contrast(accent, WHITE) >= contrast(accent, BLACK) ? WHITE : BLACK;
  // Links, outlines and secondary buttons on light backgrounds: the accent darkened until it
  // reaches 4.5:1 on the darkest light background used (#e3e9f1, the hover colour).
  var ink = darkenUntil(accent, [227, 233, 241], 4.5);

  function hexToRgb(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.charAt(0) + h.charAt(0) + h.charAt(1) + h.charAt(1) + h.charAt(2) + h.charAt(2);
    return [0, 2, 4].map(function (i) { return parseInt(h.slice(i, i + 2), 16); });
  }
  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function contrast(a, b) {
    var la = luminance(a);
    var lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function darkenUntil(rgb, bg, min) {
    var c = rgb.slice();
    for (var i = 0; i < 60 && contrast(c, bg) < min; i++) c = c.map(function (v) { return v * 0.92; });
    return contrast(c, bg) >= min ? c : BLACK;
  }
  function css(rgb) {
    return "#" + rgb.map(function (v) { return ("0" + Math.round(v).toString(16)).slice(-2); }).join("");
  }

  function resolveEndpoint(given, src) {
    try {
      var base = new URL(given || src || "", window.location.href);
      if (base.protocol !== "https:" && base.protocol !== "http:") return null;
      return given ? base.origin + base.pathname.replace(/\/+$/, "") : base.origin;
    } catch (_) {
      return null;
    }
  }

  function safeUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      var url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function text(value) {
    return value == null ? "" : String(value);
  }

  // The one way elements are made: attributes are set by name from this file, text as text.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value == null || value === false) return;
        if (key === "text") node.textContent = text(value);
        else if (key === "class") node.className = value;
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child == null) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function link(url, label, ariaLabel) {
    var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer", referrerpolicy: "no-referrer" });
    a.textContent = label;
    if (ariaLabel) a.setAttribute("aria-label", ariaLabel);
    else a.appendChild(el("span", { class: "vh", text: " " + T.newTab }));
    return a;
  }

  var STYLE = [
    ":host{all:initial!important;display:block!important;position:fixed!important;right:0!important;",
    "bottom:0!important;width:0!important;height:0!important;overflow:visible!important;",
    "z-index:2147483000!important;visibility:visible!important;opacity:1!important;transform:none!important}",
    ".root{all:initial;display:block;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;",
    "font-size:15px;line-height:1.45;color:#1a1a1a;text-align:left;-webkit-text-size-adjust:100%}",
    ".root *,.root *::before,.root *::after{box-sizing:border-box}",
    "[hidden]{display:none!important}",
    "button,textarea{font:inherit;color:inherit;letter-spacing:normal;margin:0}",
    "button{cursor:pointer}",
    ":focus{outline:none}",
    ":focus-visible{outline:3px solid " + css(ink) + ";outline-offset:2px;box-shadow:0 0 0 2px #fff}",
    ".vh{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".launcher{position:fixed;right:16px;bottom:16px;display:inline-flex;align-items:center;min-height:48px;",
    "max-width:calc(100vw - 32px);padding:10px 20px;border:2px solid " + css(onAccent) + ";border-radius:24px;",
    "background:" + css(accent) + ";color:" + css(onAccent) + ";font-weight:600;font-size:15px;line-height:1.2;",
    "box-shadow:0 2px 10px rgba(0,0,0,.35);overflow-wrap:anywhere;text-align:left}",
    ".launcher:focus-visible{outline-color:#1a1a1a;box-shadow:0 0 0 2px #fff,0 2px 10px rgba(0,0,0,.35)}",
    ".panel{position:fixed;right:8px;bottom:76px;width:400px;max-width:calc(100vw - 16px);height:600px;",
    "max-height:calc(100vh - 92px);display:flex;flex-direction:column;background:#fff;color:#1a1a1a;",
    "border:1px solid #767676;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.3);overflow:hidden}",
    ".header{flex:none;display:flex;align-items:center;gap:8px;padding:8px 8px 8px 16px;background:" + css(accent) + ";color:" + css(onAccent) + "}",
    ".header h2{flex:1 1 auto;min-width:0;margin:0;font-size:16px;font-weight:700;line-height:1.3;overflow-wrap:anywhere}",
    ".close{flex:none;width:40px;height:40px;border:0;border-radius:8px;background:transparent;color:inherit;font-size:26px;line-height:1}",
    ".close:hover{background:rgba(127,127,127,.25)}",
    ".header :focus-visible{outline-color:" + css(onAccent) + ";outline-offset:-4px;box-shadow:none}",
    ".log{position:relative;flex:1 1 auto;min-height:0;overflow-y:auto;padding:12px;overscroll-behavior:contain}",
    ".log:focus-visible{outline-offset:-3px}",
    ".msg{margin:0 0 12px;padding:10px 12px;border-radius:10px;overflow-wrap:anywhere}",
    ".msg p{margin:0 0 8px}.msg p:last-child{margin-bottom:0}",
    ".intro{color:#4a4a4a}",
    ".user{margin-left:12%;background:" + css(accent) + ";color:" + css(onAccent) + ";white-space:pre-wrap}",
    ".bot{background:#f2f4f7}",
    ".answer{white-space:pre-line}",
    ".bot a{color:" + css(ink) + ";text-decoration:underline;text-underline-offset:2px}",
    ".bot a:hover{text-decoration-thickness:2px}",
    ".cite{font-weight:700;white-space:nowrap}",
    ".notes{color:#4a4a4a;font-size:13px}",
    ".bot h3{margin:10px 0 4px;font-size:13px;font-weight:700;color:#333}",
    ".list{margin:0;padding-left:22px;font-size:13px}.list li{margin:2px 0}",
    ".meta{color:#4a4a4a}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0 0;padding:0;list-style:none}",
    ".chip{min-height:32px;padding:5px 12px;border:1px solid " + css(ink) + ";border-radius:16px;background:#fff;",
    "color:" + css(ink) + ";font-size:13px;line-height:1.3;text-align:left;overflow-wrap:anywhere}",
    ".chip:hover{background:#e3e9f1}",
    ".chip[aria-pressed=\"true\"]{background:" + css(ink) + ";color:#fff}",
    ".chip[aria-disabled=\"true\"]{cursor:default}",
    ".feedback{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:10px;font-size:13px}",
    ".feedback .label{margin:0;font-weight:600}",
    ".thanks{flex-basis:100%;margin:0}.thanks:empty{display:none}",
    ".error{background:#fdecec;color:#7a1010;border-left:4px solid #b3261e}",
    ".status{flex:none;margin:0;padding:0 12px;font-size:13px;color:#4a4a4a}",
    ".status:not(:empty){padding:4px 12px}",
    ".form{flex:none;display:flex;flex-direction:column;gap:4px;margin:0;padding:8px 12px 12px;border-top:1px solid #c9ced6}",
    ".form label{font-size:13px;font-weight:600;color:#333}",
    ".row{display:flex;gap:8px;align-items:flex-end}",
    "textarea{flex:1 1 auto;min-width:0;height:48px;max-height:120px;resize:none;padding:8px 10px;",
    "border:1px solid #767676;border-radius:8px;background:#fff;color:#1a1a1a;font-size:15px;line-height:1.4}",
    "textarea::placeholder{color:#666;opacity:1}",
    ".send{flex:none;min-height:48px;padding:0 16px;border:0;border-radius:8px;background:" + css(accent) + ";",
    "color:" + css(onAccent) + ";font-weight:600}",
    ".send[aria-disabled=\"true\"]{cursor:progress;opacity:.7}",
    "@media (max-width:420px){.launcher{right:8px;bottom:8px}.panel{bottom:68px;max-height:calc(100vh - 76px)}}",
  ].join("\n");

  // --- building the widget ---------------------------------------------------------------------
  var state = { open: false, pending: false, conversationId: null };
  var ui = {};

  function build() {
    if (document.querySelector(HOST_TAG)) return; // the tag is on the page twice
    var host = document.createElement(HOST_TAG);
    var shadow = host.attachShadow({ mode: "open" });
    adoptStyle(shadow);

    ui.launcher = el("button", {
      type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "ucc-panel", text: title,
    });
    ui.close = el("button", { type: "button", class: "close", "aria-label": T.close, title: T.close, text: "\u00d7" });
    ui.log = el("div", {
      class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": T.conversation, tabindex: "0",
    }, [el("div", { class: "msg bot intro" }, [el("p", { text: T.intro })])]);
    ui.status = el("p", { class: "status", role: "status", "aria-live": "polite" });
    ui.input = el("textarea", {
      id: "ucc-question", name: "question", rows: "2", maxlength: "2000", placeholder: T.placeholder, autocomplete: "off",
    });
    ui.send = el("button", { type: "submit", class: "send", text: T.send });
    ui.form = el("form", { class: "form", novalidate: true }, [
      el("label", { for: "ucc-question", text: T.label }),
      el("div", { class: "row" }, [ui.input, ui.send]),
    ]);
    ui.panel = el("div", {
      id: "ucc-panel", class: "panel", role: "dialog", "aria-label": title === T.title ? T.dialog : title, hidden: true,
    }, [
      el("div", { class: "header" }, [el("h2", { text: title }), ui.close]),
      ui.log, ui.status, ui.form,
    ]);
    var root = el("div", { class: "root", lang: lang }, [ui.launcher, ui.panel]);
    shadow.appendChild(root);

    ui.launcher.addEventListener("click", function () { setOpen(!state.open); });
    ui.close.addEventListener("click", function () { setOpen(false); });
    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && state.open) {
        event.preventDefault();
        event.stopPropagation();
        setOpen(false);
      }
    });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      ask(ui.input.value);
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        ask(ui.input.value);
      }
    });
    document.body.appendChild(host);
  }

  function adoptStyle(shadow) {
    // A constructed stylesheet is not subject to the host page's style-src; <style> is the fallback.
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      shadow.adoptedStyleSheets = [sheet];
    } catch (_) {
      shadow.appendChild(el("style", { text: STYLE }));
    }
  }

  function setOpen(open) {
    state.open = open;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) ui.input.focus({ preventScroll: true });
    else ui.launcher.focus({ preventScroll: true });
  }

  // --- talking to the API ------------------------------------------------------------------------
  function post(path, body) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return window.fetch(endpoint + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      mode: "cors",
      cache: "no-store",
      referrerPolicy: "no-referrer",
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        return { ok: response.ok, status: response.status, data: json };
      });
    }).finally(function () {
      if (timer) clearTimeout(timer);
    });
  }

  function ask(question) {
    question = text(question).trim();
    if (state.pending) return;
    if (!question) {
      ui.status.textContent = T.empty;
      ui.input.focus();
      return;
    }
    state.pending = true;
    ui.send.setAttribute("aria-disabled", "true");
    addMessage(el("div", { class: "msg user" }, [el("span", { class: "vh", text: T.you + " " }), question]));
    ui.input.value = "";
    ui.input.scrollTop = 0;
    ui.status.textContent = T.thinking;
    var body = { question: question, channel: "widget" };
    if (state.conversationId) body.conversation_id = state.conversationId;
    post("/api/v1/ask", body).then(function (result) {
      if (result.ok && result.data && typeof result.data === "object") {
        if (typeof result.data.conversation_id === "string" && result.data.conversation_id) {
          state.conversationId = result.data.conversation_id;
        }
        addMessage(renderAnswer(result.data));
      } else {
        addMessage(renderError(result.status, result.data));
      }
    }, function () {
      addMessage(renderError(0, null));
    }).finally(function () {
      state.pending = false;
      ui.send.removeAttribute("aria-disabled");
      ui.status.textContent = "";
    });
  }

  function sendFeedback(answerId, rating, buttons, pressed, thanks) {
    if (buttons[0].getAttribute("aria-disabled") === "true") return;
    buttons.forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    pressed.setAttribute("aria-pressed", "true");
    post("/api/v1/feedback", { answer_id: answerId, rating: rating }).then(function (result) {
      if (!result.ok) throw new Error("feedback " + result.status);
      thanks.textContent = T.thanks;
    }).catch(function () {
      buttons.forEach(function (b) { b.removeAttribute("aria-disabled"); });
      pressed.setAttribute("aria-pressed", "false");
      thanks.textContent = T.feedbackFailed;
    });
  }

  // --- rendering -------------------------------------------------------------------------------
  // Scrolls so that a new answer shows from its question on (the question it answers stays in view).
  function addMessage(node) {
    var previous = ui.log.lastElementChild;
    ui.log.appendChild(node);
    var top = previous && previous.classList.contains("user") && node.classList.contains("bot") ? previous : node;
    ui.log.scrollTop = Math.max(0, top.offsetTop - 8);
  }

  function add(parent, child) {
    if (child) parent.appendChild(child);
  }

  function renderError(status, body) {
    var message = T.serverError;
    if (status === 0) message = T.networkError;
    else if (status === 429) message = T.busy;
    else if (status >= 400 && status < 500) {
      var detail = body && body.error && typeof body.error.message === "string" ? body.error.message.slice(0, 300) : "";
      message = detail ? T.badRequest + " " + detail : T.serverError;
    }
    return el("div", { class: "msg bot error" }, [el("p", { text: message })]);
  }

  function renderAnswer(r) {
    var box = el("div", { class: "msg bot" }, [el("span", { class: "vh", text: T.assistant + " " })]);
    var citations = Array.isArray(r.citations) ? r.citations : [];
    var answer = text(r.answer).trim();
    if (r.status === "need_more_detail") {
      add(box, el("p", { text: answer || T.needDetail }));
      add(box, questionChips(r.clarifying_options, null));
    } else if (r.status === "cannot_answer") {
      add(box, el("p", { text: answer || (r.reason === "outside_scope" ? T.outsideScope : T.noContent) }));
      add(box, itemList(T.nearest, r.nearest, function (item) {
        return [text(item.title || item.doc_id)];
      }));
    } else {
      var p = el("p", { class: "answer" });
      appendWithCitations(p, answer, citations);
      add(box, p);
    }
    if (r.status === "answered" && Array.isArray(r.notes)) {
      r.notes.forEach(function (note) {
        if (note) add(box, el("p", { class: "notes", text: note }));
      });
    }
    if (citations.length) add(box, sourceList(citations));
    if (r.status === "answered") {
      add(box, itemList(T.related, (r.related || []).slice(0, 3), function (item) {
        var name = text(item.city_name || item.city);
        return [text(item.title), name ? el("span", { class: "meta", text: " \u00b7 " + name }) : null];
      }));
      add(box, questionChips(r.follow_ups, T.followUps));
    }
    if (typeof r.answer_id === "string" && r.answer_id) add(box, feedback(r.answer_id));
    return box;
  }

  // The answer's [n] markers become links to the citation's URL (http(s) only), the rest is text.
  function appendWithCitations(parent, answer, citations) {
    var byNumber = {};
    citations.forEach(function (c) { byNumber[String(c.n)] = c; });
    var marker = /\[(\d{1,3})\]/g;
    var last = 0;
    var match;
    while ((match = marker.exec(answer)) !== null) {
      if (match.index > last) parent.appendChild(document.createTextNode(answer.slice(last, match.index)));
      var c = byNumber[match[1]];
      var url = c ? safeUrl(c.url) : null;
      if (url) {
        var a = link(url, match[0], "[" + match[1] + "] " + T.source + ": " + text(c.title) + " " + T.newTab);
        a.className = "cite";
        parent.appendChild(a);
      } else {
        parent.appendChild(el("span", { class: "cite", title: c ? text(c.title) : null, text: match[0] }));
      }
      last = marker.lastIndex;
    }
    if (last < answer.length) parent.appendChild(document.createTextNode(answer.slice(last)));
  }

  function sourceList(citations) {
    var ol = el("ol", { class: "list" });
    citations.forEach(function (c) {
      var li = el("li", { value: Number(c.n) > 0 ? String(Number(c.n)) : null });
      var url = safeUrl(c.url);
      var label = text(c.title || c.source);
      li.appendChild(url ? link(url, label) : document.createTextNode(label));
      var meta = [text(c.city_name || ""), c.page ? "p. " + text(c.page) : ""].filter(Boolean).join(", ");
      if (!url && c.source && c.source !== label) meta = [meta, text(c.source)].filter(Boolean).join(", ");
      if (meta) li.appendChild(el("span", { class: "meta", text: " \u00b7 " + meta }));
      ol.appendChild(li);
    });
    return el("div", { class: "sources" }, [el("h3", { text: T.sources }), ol]);
  }

  function itemList(heading, items, label) {
    if (!Array.isArray(items) || !items.length) return null;
    var ul = el("ul", { class: "list" });
    items.forEach(function (item) {
      if (!item || typeof item !== "object") return;
      var parts = label(item);
      var url = safeUrl(item.url);
      var li = el("li");
      li.appendChild(url ? link(url, parts[0]) : document.createTextNode(parts[0]));
      parts.slice(1).forEach(function (part) { if (part) li.appendChild(part); });
      ul.appendChild(li);
    });
    return el("div", {}, [el("h3", { text: heading }), ul]);
  }

  // Clarifying options ({label, question}) or follow-up questions (strings) as buttons that ask.
  function questionChips(options, heading) {
    if (!Array.isArray(options) || !options.length) return null;
    var ul = el("ul", { class: "chips" });
    options.forEach(function (option) {
      var label = typeof option === "string" ? option : text(option && option.label);
      var question = typeof option === "string" ? option : text((option && option.question) || label);
      if (!label.trim()) return;
      var button = el("button", { type: "button", class: "chip", text: label });
      button.addEventListener("click", function () { ask(question); });
      ul.appendChild(el("li", {}, [button]));
    });
    return heading ? el("div", {}, [el("h3", { text: heading }), ul]) : ul;
  }

  function feedback(answerId) {
    var thanks = el("p", { class: "thanks", role: "status", "aria-live": "polite" });
    var up = el("button", { type: "button", class: "chip", "aria-pressed": "false" },
      [el("span", { "aria-hidden": "true", text: "\ud83d\udc4d " }), T.yes]);
    var down = el("button", { type: "button", class: "chip", "aria-pressed": "false" },
      [el("span", { "aria-hidden": "true", text: "\ud83d\udc4e " }), T.no]);
    var buttons = [up, down];
    up.addEventListener("click", function () { sendFeedback(answerId, "up", buttons, up, thanks); });
    down.addEventListener("click", function () { sendFeedback(answerId, "down", buttons, down, thanks); });
    var id = "ucc-fb-" + Math.random().toString(36).slice(2, 10);
    return el("div", { class: "feedback", role: "group", "aria-labelledby": id }, [
      el("p", { class: "label", id: id, text: T.helpful }), up, down, thanks,
    ]);
  }

  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build, { once: true });
})();
