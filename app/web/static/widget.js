/*!
 * UserCentriCities assistant: chat widget for the community website.
 *
 *   <script src="https://HOST/widget.js" data-endpoint="https://HOST" data-title="Ask UserCentriCities"
 *           data-lang="en" data-accent="#0b5fa5" async></script>
 *
 * Plain ES2019, no dependencies, no build step. Everything is drawn inside a Shadow DOM, so the
 * host page's styles cannot reach it and its styles cannot reach the page. The only requests it
 * makes go to data-endpoint (POST /api/v1/ask, POST /api/v1/feedback, and HEAD /widget.js without
 * CORS when a request failed, to tell a refused origin from a network failure), without cookies.
 * The conversation (its id and the messages shown) is kept in the host page's sessionStorage, so
 * it survives reloads and page changes in the same tab, and is gone when the tab closes; "New chat"
 * clears it. Text from the server is only ever inserted with textContent or text nodes, never
 * parsed as HTML; links are made only for absolute http(s) URLs. Icons are inline SVG paths from
 * this file (after Feather icons, MIT).
 */
(function () {
  "use strict";

  var HOST_TAG = "ucc-assistant-widget";
  var DEFAULT_ACCENT = "#0b5fa5";
  var TIMEOUT_MS = 45000;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var KEPT_MESSAGES = 40; // the newest questions and answers kept for the tab
  var LIST_SHOWN = 6; // items of a list card shown before "Show all"
  // Filled in by the service when it serves this file (app/web/widget.py): {"starters": [...]}.
  var CONFIG = /*@ucc-config*/{};

  // Interface strings, one dictionary per language. Add a language by adding a key with every
  // entry of "en"; data-lang picks it (its primary subtag, e.g. "fr-BE" -> "fr"), else English.
  var STRINGS = {
    en: {
      title: "Ask UserCentriCities",
      close: "Close",
      closeChat: "Close chat",
      newChat: "New chat",
      newChatStarted: "New chat started.",
      dialog: "Chat with the UserCentriCities assistant",
      intro: "Ask how member cities design and deliver user-centric public services. Answers quote their sources.",
      starters: "Try asking",
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
      showAll: "Show all {n}",
      showFewer: "Show fewer",
      overall: "Overall",
      bands: { green: "high", orange: "medium", red: "low" },
      legend: "Bands as on the dashboard: high (more than 2/3 yes), medium, low (1/3 or less).",
      helpful: "Was this helpful?",
      yes: "Yes",
      no: "No",
      comment: "What was wrong or missing? (optional)",
      sendFeedback: "Send feedback",
      thanks: "Thank you for your feedback.",
      feedbackFailed: "Sorry, your feedback could not be sent. Please try again later.",
      networkError: "Sorry, the assistant could not be reached. Please check your connection and try again.",
      refused: "The assistant cannot answer on this website yet: its service at {endpoint} does not accept " +
        "questions from this site ({origin}).",
      refusedOperator: "For the site's operator: allow this site's origin in the assistant's settings. " +
        "The browser console names the setting.",
      refusedConsole: "UserCentriCities assistant: the service at {endpoint} refused a request from {origin} " +
        "(CORS). Add {origin} to UCC_ALLOWED_ORIGINS (comma-separated) in the service's environment and restart it.",
      serverError: "Sorry, something went wrong on our side. Please try again in a moment.",
      busy: "Sorry, there are too many questions right now. Please wait a moment and try again.",
      badRequest: "Sorry, that question could not be answered:",
    },
  };

  // Stroked 24x24 paths (after Feather icons, MIT).
  var ICONS = {
    chat: "M21 11.5a8.4 8.4 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.4 8.4 0 0 1-3.8-.9L3 21l1.9-5.7a8.4 8.4 0 0 1-.9-3.8 " +
      "8.5 8.5 0 0 1 4.7-7.6 8.4 8.4 0 0 1 3.8-.9h.5a8.5 8.5 0 0 1 8 8z",
    close: "M18 6 6 18M6 6l12 12",
    plus: "M12 5v14M5 12h14",
    up: "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.3a2 2 0 0 0 2-1.7l1.4-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 " +
      "2-2h3",
    down: "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.7a2 2 0 0 0-2 1.7l-1.4 9a2 2 0 0 0 2 2.3zm7-13h2.7A2.3 2.3 0 0 1 22 4v7a2.3 " +
      "2.3 0 0 1-2.3 2H17",
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
  var starters = (Array.isArray(CONFIG.starters) ? CONFIG.starters : []).filter(function (q) {
    return typeof q === "string" && q.trim();
  }).slice(0, 6);
  var STORE_KEY = "ucc-assistant:" + endpoint;

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

  // Only absolute http(s) URLs become links (relative ones such as /api/v1/cities/x do not).
  function safeUrl(value) {
    if (typeof value !== "string" || !/^https?:\/\//i.test(value)) return null;
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

  function list(value) {
    return Array.isArray(value) ? value : [];
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return text(values[key]); });
  }

  var uidCount = 0;
  function uid(prefix) {
    uidCount += 1;
    return "ucc-" + prefix + "-" + uidCount;
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

  // An icon: one stroked path from ICONS, hidden from assistive technology (the button has text).
  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function link(url, label, ariaLabel) {
    var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer", referrerpolicy: "no-referrer" });
    a.textContent = label;
    if (ariaLabel) a.setAttribute("aria-label", ariaLabel);
    else a.appendChild(el("span", { class: "vh", text: " " + T.newTab }));
    return a;
  }

  // Full screen below 481 px wide, and when the window is low (phones on their side, 200% zoom).
  var SMALL = "(max-width:480px),(max-height:560px)";
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
    ".icon{flex:none;width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}",
    ".launcher{position:fixed;right:16px;bottom:16px;display:inline-flex;align-items:center;gap:8px;min-height:48px;",
    "max-width:calc(100vw - 32px);padding:10px 20px 10px 16px;border:2px solid " + css(onAccent) + ";border-radius:24px;",
    "background:" + css(accent) + ";color:" + css(onAccent) + ";font-weight:600;font-size:15px;line-height:1.2;",
    "box-shadow:0 2px 10px rgba(0,0,0,.35);overflow-wrap:anywhere;text-align:left}",
    ".launcher:focus-visible{outline-color:#1a1a1a;box-shadow:0 0 0 2px #fff,0 2px 10px rgba(0,0,0,.35)}",
    ".panel{position:fixed;right:16px;bottom:80px;width:400px;max-width:calc(100vw - 32px);height:640px;",
    "max-height:calc(100vh - 96px);display:flex;flex-direction:column;background:#fff;color:#1a1a1a;",
    "border:1px solid #767676;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.3);overflow:hidden}",
    ".header{flex:none;display:flex;align-items:center;gap:4px;padding:6px 6px 6px 16px;background:" + css(accent) + ";color:" + css(onAccent) + "}",
    ".header h2{flex:1 1 auto;min-width:0;margin:0;font-size:16px;font-weight:700;line-height:1.3;overflow-wrap:anywhere}",
    ".hbtn{flex:none;display:inline-flex;align-items:center;justify-content:center;gap:6px;min-width:44px;height:44px;",
    "padding:0 10px;border:0;border-radius:8px;background:transparent;color:inherit;font-size:14px;font-weight:600}",
    ".hbtn:hover{background:rgba(127,127,127,.25)}",
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
    ".card{margin:10px 0 0;padding:8px 10px 10px;border:1px solid #c9ced6;border-radius:8px;background:#fff}",
    ".card h3{margin:0 0 6px;font-size:14px;color:#1a1a1a}",
    ".list{margin:0;padding-left:22px;font-size:13px}.list li{margin:2px 0}",
    ".items{margin:0;padding:0;list-style:none;font-size:14px}",
    ".items li{margin:0;padding:6px 0;border-top:1px solid #e1e4e8}.items li:first-child{border-top:0;padding-top:0}",
    ".items .name{font-weight:700}",
    ".items .why,.items .summary{display:block;margin:2px 0 0;color:#333;font-size:13px}",
    ".meta{color:#4a4a4a}",
    ".more{margin:6px 0 0;padding:4px 10px;min-height:32px;border:1px solid " + css(ink) + ";border-radius:6px;",
    "background:#fff;color:" + css(ink) + ";font-size:13px}",
    ".more:hover{background:#e3e9f1}",
    ".tw{max-width:100%;overflow-x:auto}",
    ".tw:focus-visible{outline-offset:0}",
    "table{width:100%;border-collapse:collapse;font-size:13px;line-height:1.35}",
    "th,td{padding:4px 6px;border-bottom:1px solid #e1e4e8;text-align:left;vertical-align:top;overflow-wrap:normal}",
    "thead th{border-bottom:2px solid #767676;font-weight:700}",
    "tbody th{font-weight:400}",
    "tfoot th,tfoot td{border-bottom:0;border-top:2px solid #767676;font-weight:700}",
    ".band{display:inline-block;padding:1px 6px 1px 4px;border-left:5px solid;border-radius:3px}",
    ".b-green{background:#e2f3e7;color:#0f4d27;border-color:#1e8a44}",
    ".b-orange{background:#fdebd3;color:#6b3700;border-color:#e07b00}",
    ".b-red{background:#fbe2e2;color:#8a1616;border-color:#d42a2a}",
    ".legend{margin:6px 0 0;font-size:12px;color:#4a4a4a}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0 0;padding:0;list-style:none}",
    ".chip{display:inline-flex;align-items:center;gap:6px;min-height:32px;padding:5px 12px;border:1px solid " + css(ink) + ";",
    "border-radius:16px;background:#fff;color:" + css(ink) + ";font-size:13px;line-height:1.3;text-align:left;overflow-wrap:anywhere}",
    ".chip .icon{width:16px;height:16px}",
    ".chip:hover{background:#e3e9f1}",
    ".chip[aria-pressed=\"true\"],.chip[aria-expanded=\"true\"]{background:" + css(ink) + ";color:#fff}",
    ".chip[aria-disabled=\"true\"]{cursor:default}",
    ".starters{margin:0 0 12px;padding:0 2px}",
    ".starters h3{margin:0 0 4px;font-size:13px;font-weight:700;color:#333}",
    ".starters .chips{flex-direction:column;align-items:flex-start}",
    ".starters .chip{font-size:14px}",
    ".feedback{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:10px;font-size:13px}",
    ".feedback .label{margin:0;font-weight:600}",
    ".comment{flex-basis:100%;display:flex;flex-direction:column;gap:4px;margin:4px 0 0}",
    ".comment label{font-weight:600}",
    ".comment textarea{height:64px;font-size:14px}",
    ".comment button{align-self:flex-start;min-height:36px;padding:0 14px;border:0;border-radius:8px;background:" + css(ink) + ";color:#fff;font-weight:600}",
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
    "@media " + SMALL + "{.panel{top:0;left:0;right:0;bottom:0;width:auto;max-width:none;height:auto;max-height:none;",
    "border:0;border-radius:0;box-shadow:none}.open .launcher{display:none}.launcher{right:8px;bottom:8px}}",
    "@media (min-width:481px){.band{white-space:nowrap}}",
    "@media (max-width:400px){.header{padding-left:12px}.header h2{font-size:15px}.hbtn{min-width:40px;padding:0 8px;font-size:13px;gap:4px}}",
    "@media (max-width:340px){.hbtn .bl{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}}",
    "@media (max-height:420px){.form{padding:4px 12px 6px}.form label{font-size:12px}.log{padding:8px}.header{padding:2px 4px 2px 12px}}",
  ].join("\n");

  // --- building the widget ---------------------------------------------------------------------
  var state = { open: false, pending: false, conversationId: null, messages: [] };
  var ui = {};

  function build() {
    if (document.querySelector(HOST_TAG)) return; // the tag is on the page twice
    var host = document.createElement(HOST_TAG);
    var shadow = host.attachShadow({ mode: "open" });
    adoptStyle(shadow);

    ui.launcherIcon = icon("chat");
    ui.launcherText = el("span", { text: title });
    ui.launcher = el("button", {
      type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "ucc-panel",
    }, [ui.launcherIcon, ui.launcherText]);
    ui.newChat = el("button", { type: "button", class: "hbtn newchat", title: T.newChat, hidden: true },
      [icon("plus"), el("span", { class: "bl", text: T.newChat })]);
    ui.close = el("button", { type: "button", class: "hbtn close", "aria-label": T.close, title: T.close },
      [icon("close")]);
    ui.log = el("div", {
      class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": T.conversation, tabindex: "0",
    });
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
      el("div", { class: "header" }, [el("h2", { text: title }), ui.newChat, ui.close]),
      ui.log, ui.status, ui.form,
    ]);
    ui.root = el("div", { class: "root", lang: lang }, [ui.launcher, ui.panel]);
    shadow.appendChild(ui.root);

    ui.launcher.addEventListener("click", function () { setOpen(!state.open); });
    ui.close.addEventListener("click", function () { setOpen(false); });
    ui.newChat.addEventListener("click", newChat);
    ui.root.addEventListener("keydown", function (event) {
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
    // The log is filled before the widget is on the page, so restored messages are not announced.
    var saved = load();
    // A question left without its answer (the page changed while it was asked) goes back into the
    // field, to send again.
    var unanswered = saved && saved.messages.length && saved.messages[saved.messages.length - 1].t === "q"
      ? saved.messages.pop().text : "";
    var restored = saved && saved.messages.length;
    showWelcome(!restored);
    if (restored) {
      state.conversationId = saved.conversationId;
      saved.messages.forEach(function (m) { showMessage(m); });
      state.messages = saved.messages;
    }
    ui.input.value = unanswered;
    updateNewChat();
    document.body.appendChild(host);
    if (saved && saved.open) setOpen(true, true);
    if (state.open) ui.log.scrollTop = ui.log.scrollHeight;
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

  // Open: the launcher becomes the close control ("Close chat", a cross). Restoring an open panel
  // after a reload does not move the focus.
  function setOpen(open, restoring) {
    state.open = open;
    ui.panel.hidden = !open;
    ui.root.classList.toggle("open", open);
    ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    ui.launcherText.textContent = open ? T.closeChat : title;
    var next = icon(open ? "close" : "chat");
    ui.launcher.replaceChild(next, ui.launcherIcon);
    ui.launcherIcon = next;
    if (open) {
      if (!restoring) ui.input.focus({ preventScroll: true });
      ui.log.scrollTop = ui.log.scrollHeight;
    } else {
      ui.launcher.focus({ preventScroll: true });
    }
    if (!restoring) save();
  }

  // The introduction, and on an empty panel the starter questions.
  function showWelcome(withStarters) {
    ui.log.appendChild(el("div", { class: "msg bot intro" }, [el("p", { text: T.intro })]));
    if (!withStarters || !starters.length) return;
    var id = uid("starters");
    var chips = questionChips(starters, null);
    ui.starters = el("div", { class: "starters", role: "group", "aria-labelledby": id },
      [el("h3", { id: id, text: T.starters }), chips]);
    ui.log.appendChild(ui.starters);
  }

  function newChat() {
    if (state.pending) return;
    state.conversationId = null;
    state.messages = [];
    while (ui.log.firstChild) ui.log.removeChild(ui.log.firstChild);
    showWelcome(true);
    updateNewChat();
    save();
    ui.status.textContent = T.newChatStarted;
    ui.input.focus({ preventScroll: true });
  }

  function updateNewChat() {
    ui.newChat.hidden = !state.messages.length;
  }

  // --- keeping the conversation for this tab (sessionStorage of the host page's origin) ---------
  function storage() {
    try {
      return window.sessionStorage || null;
    } catch (_) {
      return null; // storage disabled (sandboxed frame, privacy settings): the chat still works
    }
  }

  function load() {
    var store = storage();
    if (!store) return null;
    try {
      var saved = JSON.parse(store.getItem(STORE_KEY) || "null");
      if (!saved || typeof saved !== "object") return null;
      return {
        conversationId: typeof saved.conversationId === "string" ? saved.conversationId : null,
        open: saved.open === true,
        messages: list(saved.messages).filter(function (m) {
          return m && typeof m === "object" && (m.t === "q" || m.t === "e" ? typeof m.text === "string"
            : m.t === "a" && m.r && typeof m.r === "object");
        }),
      };
    } catch (_) {
      return null;
    }
  }

  function save() {
    var store = storage();
    if (!store) return;
    var messages = state.messages.slice(-KEPT_MESSAGES);
    for (var tries = 0; tries < 6; tries++) {
      try {
        if (!messages.length && !state.open) store.removeItem(STORE_KEY);
        else store.setItem(STORE_KEY, JSON.stringify({ conversationId: state.conversationId, open: state.open, messages: messages }));
        return;
      } catch (_) {
        messages = messages.slice(Math.ceil(messages.length / 2)); // over the quota: keep the newer half
      }
    }
  }

  // What an answer needs to be drawn again after a reload.
  var KEPT_FIELDS = ["status", "intent", "reason", "answer", "parts", "citations", "notes", "related", "follow_ups",
    "clarifying_options", "nearest", "answer_id"];
  function slim(r) {
    var out = {};
    KEPT_FIELDS.forEach(function (key) { if (r[key] != null) out[key] = r[key]; });
    return out;
  }

  function record(message) {
    state.messages.push(message);
    showMessage(message, true);
    updateNewChat();
    save();
  }

  function showMessage(m, live) {
    var node;
    if (m.t === "q") {
      node = el("div", { class: "msg user" }, [el("span", { class: "vh", text: T.you + " " }), m.text]);
    } else if (m.t === "e") {
      node = el("div", { class: "msg bot error" }, m.text.split("\n").map(function (line) {
        return el("p", { text: line });
      }));
    } else {
      node = renderAnswer(m.r, m);
    }
    if (live) addMessage(node);
    else ui.log.appendChild(node);
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

  // A request that failed without an answer: was this page's origin refused (CORS) or is the
  // service out of reach? A no-cors HEAD of /widget.js (public, small, not from the cache) gets an
  // answer from a running service whatever the origin; only a network failure rejects it.
  function whyFailed(error) {
    var origin = window.location.origin;
    if ((error && error.name === "AbortError") || !origin || origin === "null" || new URL(endpoint).origin === origin) {
      return Promise.resolve("network");
    }
    return window.fetch(endpoint + "/widget.js", {
      method: "HEAD", mode: "no-cors", credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
    }).then(function () { return "refused"; }, function () { return "network"; });
  }

  function refusedMessage() {
    var values = { endpoint: new URL(endpoint).origin, origin: window.location.origin };
    if (window.console && typeof window.console.error === "function") window.console.error(fill(T.refusedConsole, values));
    return fill(T.refused, values) + "\n" + T.refusedOperator;
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
    if (ui.starters && ui.starters.parentNode) ui.starters.parentNode.removeChild(ui.starters);
    record({ t: "q", text: question });
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
        record({ t: "a", r: slim(result.data) });
      } else {
        record({ t: "e", text: errorText(result.status, result.data) });
      }
    }, function (error) {
      return whyFailed(error).then(function (why) {
        record({ t: "e", text: why === "refused" ? refusedMessage() : T.networkError });
      });
    }).finally(function () {
      state.pending = false;
      ui.send.removeAttribute("aria-disabled");
      ui.status.textContent = "";
    });
  }

  function sendFeedback(message, rating, comment, fb) {
    if (fb.busy) return;
    fb.busy = true;
    fb.buttons.forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    var body = { answer_id: message.r.answer_id, rating: rating };
    if (comment) body.comment = comment;
    post("/api/v1/feedback", body).then(function (result) {
      if (!result.ok) throw new Error("feedback " + result.status);
      message.fb = rating;
      save();
      fb.mark(rating);
      fb.commentBox.hidden = true;
      fb.down.removeAttribute("aria-expanded");
      fb.thanks.textContent = T.thanks;
    }).catch(function () {
      fb.busy = false;
      fb.buttons.forEach(function (b) { b.removeAttribute("aria-disabled"); });
      fb.thanks.textContent = T.feedbackFailed;
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

  function errorText(status, body) {
    if (status === 0) return T.networkError;
    if (status === 429) return T.busy;
    if (status >= 400 && status < 500) {
      var detail = body && body.error && typeof body.error.message === "string" ? body.error.message.slice(0, 300) : "";
      return detail ? T.badRequest + " " + detail : T.serverError;
    }
    return T.serverError;
  }

  function renderAnswer(r, message) {
    var box = el("div", { class: "msg bot" }, [el("span", { class: "vh", text: T.assistant + " " })]);
    var citations = list(r.citations);
    var parts = list(r.parts).filter(function (p) { return p && typeof p === "object"; });
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
      var short = r.intent !== "answer" ? leadOf(answer, parts) : null;
      var p = el("p", { class: "answer" });
      appendRich(p, short ? short.lead : answer, citations);
      add(box, p);
      parts.forEach(function (part) {
        // A card title that the lead-in already says ("Members most like Espoo") is not repeated.
        if (part.type !== "citations") add(box, renderPart(part, short && within(part.title, short.lead)));
      });
      if (short && short.source && !citations.length) {
        var s = el("p", { class: "notes" });
        appendRich(s, short.source, []);
        add(box, s);
      }
    }
    if (r.status === "answered") {
      list(r.notes).forEach(function (note) {
        if (note) add(box, el("p", { class: "notes", text: note }));
      });
    }
    var cited = parts.filter(function (part) { return part.type === "citations"; })[0];
    var sources = cited ? list(cited.items) : citations;
    if (sources.length) add(box, sourceList(sources));
    if (r.status === "answered") {
      add(box, itemList(T.related, list(r.related).slice(0, 3), function (item) {
        var name = text(item.city_name || item.city);
        return [text(item.title), name ? el("span", { class: "meta", text: " \u00b7 " + name }) : null];
      }));
      add(box, questionChips(r.follow_ups, T.followUps));
    }
    if (typeof r.answer_id === "string" && r.answer_id && message) add(box, feedback(message));
    return box;
  }

  // A routed answer whose list card says it all (similar cities, examples, members, ranking):
  // keep the text's lead-in ("Members most like Espoo:") and its closing "Source: ..." sentence,
  // and let the card hold the list. Only when every "; "-separated piece of the rest starts with
  // an item of the card (a ranking's "1. " aside) and the rest is one sentence; otherwise the text
  // is kept whole.
  function leadOf(answer, parts) {
    var names = [];
    parts.forEach(function (p) {
      if (p.type !== "cities" && p.type !== "examples") return;
      list(p.items).forEach(function (item) {
        var name = item && text(item.name || item.title).trim();
        if (name) names.push(name);
      });
    });
    var m = names.length && /^([^:\n]{1,200}):\s+([\s\S]+)$/.exec(answer);
    if (!m || /[.!?]\s/.test(m[1]) || /\n/.test(m[2])) return null;
    var rest = m[2];
    var source = "";
    var at = rest.lastIndexOf(" Source: ");
    if (at >= 0) {
      source = rest.slice(at + 1).trim();
      rest = rest.slice(0, at);
    }
    if (/[.!?]\s+\S/.test(rest.replace(/(^|\s)\d{1,3}\.\s/g, "$1").trim())) return null; // more than one sentence
    var covered = rest.split(/;\s+/).every(function (piece) {
      piece = piece.replace(/^\d{1,3}\.\s+/, "");
      return names.some(function (name) { return piece.indexOf(name) === 0; });
    });
    return covered ? { lead: m[1] + ":", source: source } : null;
  }

  // Plain text with its [n] markers linked to the citation's URL and bare http(s) URLs linked.
  function appendRich(parent, answer, citations) {
    var byNumber = {};
    citations.forEach(function (c) { if (c) byNumber[String(c.n)] = c; });
    var token = /\[(\d{1,3})\]|https?:\/\/[^\s<>"'\u201c\u201d]+/g;
    var last = 0;
    var match;
    while ((match = token.exec(answer)) !== null) {
      var raw = match[0];
      var end = match.index + raw.length;
      if (!match[1]) {
        var trimmed = raw.replace(/[.,;:!?)\]]+$/, "");
        end = match.index + trimmed.length;
        token.lastIndex = end;
        raw = trimmed;
      }
      if (match.index > last) parent.appendChild(document.createTextNode(answer.slice(last, match.index)));
      if (match[1]) {
        var c = byNumber[match[1]];
        var url = c ? safeUrl(c.url) : null;
        if (url) {
          var a = link(url, raw, "[" + match[1] + "] " + T.source + ": " + text(c.title) + " " + T.newTab);
          a.className = "cite";
          parent.appendChild(a);
        } else {
          parent.appendChild(el("span", { class: "cite", title: c ? text(c.title) : null, text: raw }));
        }
      } else {
        var href = safeUrl(raw);
        parent.appendChild(href ? link(href, raw) : document.createTextNode(raw));
      }
      last = end;
    }
    if (last < answer.length) parent.appendChild(document.createTextNode(answer.slice(last)));
  }

  function words(value) {
    return text(value).toLowerCase().split(/[^0-9a-z\u00c0-\u024f]+/).filter(Boolean);
  }

  // Whether every word of ``title`` is in ``sentence``.
  function within(title, sentence) {
    var have = words(sentence);
    var need = words(title);
    return need.length > 0 && need.every(function (w) { return have.indexOf(w) >= 0; });
  }

  function renderPart(part, untitled) {
    if (part.type === "score_table") return tableCard(part, true);
    if (part.type === "table") return tableCard(part, false);
    if (part.type === "cities") return listCard(part, cityItem, untitled);
    if (part.type === "examples") return listCard(part, exampleItem, untitled);
    return null;
  }

  function card(heading, children, id) {
    var box = el("div", { class: "card" }, [heading ? el("h3", { id: id || null, text: heading }) : null]);
    children.forEach(function (child) { add(box, child); });
    return box;
  }

  // A table; with bands, each score cell shows its dashboard colour and the band in words.
  function tableCard(part, bands) {
    var rows = list(part.rows).filter(Array.isArray);
    if (!rows.length) return null;
    var columns = list(part.columns);
    var colours = list(part.colours);
    var totals = list(part.totals);
    var heading = text(part.title);
    var table = el("table", {}, [heading ? el("caption", { class: "vh", text: heading }) : null]);
    if (columns.length) {
      table.appendChild(el("thead", {}, [el("tr", {}, columns.map(function (c) {
        return el("th", { scope: "col", text: text(c) });
      }))]));
    }
    var used = false;
    table.appendChild(el("tbody", {}, rows.map(function (row, i) {
      return el("tr", {}, row.map(function (value, j) {
        if (j === 0) return el("th", { scope: "row", text: text(value) });
        var colour = bands ? text(list(colours[i])[j - 1]) : "";
        if (!Object.prototype.hasOwnProperty.call(T.bands, colour)) return el("td", { text: text(value) });
        used = true;
        return el("td", {}, [el("span", { class: "band b-" + colour }, [text(value) + " " + T.bands[colour]])]);
      }));
    })));
    if (totals.length) {
      table.appendChild(el("tfoot", {}, [el("tr", {}, [el("th", { scope: "row", text: T.overall })].concat(
        totals.map(function (t) { return el("td", { text: typeof t === "number" ? t + "%" : text(t) }); })))]));
    }
    var id = uid("table");
    var wrap = el("div", { class: "tw", tabindex: "0", role: "region", "aria-labelledby": heading ? id : null,
      "aria-label": heading ? null : T.conversation }, [table]);
    return card(heading, [
      wrap,
      used ? el("p", { class: "legend", text: T.legend }) : null,
      part.note ? el("p", { class: "notes", text: text(part.note) }) : null,
    ], id);
  }

  // A list of cities or examples: the first LIST_SHOWN, the rest behind "Show all".
  function listCard(part, render, untitled) {
    var items = list(part.items).filter(function (item) { return item && typeof item === "object"; });
    if (!items.length) return null;
    var ul = el("ul", { class: "items", "aria-label": untitled ? text(part.title) || null : null });
    items.forEach(function (item, i) {
      var li = render(item);
      if (i >= LIST_SHOWN) li.hidden = true;
      ul.appendChild(li);
    });
    var more = null;
    if (items.length > LIST_SHOWN) {
      var listId = uid("list");
      ul.id = listId;
      more = el("button", { type: "button", class: "more", "aria-expanded": "false", "aria-controls": listId,
        text: fill(T.showAll, { n: items.length }) });
      more.addEventListener("click", function () {
        var open = more.getAttribute("aria-expanded") !== "true";
        Array.prototype.forEach.call(ul.children, function (li, i) { li.hidden = !open && i >= LIST_SHOWN; });
        more.setAttribute("aria-expanded", open ? "true" : "false");
        more.textContent = open ? T.showFewer : fill(T.showAll, { n: items.length });
      });
    }
    return card(untitled ? "" : text(part.title), [ul, more, part.note ? el("p", { class: "notes", text: text(part.note) }) : null]);
  }

  function nameOrLink(label, url, cls) {
    var href = safeUrl(url);
    var node = href ? link(href, label) : el("span", { text: label });
    node.className = cls;
    return node;
  }

  function cityItem(item) {
    return el("li", {}, [
      nameOrLink(text(item.name || item.slug), item.url, "name"),
      item.why ? el("span", { class: "why", text: text(item.why) }) : null,
    ]);
  }

  function exampleItem(item) {
    var meta = [text(item.city_name), item.year ? text(item.year) : ""].filter(Boolean).join(", ");
    return el("li", {}, [
      nameOrLink(text(item.title), item.url, "name"),
      meta ? el("span", { class: "meta", text: " \u00b7 " + meta }) : null,
      item.summary ? el("span", { class: "summary", text: text(item.summary) }) : null,
    ]);
  }

  function sourceList(citations) {
    var ol = el("ol", { class: "list" });
    citations.forEach(function (c) {
      if (!c || typeof c !== "object") return;
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

  // Was this helpful? Yes sends at once; No opens an optional comment, sent with the rating.
  function feedback(message) {
    var fb = { busy: false };
    fb.thanks = el("p", { class: "thanks", role: "status", "aria-live": "polite" });
    fb.up = el("button", { type: "button", class: "chip", "aria-pressed": "false" }, [icon("up"), T.yes]);
    fb.down = el("button", { type: "button", class: "chip" }, [icon("down"), T.no]);
    fb.buttons = [fb.up, fb.down];
    var fieldId = uid("comment");
    var field = el("textarea", { id: fieldId, rows: "2", maxlength: "2000", autocomplete: "off" });
    var submit = el("button", { type: "submit", text: T.sendFeedback });
    fb.commentBox = el("form", { class: "comment", id: uid("commentbox"), novalidate: true, hidden: true }, [
      el("label", { for: fieldId, text: T.comment }), field, submit,
    ]);
    fb.down.setAttribute("aria-controls", fb.commentBox.id);
    fb.mark = function (rating) {
      fb.busy = true;
      fb.buttons.forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
      fb.up.setAttribute("aria-pressed", rating === "up" ? "true" : "false");
      fb.down.setAttribute("aria-pressed", rating === "down" ? "true" : "false");
    };
    fb.up.addEventListener("click", function () {
      fb.commentBox.hidden = true;
      sendFeedback(message, "up", null, fb);
    });
    fb.down.addEventListener("click", function () {
      if (fb.busy) return;
      var open = fb.commentBox.hidden;
      fb.commentBox.hidden = !open;
      fb.down.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) field.focus();
    });
    fb.commentBox.addEventListener("submit", function (event) {
      event.preventDefault();
      sendFeedback(message, "down", field.value.replace(/\s+/g, " ").trim(), fb);
    });
    if (message.fb === "up" || message.fb === "down") fb.mark(message.fb);
    else fb.down.setAttribute("aria-expanded", "false");
    var id = uid("fb");
    return el("div", { class: "feedback", role: "group", "aria-labelledby": id }, [
      el("p", { class: "label", id: id, text: T.helpful }), fb.up, fb.down, fb.commentBox, fb.thanks,
    ]);
  }

  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build, { once: true });
})();
