// The insights dashboard: reads every metric from the JSON API next to this page and draws it
// as inline SVG. No library, nothing from another origin.
//
// The operator's Firebase ID token comes in the URL fragment (#token=...), which browsers never
// send to a server; it is moved to this tab's sessionStorage and removed from the address bar,
// and it only ever travels in the Authorization header of our own API calls.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 640;
  const HEIGHT = 240;
  const PAD = { left: 52, right: 16, top: 22, bottom: 40 };
  // Nine colours, each at least 3:1 against the white card (WCAG 1.4.11), and any two at
  // least 19 apart (CIELAB ΔE76) as seen with full colour vision, deuteranopia or protanopia
  // (Tableau 10's hues, darkened and moved apart where they were not).
  const COLORS = ["#5370c2", "#c08800", "#ff494f", "#1e8176", "#338e3f", "#604600", "#c177b6",
    "#ee0b7a", "#3e3e3e"];
  // A persona or intent has one colour in every chart and range, whichever others are there
  // (common/labels.py's PERSONA_IDS and INTENTS; "unknown" is a turn without an intent).
  const LABEL_COLORS = {
    lua: "#5370c2", riri: "#c08800", elro: "#338e3f", nana: "#c177b6",
    problem_solving: "#5370c2", learning: "#c08800", emotional_support: "#ff494f",
    decision_making: "#1e8176", planning: "#338e3f", motivation: "#604600", feedback: "#c177b6",
    check_in: "#ee0b7a", unknown: "#3e3e3e",
  };
  // Lines differ by their dashes as well as by colour, for who cannot tell the colours apart
  const DASHES = [null, "8 4", "2 3", "10 3 2 3", "4 4", "1 2", "12 4", "6 2 2 2", "3 6"];
  const CHAR_WIDTH = 6.5; // about the width of a character of 11px text, in viewBox units
  const TOKEN_KEY = "ion-insights-token";
  const root = document.documentElement;
  const $ = (id) => document.getElementById(id);

  function el(name, attrs = {}, ...children) {
    const node = ["svg", "g", "rect", "circle", "polyline", "line", "text", "title"].includes(name)
      ? document.createElementNS(SVG, name)
      : document.createElement(name);
    for (const [k, v] of Object.entries(attrs)) {
      if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    }
    node.append(...children);
    return node;
  }

  function format(value) {
    if (value === null || value === undefined) return "–";
    if (typeof value === "boolean") return value ? "yes" : "no";
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value)) return String(value);
    // below 1, three significant digits: a rate of 0.0004 is not 0.000
    if (Math.abs(value) < 1) return value.toPrecision(3);
    return Math.abs(value) < 10 ? value.toFixed(3) : value.toFixed(1);
  }

  function takeToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const token = fragment.get("token");
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      history.replaceState(null, "", location.pathname + location.search);
    }
    return token || sessionStorage.getItem(TOKEN_KEY);
  }

  async function api(path, token) {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
      credentials: "omit",
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error(body?.error?.message || `The API answered ${response.status}.`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // Rows in long form (one row per x and split value) become one series per split value, in
  // the order of their names (not of the rows, which may differ from one day to the next).
  function seriesOf(chart, rows) {
    if (chart.split) {
      const y = chart.series[0];
      const names = [...new Set(rows.map((r) => String(r[chart.split])))].sort();
      return names.map((name) => ({
        name,
        points: rows.filter((r) => String(r[chart.split]) === name)
          .map((r) => ({ x: label(chart, r), y: r[y] })),
      }));
    }
    return chart.series.map((name) => ({
      name,
      points: rows.map((r) => ({ x: label(chart, r), y: r[name] })),
    }));
  }

  // "2026-11-16" -> "11-16", "2026-11-16T04:00:00Z" -> "11-16 04:00": the range shows the year
  function shortTime(x) {
    return /^\d{4}-\d\d-\d\d/.test(x) ? x.slice(5, 16).replace("T", " ") : x;
  }

  function colorOf(chart, name, k) {
    return (chart.split && LABEL_COLORS[name]) || COLORS[k % COLORS.length];
  }

  // like the colour, a persona's or intent's dashes are its own, whichever others have rows
  // (their places in LABEL_COLORS differ within personas and within intents, modulo DASHES)
  const LABELS = Object.keys(LABEL_COLORS);
  function dashOf(chart, name, k) {
    const at = chart.split ? LABELS.indexOf(name) : -1;
    return DASHES[(at < 0 ? k : at) % DASHES.length];
  }

  function label(chart, row) {
    return chart.group ? `${row[chart.group]} · ${row[chart.x]}` : String(row[chart.x]);
  }

  function yScale(values) {
    const finite = values.filter((v) => typeof v === "number" && Number.isFinite(v));
    let low = Math.min(0, ...finite);
    let high = Math.max(0, ...finite);
    if (high === low) high = low + 1;
    const inner = HEIGHT - PAD.top - PAD.bottom;
    // counts (every value whole) have whole-number ticks: 7 users have no middle of 3.5
    const whole = finite.every(Number.isInteger);
    return { low, high, whole, at: (v) => PAD.top + inner * (1 - (v - low) / (high - low)) };
  }

  function frame(y) {
    // hidden from assistive technology: the figure's data table says the same in text
    const svg = el("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, "aria-hidden": "true" });
    const middle = y.whole ? Math.round((y.low + y.high) / 2) : (y.low + y.high) / 2;
    for (const v of new Set([y.low, middle, y.high])) {
      const at = y.at(v);
      svg.append(
        el("line", { class: "grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: at, y2: at }),
        el("text", { class: "tick", x: PAD.left - 6, y: at + 4, "text-anchor": "end" }, format(v)),
      );
    }
    const base = y.at(Math.max(y.low, 0));
    svg.append(el("line", { class: "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: base, y2: base }));
    return svg;
  }

  function point(series, p, color, cx, cy, shape) {
    const attrs = {
      class: "datum", "data-series": series, "data-x": p.x, "data-y": p.y, fill: color,
    };
    const node = shape === "circle"
      ? el("circle", { ...attrs, cx, cy, r: 3.5 })
      : el("rect", { ...attrs, ...cx });
    node.append(el("title", {}, `${series} · ${p.x}: ${format(p.y)}`));
    return node;
  }

  // Each series' value at every x of the chart. A series with no row at an x has none there:
  // 0 where the metric counts things (chart.missing "zero": a view writes no row for a persona
  // or intent without turns that day), else unknown (null: a mean of nothing is not 0).
  function valuesAt(chart, series, xs) {
    return series.map((s) => {
      const at = new Map(s.points.map((p) => [p.x, p.y]));
      const fill = chart.missing === "zero" ? 0 : null;
      return xs.map((x) => {
        if (!at.has(x)) return fill;
        return typeof at.get(x) === "number" ? at.get(x) : null;
      });
    });
  }

  // Every day or hour from the first x to the last, so that one with no row in any series (an
  // hour without a turn) is on the axis as a gap or a zero, as chart.missing says, instead of
  // being closed up and bridged. Other x values, or more than MAX_AXIS steps, stay as they are.
  const DAY = /^\d{4}-\d\d-\d\d$/;
  const HOUR = /^\d{4}-\d\d-\d\dT\d\d:00:00Z$/;
  const MAX_AXIS = 2000;
  function fullAxis(xs) {
    const kind = [DAY, HOUR].find((re) => xs.length > 1 && xs.every((x) => re.test(x)));
    if (!kind) return xs;
    const step = kind === DAY ? 86400000 : 3600000;
    const [first, last] = [Date.parse(xs[0]), Date.parse(xs[xs.length - 1])];
    if ((last - first) / step >= MAX_AXIS) return xs;
    const axis = [];
    for (let t = first; t <= last; t += step) {
      const iso = new Date(t).toISOString(); // 2026-12-01T03:00:00.000Z
      axis.push(kind === DAY ? iso.slice(0, 10) : `${iso.slice(0, 19)}Z`);
    }
    return axis;
  }

  function lineChart(chart, rows) {
    const series = seriesOf(chart, rows);
    const xs = fullAxis([...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort());
    const values = valuesAt(chart, series, xs);
    const y = yScale(values.flat());
    const step = (WIDTH - PAD.left - PAD.right) / Math.max(xs.length - 1, 1);
    const xAt = (x) => PAD.left + step * xs.indexOf(x) + (xs.length === 1 ? step / 2 : 0);
    const svg = frame(y);
    const ticks = xs.length <= 8 ? xs : [xs[0], xs[Math.floor(xs.length / 2)], xs[xs.length - 1]];
    ticks.forEach((x, i) => {
      // the first and last labels stay inside the chart
      const anchor = ticks.length > 1 && i === 0 ? "start"
        : ticks.length > 1 && i === ticks.length - 1 ? "end" : "middle";
      // hours are UTC, as the range's days are: said once, on the last tick
      const utc = HOUR.test(x) && i === ticks.length - 1 ? " UTC" : "";
      svg.append(el("text", { x: xAt(x), y: HEIGHT - PAD.bottom + 16, "text-anchor": anchor },
        shortTime(x) + utc));
    });
    const legend = el("ul", { class: "legend" });
    series.forEach((s, k) => {
      const color = colorOf(chart, s.name, k);
      const dash = dashOf(chart, s.name, k);
      // one polyline per run of known values: an unknown value breaks the line, never joins it
      const runs = [[]];
      values[k].forEach((v, i) => {
        if (v === null) runs.push([]);
        else runs[runs.length - 1].push(`${xAt(xs[i])},${y.at(v)}`);
      });
      for (const run of runs.filter((r) => r.length > 1)) {
        svg.append(el("polyline", {
          points: run.join(" "), fill: "none", stroke: color, "stroke-width": 2,
          "stroke-dasharray": dash, "data-series": s.name,
        }));
      }
      // a point for each row; a zero filled in for a missing row is only on the line
      for (const p of s.points.filter((p) => typeof p.y === "number")) {
        svg.append(point(s.name, p, color, xAt(p.x), y.at(p.y), "circle"));
      }
      // the value at the chart's last x, not the series' last row (which may be days older)
      const latest = values[k][xs.length - 1];
      legend.append(el("li", {}, swatch(color, dash), s.name,
        el("span", { class: "visually-hidden" }, ": latest "), // not "latency_p95_ms2402.5"
        el("span", { class: "latest", "data-series": s.name, "data-value": latest }, format(latest))));
    });
    return [svg, legend];
  }

  function barChart(chart, rows) {
    const series = seriesOf(chart, rows);
    // in the API's order; bars by day have every day of the range, as a line has (a day without
    // a row is a day without crises, not one to close up). Weeks (week_start) are no days.
    const named = [...new Set(rows.map((r) => label(chart, r)))];
    const daily = chart.x === "day" && !chart.group && named.every((x) => DAY.test(x));
    const xs = daily ? fullAxis([...named].sort()) : named;
    const y = yScale(series.flatMap((s) => s.points.map((p) => p.y)));
    const slot = (WIDTH - PAD.left - PAD.right) / Math.max(xs.length, 1);
    const bar = Math.min(48, (slot * 0.8) / series.length);
    // bars keep a 2-unit gap while they are wide; a year of days has slots of about 1.5 units,
    // where the gap would leave no bar at all: each bar is then at least 1 unit wide
    const width = Math.max(bar > 4 ? bar - 2 : bar, 1);
    const svg = frame(y);
    // labels wider than their slot (e.g. "emotional_support" among nine intents) take turns
    // on two lines instead of running into each other
    // a month of days is labelled every few days, which leaves room enough for each label
    const every = daily ? Math.ceil(xs.length / 10) : 1;
    const stagger = every === 1 && !chart.group
      && xs.some((x) => shortTime(x).length * CHAR_WIDTH > slot);
    xs.forEach((x, i) => {
      if (i % every) return;
      // a grouped label on two lines: the bar's own name, then its group (e.g. the experiment)
      const [group, own] = chart.group ? x.split(" · ") : [null, shortTime(x)];
      const at = { x: PAD.left + slot * (i + 0.5), "text-anchor": "middle" };
      svg.append(el("text", { ...at, y: HEIGHT - PAD.bottom + (stagger && i % 2 ? 30 : 16) }, own));
      if (group) svg.append(el("text", { ...at, y: HEIGHT - PAD.bottom + 30 }, shortTime(group)));
    });
    // a day without a row where the view counts things (chart.missing "zero") says 0 there;
    // it is no row, so no bar (class datum) and no value label of one. Where the slot is
    // narrower than the "0" (more than about 88 days) the labels would run into a smear: the
    // baseline says 0 there
    if (chart.missing === "zero" && CHAR_WIDTH <= slot) {
      const have = new Set(named);
      xs.forEach((x, i) => have.has(x) || svg.append(el("text", {
        class: "zero", x: PAD.left + slot * (i + 0.5), y: y.at(0) - 4,
        "text-anchor": "middle", "data-x": x,
      }, "0")));
    }
    const legend = el("ul", { class: "legend" });
    series.forEach((s, k) => {
      const color = colorOf(chart, s.name, k);
      for (const p of s.points) {
        if (typeof p.y !== "number") continue;
        const left = PAD.left + slot * (xs.indexOf(p.x) + 0.5) - (bar * series.length) / 2 + bar * k;
        const top = Math.min(y.at(p.y), y.at(0));
        const height = Math.max(Math.abs(y.at(0) - y.at(p.y)), 1);
        svg.append(point(s.name, p, color, { x: left, y: top, width, height }, null, "rect"));
        // a value wider than its bar would run into the next one's: it stays in the tooltip
        // (e.g. 36 bars of persona and intent, about 13 units each)
        if (format(p.y).length * CHAR_WIDTH > bar) continue;
        svg.append(el("text", {
          class: "value", x: left + bar / 2, y: top - 4, "text-anchor": "middle",
          "data-series": s.name, "data-x": p.x,
        }, format(p.y)));
      }
      legend.append(el("li", {}, swatch(color), s.name));
    });
    return [svg, legend];
  }

  // a bar's swatch is a square of its colour; a line's, a stretch of the line with its dashes
  function swatch(color, dash) {
    if (dash === undefined) {
      const svg = el("svg", { class: "swatch", viewBox: "0 0 10 10", width: 10, height: 10 });
      svg.append(el("rect", { width: 10, height: 10, fill: color }));
      return svg;
    }
    const svg = el("svg", { class: "swatch line", viewBox: "0 0 24 10", width: 24, height: 10 });
    svg.append(el("line", { x1: 0, x2: 24, y1: 5, y2: 5, stroke: color, "stroke-width": 2,
      "stroke-dasharray": dash }));
    return svg;
  }

  function table(chart, data, captioned) {
    const columns = chart.columns.length ? chart.columns : data.columns;
    const head = el("tr", {}, ...columns.map((c) => el("th", {}, c)));
    const body = data.rows.map((row) => el("tr", {}, ...columns.map((c) => el("td", {
      class: typeof row[c] === "number" ? "num" : undefined,
      "data-column": c,
      "data-value": row[c] === null ? undefined : JSON.stringify(row[c]),
    }, format(row[c])))));
    // a wide table scrolls in a region of its own, which a keyboard can reach (Safari does not
    // make a scrolling element focusable) and a screen reader names after the figure
    return el("div", { class: "scroll", tabindex: 0, role: "region", "aria-labelledby": captioned },
      el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
  }

  function render(metric, data, error) {
    const chart = metric.chart;
    const caption = `caption-${metric.name}`;
    const figure = el("figure", { "data-metric": metric.name, "data-kind": chart.kind },
      el("figcaption", { id: caption }, el("h2", {}, metric.title)), // a heading to jump to
      el("p", { class: "desc" }, metric.description));
    if (error) {
      figure.setAttribute("data-error", error.status || "network");
      figure.append(el("p", { class: "failed" }, error.message));
      return figure;
    }
    figure.setAttribute("data-rows", data.rows.length);
    if (data.note) figure.append(el("p", { class: "note" }, data.note));
    if (!data.rows.length) {
      figure.append(el("p", { class: "empty" }, "No data in this range."));
      return figure;
    }
    if (chart.kind === "line") figure.append(...lineChart(chart, data.rows));
    if (chart.kind === "bar") figure.append(...barChart(chart, data.rows));
    // Every chart's rows as a table too: its text alternative, and the values a pointer only
    // gets from tooltips. Folded under the chart, unless its columns are meant to be read.
    if (chart.kind === "table" || chart.columns.length) figure.append(table(chart, data, caption));
    else figure.append(el("details", {}, el("summary", {}, "Data table"), table(chart, data, caption)));
    return figure;
  }

  // The answers last drawn. A lifetime metric (dated: false, e.g. A/B results, churn risk,
  // segments, VIPs) does not depend on the range, and each reading of one scans every retained
  // event (docs/CAPACITY.md section 6): a change of range reads again only the dated metrics,
  // and a lifetime one only if it failed.
  let drawn = new Map();
  // The latest load: an older one still waiting for its answers (a range asked for before the
  // one on screen, and slower to scan) must not draw over the newer one when they come.
  let loads = 0;

  async function load(token, { rangeChanged = false } = {}) {
    const mine = ++loads;
    const stale = () => mine !== loads;
    const status = $("status");
    const range = new URLSearchParams();
    for (const key of ["from", "to"]) {
      const value = new URLSearchParams(location.search).get(key);
      if (value) range.set(key, value);
    }
    status.textContent = "Loading…";
    root.dataset.state = "loading";
    $("charts").setAttribute("aria-busy", "true");
    try {
      const index = await api("metrics", token);
      if (stale()) return;
      const results = await Promise.all(index.metrics.map((m) => {
        const kept = rangeChanged && !m.dated ? drawn.get(m.name) : undefined;
        if (kept?.data) return { m, data: kept.data };
        return api(`metrics/${encodeURIComponent(m.name)}?${range}`, token)
          .then((data) => ({ m, data }), (error) => ({ m, error }));
      }));
      if (stale()) return;
      drawn = new Map(results.map((r) => [r.m.name, r]));
      $("charts").replaceChildren(...results.map((r) => render(r.m, r.data, r.error)));
      const said = []; // replaces "Loading…" even when no dated metric answered
      const dated = results.find((r) => r.data && r.data.from);
      if (dated) {
        $("from").value = dated.data.from;
        $("to").value = dated.data.to;
        said.push(`${dated.data.from} to ${dated.data.to} (UTC days)`);
      }
      const failed = results.filter((r) => r.error);
      if (failed.length) said.push(`${failed.length} metric(s) could not be read`);
      // the token expired between the index and a metric: sign in again, as for the index
      const expired = failed.find((r) => r.error.status === 401);
      if (expired) {
        said.push(expired.error.message);
        signIn();
      }
      status.textContent = said.join(" · ");
      root.dataset.state = !failed.length ? "ready"
        : failed.length === results.length ? "error" : "partial";
    } catch (error) {
      if (stale()) return;
      status.textContent = error.message;
      root.dataset.state = "error";
      // not signed in, or not as an operator: the message stays and another token can be given
      if (error.status === 401 || error.status === 403) signIn();
    } finally {
      if (!stale()) $("charts").setAttribute("aria-busy", "false");
    }
  }

  // The stored token is of no more use: forget it and ask for another.
  function signIn() {
    sessionStorage.removeItem(TOKEN_KEY);
    $("signin").hidden = false;
  }

  function start() {
    $("signin").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token").value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      $("token").value = "";
      $("signin").hidden = true;
      load(token);
    });
    $("range").addEventListener("submit", (event) => {
      event.preventDefault();
      const query = new URLSearchParams();
      if ($("from").value) query.set("from", $("from").value);
      if ($("to").value) query.set("to", $("to").value);
      history.replaceState(null, "", `${location.pathname}?${query}`);
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (token) load(token, { rangeChanged: true });
    });
    const token = takeToken();
    if (!token) {
      $("status").textContent = "Sign in with an operator account's ID token.";
      root.dataset.state = "signin";
      $("signin").hidden = false;
      return;
    }
    load(token);
  }

  start();
})();
