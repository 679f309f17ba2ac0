// Runs the insights dashboard's script (functions/insights/static/dashboard.js) in node against a
// minimal DOM and a scripted fetch, for tests/unit/test_dashboard_js.py; no browser, no network.
//
// stdin: {"hash", "search", "storage": {key: value}, "responses": {path: {"status", "body"} or
// {"network": true}}, "range": optional {"from", "to"}, or a list of them}, where a path is the
// one fetched without its query ("metrics", "metrics/<name>"); fetching a path not listed
// rejects, which the page shows as that chart's failure (or the index's error): a test's
// assertions catch it, not the run's exit code. An answer's optional "when": [{"query",
// "delay_ms", "body"}] answers a URL containing "query" that much later, with that body. With
// "range", once the page has drawn, the range form is filled in and submitted as an operator
// would (a list: one after the other, without waiting for the page), and the page drawn again
// is the one reported.
// stdout: {"state", "status", "signin_hidden", "storage", "url", "inputs", "busy", "fetched",
// "refetched", "charts"}: inputs the range form's from and to, busy #charts' aria-busy;
// fetched the first load's requests, refetched those after the range's submit; charts the
// element tree under #charts as {"tag", "attrs", "children"}, a text node as {"text"}.
"use strict";

const fs = require("fs");
const path = require("path");

class Text {
  constructor(text) { this.text = String(text); }
  get textContent() { return this.text; }
  toJSON() { return { text: this.text }; }
}

class Element {
  constructor(tag) {
    this.tag = tag;
    this.attrs = {};
    this.children = [];
    this.listeners = {};
    this.hidden = false;
    this.value = "";
    const attrs = this.attrs;
    this.dataset = new Proxy({}, {
      set(_, key, value) { attrs[`data-${key}`] = String(value); return true; },
      get(_, key) { return attrs[`data-${key}`]; },
    });
  }
  setAttribute(key, value) { this.attrs[key] = String(value); }
  getAttribute(key) { return this.attrs[key] ?? null; }
  append(...nodes) {
    for (const n of nodes) this.children.push(n instanceof Element || n instanceof Text ? n : new Text(n));
  }
  replaceChildren(...nodes) { this.children = []; this.append(...nodes); }
  get textContent() { return this.children.map((c) => c.textContent).join(""); }
  set textContent(text) { this.children = [new Text(text)]; }
  // the page's policy allows no markup from strings
  set innerHTML(_) { throw new Error("innerHTML is not allowed"); }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  toJSON() { return { tag: this.tag, attrs: this.attrs, children: this.children }; }
}

async function main() {
  const scenario = JSON.parse(fs.readFileSync(0, "utf8"));
  const ids = {};
  for (const id of ["status", "signin", "token", "charts", "range", "from", "to"]) ids[id] = new Element(id);
  ids.signin.hidden = true;
  const html = new Element("html");
  const document = {
    documentElement: html,
    getElementById: (id) => ids[id],
    createElement: (tag) => new Element(tag),
    createElementNS: (_, tag) => new Element(tag),
  };
  const location = { hash: scenario.hash ?? "", search: scenario.search ?? "", pathname: "/v2/insights/dashboard" };
  const history = {
    replaceState(_, __, url) {
      const u = new URL(url, "https://gateway.test");
      Object.assign(location, { pathname: u.pathname, search: u.search, hash: u.hash });
    },
  };
  const storage = { ...(scenario.storage ?? {}) };
  const sessionStorage = {
    getItem: (k) => storage[k] ?? null,
    setItem: (k, v) => { storage[k] = String(v); },
    removeItem: (k) => { delete storage[k]; },
  };
  const fetched = [];
  let pending = 0;
  async function fetch(url, init) {
    const key = url.split("?")[0];
    fetched.push([url, init.headers.Authorization]);
    const answer = scenario.responses[key];
    if (!answer) throw new Error(`the scenario has no answer for ${key}`);
    const special = (answer.when ?? []).find((w) => url.includes(w.query)) ?? {};
    pending += 1;
    await new Promise((resolve) => (special.delay_ms
      ? setTimeout(resolve, special.delay_ms) : setImmediate(resolve)));
    pending -= 1;
    if (answer.network) throw new TypeError("Failed to fetch");
    const ok = answer.status >= 200 && answer.status < 300;
    return { ok, status: answer.status, json: async () => special.body ?? answer.body };
  }
  const source = fs.readFileSync(
    path.join(__dirname, "..", "..", "functions", "insights", "static", "dashboard.js"), "utf8");
  new Function("document", "location", "history", "sessionStorage", "fetch", source)(
    document, location, history, sessionStorage, fetch);
  // until every fetch has answered and the page has drawn what came back
  async function settle() {
    for (let idle = 0; idle < 20; idle = pending ? 0 : idle + 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await settle();
  const first = fetched.length;
  for (const range of [scenario.range ?? []].flat()) {
    ids.from.value = range.from ?? "";
    ids.to.value = range.to ?? "";
    for (const fn of ids.range.listeners.submit ?? []) fn({ preventDefault() {} });
  }
  if (scenario.range) await settle();
  process.stdout.write(JSON.stringify({
    state: html.attrs["data-state"] ?? null,
    status: ids.status.textContent,
    signin_hidden: ids.signin.hidden,
    storage,
    url: location.pathname + location.search + location.hash,
    inputs: [ids.from.value, ids.to.value],
    busy: ids.charts.getAttribute("aria-busy"),
    fetched: fetched.slice(0, first),
    refetched: fetched.slice(first),
    charts: ids.charts,
  }));
}

main().catch((error) => { console.error(error); process.exit(1); });
