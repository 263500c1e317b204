/* 抚州市巡察工作上下联动平台 — dashboard (plain JS, no build step, no external resources).
 * Reads the reporting API with the bearer token kept in localStorage, polls the projection
 * version every 2 s and reloads the views when it changes. All text goes into the DOM with
 * textContent (never innerHTML of data).
 *
 * Clicking a county row (or 市本级) of the linked view opens that jurisdiction's 整改台账
 * (/api/v1/views/ledger/units, /api/v1/views/ledger). Auditors also get 时间回溯: the linked
 * view as it was at a past moment (/api/v1/audit/replay), shown in a marked historical mode
 * that live polling leaves alone until 返回实时. */
(function () {
  "use strict";

  var TOKEN_KEY = "xuncha.token";
  var POLL_MS = 2000;
  var METRICS = [
    ["petitions_received", "信访举报受理", "件"],
    ["clues_registered", "线索登记", "件"],
    ["clues_transferred", "线索移交", "件"],
    ["clues_escalated", "线索上报市委巡察办", "件"],
    ["issues_fed_back", "反馈问题", "个"],
    ["rectification_reports", "整改报告", "份"],
  ];
  var DEPARTMENTS = [
    ["discipline_commission", "纪委监委"],
    ["organisation", "组织部"],
    ["petitions", "信访局"],
    ["audit", "审计局"],
    ["finance", "财政局"],
  ];
  var RECT_TYPES = { immediate: "立行立改", time_bound: "限期整改", long_term: "长期坚持" };
  var SERIES = [
    ["petitions_received", "信访举报受理", "#b8262b"],
    ["clues_registered", "线索登记", "#2e5aac"],
    ["clues_transferred", "线索移交", "#1a8a7d"],
  ];

  var state = {
    token: null,
    me: null,
    version: null,
    dept: null,
    previous: {},
    canOverview: false,
    canFeeds: false,
    timer: null,
    busy: false,
    overviewSeq: 0, // the latest live linked-view request; older answers are dropped
    overviewStale: false, // the table does not show the live view: reload at the next poll
    ledger: null, // the open 整改台账: { key, code, label, unit }
    ledgerSeq: 0,
    history: null, // 时间回溯: { asOf } while the overview shows a replay
    replaySeq: 0,
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        if (key === "text") node.textContent = attrs[key];
        else if (key === "class") node.className = attrs[key];
        else if (key === "style") node.style.cssText = attrs[key]; // CSSOM: allowed by the CSP
        else node.setAttribute(key, attrs[key]);
      });
    }
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var timeFmt = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
  var clockFmt = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });

  function fmtTime(iso) {
    if (!iso) return "—";
    return timeFmt.format(new Date(iso)).replace(/\//g, "-");
  }

  function fmtRate(rate) {
    return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%";
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  // Beijing time (UTC+8, no daylight saving) as YYYY-MM-DD HH:MM, whatever the browser's zone
  function fmtBeijing(iso) {
    var d = new Date(Date.parse(iso) + 8 * 3600 * 1000);
    return d.getUTCFullYear() + "-" + pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate()) +
      " " + pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes());
  }

  // ---- API ------------------------------------------------------------------------------

  function ApiError(status, problem) {
    this.status = status;
    this.problem = problem || {};
  }

  function problemDetail(err) {
    return err instanceof ApiError && err.problem && err.problem.detail ? String(err.problem.detail) : "";
  }

  // a 401 anywhere: the token is gone, back to the login form
  function authLost(err) {
    if (!(err instanceof ApiError) || err.status !== 401) return false;
    localStorage.removeItem(TOKEN_KEY);
    showLogin("登录已失效，请重新输入令牌。");
    return true;
  }

  function query(params) {
    return Object.keys(params).map(function (key) {
      return encodeURIComponent(key) + "=" + encodeURIComponent(params[key]);
    }).join("&");
  }

  function api(path, options) {
    options = options || {};
    var headers = { Authorization: "Bearer " + state.token, Accept: "application/json" };
    if (options.body) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: options.method || "GET",
      headers: headers,
      body: options.body ? JSON.stringify(options.body) : undefined,
      cache: "no-store",
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) throw new ApiError(resp.status, data);
        return data;
      });
    });
  }

  // ---- session --------------------------------------------------------------------------

  function takeTokenFromUrl() {
    var url = new URL(window.location.href);
    var token = url.searchParams.get("token");
    if (token) {
      localStorage.setItem(TOKEN_KEY, token.trim());
      url.searchParams.delete("token");
      window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
  }

  function showLogin(message) {
    stopPolling();
    state.token = null;
    $("app").hidden = true;
    $("logout").hidden = true;
    $("whoami").textContent = "";
    setLive("off", "未连接");
    $("login").hidden = false;
    $("login-error").hidden = !message;
    $("login-error").textContent = message || "";
    $("token-input").value = "";
    $("token-input").focus();
  }

  function start(token) {
    state.token = token;
    api("/api/v1/me").then(function (me) {
      state.me = me;
      localStorage.setItem(TOKEN_KEY, token);
      $("login").hidden = true;
      $("app").hidden = false;
      $("logout").hidden = false;
      var who = me.role_label + " · " + (me.department_label || me.jurisdiction_name);
      $("whoami").textContent = who;
      var role = me.role;
      var cityWide = /00$/.test(me.jurisdiction);
      state.canOverview = role === "city_admin" || role === "county_admin" || role === "auditor";
      state.canFeeds = role === "department" || ((role === "city_admin" || role === "auditor") && cityWide);
      $("overview").hidden = !state.canOverview;
      $("feeds").hidden = !state.canFeeds;
      $("no-access").hidden = state.canOverview || state.canFeeds;
      $("scope-label").textContent = role === "county_admin" ? me.jurisdiction_name :
        role === "department" ? me.department_label : "全市";
      $("page-label").textContent = state.canOverview ? "上下联动总览" : "巡察成果共享";
      state.dept = role === "department" ? me.department : DEPARTMENTS[0][0];
      closeLedger();
      leaveHistory();
      $("replay-bar").hidden = role !== "auditor";
      $("replay-error").hidden = true;
      if (role === "auditor" && !$("replay-at").value) $("replay-at").value = beijingNowInput();
      buildTabs();
      state.version = null;
      poll();
    }).catch(function (err) {
      if (err instanceof ApiError && err.status === 401) {
        localStorage.removeItem(TOKEN_KEY);
        showLogin("令牌无效、已过期或已被吊销，请重新输入。");
      } else {
        showLogin("无法连接平台服务，请稍后重试。");
      }
    });
  }


  // ---- polling --------------------------------------------------------------------------

  function setLive(mode, text) {
    var live = $("live");
    live.className = "live" + (mode === "on" ? " on" : mode === "err" ? " err" : "");
    $("live-text").textContent = text;
  }

  function stopPolling() {
    if (state.timer) window.clearTimeout(state.timer);
    state.timer = null;
  }

  function schedule() {
    stopPolling();
    state.timer = window.setTimeout(poll, POLL_MS);
  }

  function poll() {
    if (!state.token) return;
    api("/api/v1/views/version").then(function (v) {
      $("demo-badge").hidden = !v.demo;
      if (v.version !== state.version || (state.overviewStale && !state.history)) {
        return refresh().then(function () {
          state.version = v.version;
          $("version").textContent = String(v.version);
        });
      }
      return null;
    }).then(function () {
      setLive("on", "实时更新");
      $("updated-at").textContent = clockFmt.format(new Date());
      schedule();
    }).catch(function (err) {
      if (err instanceof ApiError && err.status === 401) {
        localStorage.removeItem(TOKEN_KEY);
        showLogin("登录已失效，请重新输入令牌。");
        return;
      }
      setLive("err", "连接中断，重试中");
      schedule();
    });
  }

  function refresh() {
    var jobs = [];
    // in the historical mode the overview shows a replay: live changes must not replace it
    if (state.canOverview && !state.history) {
      jobs.push(loadOverview());
      if (state.ledger) jobs.push(loadLedger());
    }
    if (state.canFeeds) jobs.push(loadFeeds());
    return Promise.all(jobs);
  }

  // ---- overview -------------------------------------------------------------------------

  function loadOverview() {
    var seq = ++state.overviewSeq;
    return api("/api/v1/views/linked").then(function (view) {
      if (seq === state.overviewSeq && !state.history) {
        renderOverview(view, true);
        state.overviewStale = false;
      }
    });
  }

  function renderOverview(view, live) {
    var rows = [];
    if (view.city) {
      rows.push({ key: "total", row: view.city, name: view.city.name + "（合计）", cls: "total" });
      if (view.city.own) {
        var own = Object.assign({ jurisdiction: view.city.jurisdiction }, view.city.own);
        rows.push({ key: "own", row: own, name: "市本级", cls: "own" });
      }
    }
    view.counties.forEach(function (c) {
      rows.push({ key: c.jurisdiction, row: c, name: c.name, cls: "" });
    });
    renderKpis(view.city || view.counties[0]);
    renderTable(rows, live);
    var chartRows = rows.filter(function (r) { return r.key !== "total"; });
    renderChart(chartRows);
  }

  function renderKpis(row) {
    var box = $("kpis");
    box.textContent = "";
    if (!row) return;
    METRICS.forEach(function (m) {
      var sub = row.own
        ? "市本级 " + row.own[m[0]] + " · 县区 " + (row[m[0]] - row.own[m[0]])
        : row.name;
      box.appendChild(el("div", { class: "kpi", "data-metric": m[0] }, [
        el("div", { class: "label", text: m[1] }),
        el("div", { class: "value" }, [String(row[m[0]]), el("small", { text: m[2] })]),
        el("div", { class: "sub", text: sub }),
      ]));
    });
    box.appendChild(el("div", { class: "kpi kpi-rate", "data-metric": "completion_rate" }, [
      el("div", { class: "label", text: "整改完成率" }),
      el("div", { class: "value", text: fmtRate(row.completion_rate) }),
      el("div", { class: "sub", text: "已完成 " + row.issues_completed + " / 反馈 " + row.issues_fed_back }),
    ]));
  }

  // live: rows open the 整改台账 and changed cells flash; a replay's table is neither
  function renderTable(rows, live) {
    var tbody = $("linked-table").querySelector("tbody");
    tbody.textContent = "";
    rows.forEach(function (item) {
      var r = item.row;
      var tr = el("tr", { class: item.cls, "data-jurisdiction": item.key });
      if (live && item.key !== "total") makeLedgerRow(tr, item);
      tr.appendChild(el("td", { class: "left name", text: item.name }));
      METRICS.forEach(function (m) {
        var value = r[m[0]];
        var td = el("td", { class: value === 0 ? "zero" : "", "data-metric": m[0], text: String(value) });
        if (live) markChange(td, item.key + "/" + m[0], value);
        tr.appendChild(td);
      });
      var rate = r.completion_rate;
      var pct = rate === null || rate === undefined ? 0 : Math.round(rate * 100);
      var bar = el("span", { class: "bar" }, [el("i", { style: "width:" + pct + "%" })]);
      var cell = el("td", { "data-metric": "completion_rate" }, [
        el("div", { class: "rate" + (rate !== null && rate < 0.8 ? " low" : "") }, [
          bar, el("span", { class: "pct", text: fmtRate(rate) }),
        ]),
      ]);
      if (live) markChange(cell, item.key + "/rate", rate);
      tr.appendChild(cell);
      tbody.appendChild(tr);
    });
  }

  function markChange(td, key, value) {
    if (key in state.previous && state.previous[key] !== value) td.classList.add("changed");
    state.previous[key] = value;
  }

  function niceMax(value) {
    if (value <= 5) return 5;
    var exp = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * exp >= value) return steps[i] * exp;
    }
    return 10 * exp;
  }

  function renderChart(rows) {
    var legend = $("chart-legend");
    legend.textContent = "";
    SERIES.forEach(function (s) {
      legend.appendChild(el("span", {}, [el("i", { style: "background:" + s[2] }), s[1]]));
    });
    var box = $("chart");
    box.textContent = "";
    var W = 640, H = 400, left = 40, right = 8, top = 14, bottom = 46;
    var plotW = W - left - right, plotH = H - top - bottom;
    var max = 0;
    rows.forEach(function (item) {
      SERIES.forEach(function (s) { max = Math.max(max, item.row[s[0]] || 0); });
    });
    var yMax = niceMax(max);
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "xMidYMid meet" });
    var ticks = 5;
    for (var t = 0; t <= ticks; t++) {
      var v = (yMax / ticks) * t;
      var y = top + plotH - (v / yMax) * plotH;
      root.appendChild(svg("line", { x1: left, x2: W - right, y1: y, y2: y,
        stroke: t === 0 ? "#c9cdd4" : "#eef0f3", "stroke-width": 1 }));
      root.appendChild(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end",
        "font-size": 11, fill: "#86909c" }, String(Math.round(v * 10) / 10)));
    }
    var n = Math.max(rows.length, 1);
    var group = plotW / n;
    var barW = Math.max(3, Math.min(14, (group - 8) / SERIES.length));
    rows.forEach(function (item, i) {
      var gx = left + group * i + (group - barW * SERIES.length) / 2;
      SERIES.forEach(function (s, k) {
        var value = item.row[s[0]] || 0;
        var h = (value / yMax) * plotH;
        var rect = svg("rect", { x: gx + k * barW, y: top + plotH - h, width: barW - 1,
          height: Math.max(h, 0), fill: s[2], rx: 1 });
        rect.appendChild(svg("title", {}, item.name + " · " + s[1] + "：" + value));
        root.appendChild(rect);
      });
      var label = item.name.length > 4 ? item.name.slice(0, 4) : item.name;
      root.appendChild(svg("text", { x: left + group * i + group / 2, y: H - bottom + 16,
        "text-anchor": "middle", "font-size": 11, fill: "#4e5969" }, label));
    });
    root.appendChild(svg("text", { x: left, y: H - 8, "font-size": 11, fill: "#86909c" },
      "单位：件；悬停柱形查看数值"));
    box.appendChild(root);
  }

  // ---- 整改台账 (rectification ledger) ---------------------------------------------------

  var LEDGER_LOAD_ERROR = "整改台账加载失败";

  function makeLedgerRow(tr, item) {
    // 市本级: the city's own units (the city code); a county row: that county's
    var code = item.key === "own" ? item.row.jurisdiction : item.key;
    tr.classList.add("clickable");
    if (state.ledger && state.ledger.key === item.key) tr.classList.add("selected");
    tr.setAttribute("tabindex", "0");
    tr.setAttribute("title", "点击查看" + item.name + "整改台账");
    tr.addEventListener("click", function () { openLedger(item.key, code, item.name); });
    tr.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        openLedger(item.key, code, item.name);
      }
    });
  }

  function markSelectedRow() {
    var key = state.ledger ? state.ledger.key : null;
    Array.prototype.forEach.call($("linked-table").querySelectorAll("tbody tr"), function (tr) {
      tr.classList.toggle("selected", tr.getAttribute("data-jurisdiction") === key);
    });
  }

  function openLedger(key, code, label) {
    if (state.history) return;
    if (!state.ledger || state.ledger.key !== key) {
      state.ledger = { key: key, code: code, label: label, unit: null };
      $("ledger-title").textContent = "整改台账 · " + label;
      $("ledger-units").textContent = "";
      $("ledger-units-count").textContent = "";
      ledgerMessage("加载中…");
    }
    $("ledger").hidden = false;
    markSelectedRow();
    followUp(loadLedger());
    $("ledger").scrollIntoView({ block: "nearest" });
  }

  function closeLedger() {
    state.ledger = null;
    state.ledgerSeq++;
    $("ledger").hidden = true;
    markSelectedRow();
  }

  function selectUnit(unit) {
    if (!state.ledger) return;
    state.ledger.unit = unit;
    Array.prototype.forEach.call($("ledger-units").querySelectorAll("button.unit"), function (b) {
      b.classList.toggle("active", b.getAttribute("data-unit") === unit);
    });
    ledgerMessage("加载中…");
    followUp(loadLedger());
  }

  // a load started by a click: a lost login goes back to the form; other failures are shown
  // in the panel already
  function followUp(promise) {
    promise.catch(function (err) { authLost(err); });
  }

  // the open panel's units and, with one chosen, its ledger; rejects on 401 and network
  // failures (the poll retries those), shows every other failure in the panel
  function loadLedger() {
    var ledger = state.ledger;
    if (!ledger) return Promise.resolve();
    var seq = ++state.ledgerSeq;
    var jobs = [api("/api/v1/views/ledger/units?" + query({ jurisdiction: ledger.code }))];
    if (ledger.unit) {
      jobs.push(api("/api/v1/views/ledger?" + query({ jurisdiction: ledger.code, unit: ledger.unit }))
        .catch(function (err) {
          if (err instanceof ApiError && err.status === 404) return null; // no issue (any more)
          throw err;
        }));
    }
    return Promise.all(jobs).then(function (results) {
      if (seq !== state.ledgerSeq || state.ledger !== ledger) return;
      renderUnits(results[0]);
      if (ledger.unit) renderLedger(results[1]);
      else ledgerMessage(results[0].units.length ? "请在左侧选择被巡察单位，查看其反馈问题与整改进展。" : "");
    }, function (err) {
      if (seq === state.ledgerSeq && state.ledger === ledger) {
        var detail = problemDetail(err);
        ledgerMessage(LEDGER_LOAD_ERROR + (detail ? "：" + detail : "，请稍后重试"), true);
      }
      if (!(err instanceof ApiError) || err.status === 401) throw err;
    });
  }

  function ledgerMessage(text, isError) {
    var box = $("ledger-summary");
    box.textContent = "";
    if (text) box.appendChild(el("div", { class: isError ? "error" : "muted placeholder", text: text }));
    $("ledger-table").hidden = true;
    $("ledger-table").querySelector("tbody").textContent = "";
  }

  function renderUnits(doc) {
    var list = $("ledger-units");
    list.textContent = "";
    $("ledger-units-count").textContent = "共 " + doc.units.length + " 个";
    if (!doc.units.length) {
      list.appendChild(el("li", { class: "muted none", text: "暂无被反馈问题的被巡察单位" }));
      return;
    }
    doc.units.forEach(function (u) {
      var button = el("button", {
        type: "button", title: u.unit, "data-unit": u.unit,
        class: "unit" + (state.ledger && state.ledger.unit === u.unit ? " active" : ""),
      }, [el("span", { class: "unit-name", text: u.unit }), el("span", { class: "count", text: String(u.issues) })]);
      button.addEventListener("click", function () { selectUnit(u.unit); });
      list.appendChild(el("li", {}, [button]));
    });
  }

  function chip(label, value, cls) {
    return el("span", { class: "chip" + (cls ? " " + cls : "") }, [label, el("b", { text: String(value) })]);
  }

  function dueNote(issue) {
    if (issue.completed) return issue.completed_at ? "已完成于 " + fmtTime(issue.completed_at).slice(0, 10) : "已完成";
    if (issue.formal_reported) return "整改报告已提交";
    if (issue.days_left === null || issue.days_left === undefined) return "";
    if (issue.days_left > 0) return "剩余 " + issue.days_left + " 天";
    if (issue.days_left === 0) return "今日到期";
    return "已超期 " + (-issue.days_left) + " 天";
  }

  function latestProgress(issue) {
    var last = issue.reports.length ? issue.reports[issue.reports.length - 1] : null;
    var pct = Math.max(0, Math.min(100, issue.progress_percent || 0));
    var bar = el("span", { class: "bar" }, [el("i", { style: "width:" + pct + "%" })]);
    var head = el("div", { class: "progress" + (issue.completed ? " done" : "") }, [bar, el("span", { class: "pct", text: pct + "%" })]);
    if (!last) return [head, el("div", { class: "note muted", text: "尚无整改报告" })];
    return [head, el("div", { class: "note" }, [
      el("span", { class: "kind", text: last.kind_zh }),
      fmtTime(last.reported_at).slice(5) + " · " + last.note,
    ])];
  }

  function renderLedger(doc) {
    var box = $("ledger-summary");
    box.textContent = "";
    var tbody = $("ledger-table").querySelector("tbody");
    tbody.textContent = "";
    if (!doc) {
      ledgerMessage("该单位暂无反馈问题。");
      return;
    }
    box.appendChild(el("div", { class: "ledger-unit", text: doc.unit }));
    box.appendChild(el("div", { class: "chips" }, [
      chip("反馈问题 ", doc.issues_total),
      chip("整改中 ", doc.in_progress, "s-in_progress"),
      chip("已完成 ", doc.completed, "s-completed"),
      chip("逾期 ", doc.overdue, "s-overdue"),
      chip("整改报告 ", doc.reports_total),
      chip("整改完成率 ", fmtRate(doc.completion_rate), "s-rate"),
      el("span", { class: "muted small", text: "统计日期 " + doc.as_of }),
    ]));
    doc.issues.forEach(function (issue, i) {
      tbody.appendChild(el("tr", { "data-issue": issue.issue_id, "data-status": issue.status }, [
        el("td", { class: "muted", text: String(i + 1) }),
        el("td", { class: "left desc" }, [
          issue.description,
          el("div", { class: "sub", text: "反馈于 " + fmtTime(issue.fed_back_at) }),
        ]),
        el("td", { class: "left" }, [el("span", { class: "tag rect", text: issue.rect_type_zh })]),
        el("td", { class: "left" }, [
          issue.due_date || "—",
          el("div", { class: "sub" + (issue.status === "overdue" ? " late" : ""), text: dueNote(issue) }),
        ]),
        el("td", {}, [el("span", { class: "status s-" + issue.status, text: issue.status_zh })]),
        el("td", { class: "left latest" }, latestProgress(issue)),
        el("td", { "data-field": "reports", text: String(issue.reports.length) }),
      ]));
    });
    $("ledger-table").hidden = !doc.issues.length;
  }

  // ---- 时间回溯 (auditors: the overview as it was at a past moment) ----------------------

  // now in Beijing time as a datetime-local value (YYYY-MM-DDTHH:MM)
  function beijingNowInput() {
    return fmtBeijing(new Date().toISOString()).replace(" ", "T");
  }

  function setReplayBusy(busy) {
    var button = $("replay-submit");
    button.disabled = busy;
    button.textContent = busy ? "回溯中…" : "回溯";
  }

  function replayError(text) {
    $("replay-error").textContent = text;
    $("replay-error").hidden = !text;
  }

  function replayFailure(err, asOf) {
    var detail = problemDetail(err);
    var head;
    if (!(err instanceof ApiError)) head = "回溯失败：无法连接平台服务，请稍后重试";
    else if (err.status === 422) {
      head = "回溯时间不符合要求" +
        (Date.parse(asOf) > Date.now() ? "：所选时间晚于当前时间，只能回溯已经记录的历史" : "");
    } else if (err.status === 403) head = "当前身份无权进行时间回溯";
    else if (err.status === 503) head = "审计数据暂时无法读取，请稍后重试";
    else head = "回溯失败（HTTP " + err.status + "）";
    return head + (detail ? "。服务器说明：" + detail : "。");
  }

  function submitReplay(event) {
    event.preventDefault();
    var m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?$/.exec($("replay-at").value);
    if (!m) {
      replayError("请选择完整的回溯日期和时间。");
      return;
    }
    var asOf = m[1] + "T" + m[2] + (m[3] || ":00") + "+08:00"; // the input is Beijing time
    var seq = ++state.replaySeq;
    replayError("");
    setReplayBusy(true);
    api("/api/v1/audit/replay?" + query({ as_of: asOf })).then(function (doc) {
      if (seq === state.replaySeq) showHistory(doc);
    }, function (err) {
      if (seq !== state.replaySeq || authLost(err)) return;
      replayError(replayFailure(err, asOf));
    }).then(function () {
      if (seq === state.replaySeq) setReplayBusy(false);
    });
  }

  function showHistory(doc) {
    // a county auditor's replay has its county's row instead of the whole city's view
    var view = doc.linked || { city: null, counties: doc.row ? [doc.row] : [] };
    closeLedger();
    state.history = { asOf: doc.as_of };
    $("history-text").textContent = "历史视图：截至 " + fmtBeijing(doc.as_of) + "（北京时间）";
    // (a county auditor's document has no city-wide event count)
    $("history-note").textContent = (typeof doc.applied === "number"
      ? "由截至该时刻记录的 " + doc.applied + " 个事件重建" : "由截至该时刻记录的事件重建") +
      "，不随实时数据刷新" +
      (state.canFeeds ? "；部门共享事项仍为实时数据" : "");
    $("history-banner").hidden = false;
    $("overview").classList.add("historical");
    $("page-label").textContent = "上下联动总览（历史视图）";
    renderOverview(view, false);
  }

  function leaveHistory() {
    state.history = null;
    state.replaySeq++; // a replay still running is not shown any more
    setReplayBusy(false);
    $("history-banner").hidden = true;
    if ($("overview").classList.contains("historical")) state.overviewStale = true;
    $("overview").classList.remove("historical");
  }

  function backToLive() {
    leaveHistory();
    replayError("");
    $("page-label").textContent = "上下联动总览";
    loadOverview().catch(function (err) {
      if (!authLost(err)) setLive("err", "连接中断，重试中"); // the next poll tries again
    });
  }

  // ---- feeds ----------------------------------------------------------------------------

  function buildTabs() {
    var tabs = $("dept-tabs");
    tabs.textContent = "";
    DEPARTMENTS.forEach(function (d) {
      if (state.me.role === "department" && state.me.department !== d[0]) return;
      var button = el("button", {
        class: "tab" + (d[0] === state.dept ? " active" : ""), type: "button", role: "tab",
        "data-dept": d[0],
      }, [d[1], el("span", { class: "count", text: "–" })]);
      button.addEventListener("click", function () {
        if (state.dept === d[0]) return;
        state.dept = d[0];
        Array.prototype.forEach.call(tabs.children, function (b) {
          b.classList.toggle("active", b.getAttribute("data-dept") === d[0]);
        });
        loadFeeds();
      });
      tabs.appendChild(button);
    });
  }

  function loadFeeds() {
    var depts = state.me.role === "department" ? [state.me.department] : DEPARTMENTS.map(function (d) { return d[0]; });
    return Promise.all(depts.map(function (dept) {
      return api("/api/v1/feeds/" + dept).then(function (feed) {
        var tab = $("dept-tabs").querySelector('[data-dept="' + dept + '"] .count');
        if (tab) {
          tab.textContent = String(feed.total);
          tab.classList.toggle("unacked", feed.unacknowledged > 0);
          tab.title = "共 " + feed.total + " 项，待签收 " + feed.unacknowledged + " 项";
        }
        if (dept === state.dept) renderFeed(feed);
      });
    }));
  }

  function renderFeed(feed) {
    $("feed-summary").textContent = feed.label + "：共接收 " + feed.total + " 项，其中待签收 " +
      feed.unacknowledged + " 项" + (feed.total > feed.items.length ? "（显示最近 " + feed.items.length + " 项）" : "");
    var tbody = $("feed-table").querySelector("tbody");
    tbody.textContent = "";
    if (!feed.items.length) {
      tbody.appendChild(el("tr", {}, [el("td", { colspan: "6", class: "left muted", text: "暂无共享事项" })]));
      return;
    }
    var canAck = state.me.role === "department" && state.me.department === feed.department;
    feed.items.forEach(function (item) {
      var isClue = item.kind === "clue_transfer";
      var detail = isClue
        ? (item.reason ? "移交理由：" + item.reason : "")
        : "整改类型：" + (RECT_TYPES[item.rect_type] || item.rect_type || "—") +
          (item.due_date ? " · 整改报告期限：" + item.due_date : "");
      var ack;
      if (item.acknowledged) {
        ack = el("span", { class: "state done", title: item.ack_note || "", text: "已签收 " + fmtTime(item.acknowledged_at).slice(5) });
      } else {
        ack = el("span", { class: "state wait" }, ["待签收"]);
        if (canAck) {
          var button = el("button", { class: "btn-small", type: "button", text: "签收" });
          button.addEventListener("click", function () { acknowledge(feed.department, item.item_id, button); });
          ack.appendChild(button);
        }
      }
      tbody.appendChild(el("tr", { "data-item": item.item_id }, [
        el("td", { class: "left" }, [el("span", { class: "tag " + (isClue ? "clue" : "issue"), text: isClue ? "移交线索" : "反馈问题" })]),
        el("td", { class: "left name", text: item.jurisdiction_name }),
        el("td", { class: "left", text: item.unit }),
        el("td", { class: "summary" }, [item.summary, detail ? el("div", { class: "reason", text: detail }) : null]),
        el("td", { class: "left", text: fmtTime(item.occurred_at) }),
        el("td", {}, [ack]),
      ]));
    });
  }

  function acknowledge(dept, itemId, button) {
    button.disabled = true;
    api("/api/v1/feeds/" + dept + "/items/" + encodeURIComponent(itemId) + "/ack", { method: "POST", body: {} })
      .then(function () { return poll(); })
      .catch(function (err) {
        button.disabled = false;
        var detail = err instanceof ApiError && err.problem && err.problem.detail;
        window.alert("签收失败：" + (detail || "请稍后重试"));
      });
  }

  // ---- wiring ---------------------------------------------------------------------------

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = $("token-input").value.trim();
    if (token) start(token);
  });
  $("ledger-close").addEventListener("click", closeLedger);
  $("replay-form").addEventListener("submit", submitReplay);
  $("history-exit").addEventListener("click", backToLive);
  $("logout").addEventListener("click", function () {
    localStorage.removeItem(TOKEN_KEY);
    state.previous = {};
    showLogin("");
  });

  takeTokenFromUrl();
  var saved = localStorage.getItem(TOKEN_KEY);
  if (saved) start(saved);
  else showLogin("");
})();
